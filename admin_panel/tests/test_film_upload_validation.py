"""The film form takes videos only: by extension, declared type and content, each refused with a form
error in the editor's language before anything is stored (movies/forms.py)."""

from collections.abc import Callable
from pathlib import PurePath
from typing import Any

import pytest
from django.core.files.storage import Storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from movies.models import FilmWork

MP4_START = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
PAGE = b"<!DOCTYPE html><html><script>document.title = 'pwned'</script></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="document.title = \'pwned\'"/>'


@pytest.fixture
def add_film(
    use_film_storages: Callable[..., Storage], admin_client: Client, film_form: Callable[..., dict[str, Any]]
) -> Callable[..., Any]:
    use_film_storages("local")

    def add(name: str, content: bytes, content_type: str, language: str = "en") -> Any:
        upload = SimpleUploadedFile(name, content, content_type=content_type)
        return admin_client.post(
            reverse("admin:movies_filmwork_add"), film_form(file=upload), HTTP_ACCEPT_LANGUAGE=language
        )

    return add


@pytest.mark.parametrize(
    ("name", "content", "content_type", "error"),
    [
        ("page.html", PAGE, "text/html", "“page.html” is not a film file. Allowed extensions: mp4,"),
        ("image.svg", SVG, "image/svg+xml", "“image.svg” is not a film file."),
        ("film.mp4", MP4_START, "text/html", "“film.mp4” was sent as text/html, a type a film may not have."),
        (
            "page.mp4",
            PAGE,
            "video/mp4",
            "“page.mp4” holds a web page or an image (HTML, SVG, XML), not a film.",
        ),
        ("image.mp4", b"\xef\xbb\xbf \n" + SVG, "video/mp4", "“image.mp4” holds a web page or an image"),
        ("page.mkv", b"<a href=x>", "application/octet-stream", "“page.mkv” holds a web page"),
    ],
)
def test_a_file_that_is_not_a_video_is_refused_with_a_form_error(
    add_film: Callable[..., Any],
    stored_names: Callable[[Storage], set[str]],
    name: str,
    content: bytes,
    content_type: str,
    error: str,
) -> None:
    storage = FilmWork._meta.get_field("file").storage
    # The harness's media root is shared with other tests: nothing may be added to what it holds.
    stored_before = stored_names(storage)

    response = add_film(name, content, content_type)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["file"]  # under the file field, and nothing else wrong
    assert errors["file"][0].startswith(error)
    assert error in response.content.decode()
    assert not FilmWork.objects.exists()
    assert stored_names(storage) == stored_before


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("Солярис.MP4", "video/mp4"),
        ("film.mkv", "video/x-matroska"),
        ("film.mkv", "video/matroska"),
        ("film.mkv", "application/octet-stream"),
    ],
)
def test_a_video_is_accepted(add_film: Callable[..., Any], name: str, content_type: str) -> None:
    response = add_film(name, MP4_START + b"<html> later in a video is no page", content_type)

    assert response.status_code == 302, response.content[:2000]
    stored = FilmWork.objects.get().file.name
    assert stored.startswith("films/")
    assert stored.endswith(PurePath(name).suffix)


def test_allowed_extensions_and_types_come_from_settings(
    add_film: Callable[..., Any], settings: Settings
) -> None:
    settings.FILM_ALLOWED_EXTENSIONS = ["webm"]
    settings.FILM_ALLOWED_CONTENT_TYPES = ["video/webm"]

    assert "Allowed extensions: webm." in add_film("film.mp4", MP4_START, "video/mp4").content.decode()
    assert add_film("film.webm", MP4_START, "video/webm").status_code == 302


def test_the_error_is_translated(add_film: Callable[..., Any]) -> None:
    response = add_film("page.html", PAGE, "text/html", language="ru")

    assert "«page.html» — не файл фильма. Допустимые расширения: mp4," in response.content.decode()
