"""Every storage backend, through the model and through the admin: the bytes stored are the bytes
read back and downloaded, and replaced, cleared or deleted files leave storage."""

import hashlib
import html
import os
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from devstack.services import Nginx
from movies.admin import FilmWorkAdmin
from movies.models import FilmWork

pytestmark = pytest.mark.django_db


def download(url: str, request: pytest.FixtureRequest) -> bytes:
    """The bytes behind a file URL, over HTTP through nginx, as a browser gets them (a `local` link is a
    path on the site; the others point at nginx's public address already)."""
    nginx: Nginx = request.getfixturevalue("nginx_server")
    if url.startswith("/"):
        url = nginx.address + url
    assert url.startswith(nginx.address), f"{url} does not go through nginx"
    response = httpx.get(url, timeout=60)
    assert response.status_code == 200, response.text[:300]
    return response.content


def test_model_save_stores_the_bytes(film_storage: Storage) -> None:
    content = os.urandom(300_000)

    film = FilmWork.objects.create(title="Stalker", file=ContentFile(content, name="Сталкер 1979.mp4"))

    film.refresh_from_db()
    assert film.file.name
    assert film.file_size == len(content)
    assert (film.file_original_name, film.file_content_type) == ("Сталкер 1979.mp4", "video/mp4")
    with film.file.open("rb") as stored:
        assert stored.read() == content
    assert film_storage.exists(film.file.name)
    assert film_storage.size(film.file.name) == len(content)


def test_url_downloads_the_same_bytes(film_storage: Storage, request: pytest.FixtureRequest) -> None:
    content = os.urandom(100_000)
    film = FilmWork.objects.create(title="Mirror", file=ContentFile(content, name="mirror.mkv"))

    assert hashlib.sha256(download(film.file.url, request)).digest() == hashlib.sha256(content).digest()


def test_exists_is_false_for_a_file_never_stored(film_storage: Storage) -> None:
    assert not film_storage.exists("films/never-stored.mp4")
    assert not film_storage.exists("NeverStored")


def test_admin_add_form_stores_the_file(
    film_storage: Storage, admin_client: Client, film_form: Callable[..., dict[str, Any]]
) -> None:
    content = os.urandom(50_000)
    upload = SimpleUploadedFile("Андрей Рублёв.mp4", content, content_type="video/mp4")

    response = admin_client.post(reverse("admin:movies_filmwork_add"), film_form(file=upload))

    assert response.status_code == 302, response.content[:2000]
    film = FilmWork.objects.get(title="Solaris")
    assert film.file_size == len(content)
    with film.file.open("rb") as stored:
        assert stored.read() == content


def change_page_after_adding(admin_client: Client, form: dict[str, Any]) -> tuple[FilmWork, str]:
    """Adds the film through the add form, then opens its change page: the row and the page's HTML."""
    added = admin_client.post(reverse("admin:movies_filmwork_add"), form)
    assert added.status_code == 302, added.content[:2000]
    film = FilmWork.objects.get(title="Solaris")
    return film, admin_client.get(reverse("admin:movies_filmwork_change", args=[film.pk])).content.decode()


def test_change_page_shows_the_uploaded_name_size_type_and_a_player(
    film_storage: Storage, admin_client: Client, film_form: Callable[..., dict[str, Any]]
) -> None:
    upload = SimpleUploadedFile("Андрей Рублёв.mp4", os.urandom(50_000), content_type="video/mp4")

    film, page = change_page_after_adding(admin_client, film_form(file=upload))

    url = html.escape(film.file.url.split("?")[0])  # FileAPI's and S3's links are signed anew per page
    assert (film.file_original_name, film.file_content_type) == ("Андрей Рублёв.mp4", "video/mp4")
    assert re.search(rf'<a href="{re.escape(url)}[^"]*">Андрей Рублёв.mp4</a>', page), page[:3000]
    assert '<span class="film-file-details">48.8\xa0KB · video/mp4</span>' in page
    assert re.search(
        rf'<video class="film-player" controls preload="metadata" src="{re.escape(url)}[^"]*#t=1">', page
    )


def test_a_film_the_browser_cannot_play_gets_no_player(
    film_storage: Storage, admin_client: Client, film_form: Callable[..., dict[str, Any]]
) -> None:
    upload = SimpleUploadedFile("Рублёв.avi", os.urandom(1000), content_type="video/x-msvideo")

    _film, page = change_page_after_adding(admin_client, film_form(file=upload))

    assert ">Рублёв.avi</a>" in page
    assert "video/x-msvideo" in page
    assert "<video" not in page


@pytest.fixture
def save_change_form(
    admin_client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> Callable[[FilmWork, dict[str, Any]], None]:
    """Saves a film's change form, runs what waits for the commit, and reloads the film."""

    def save(film: FilmWork, form: dict[str, Any]) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(reverse("admin:movies_filmwork_change", args=[film.pk]), form)
        assert response.status_code == 302, response.content[:2000]
        film.refresh_from_db()

    return save


@pytest.fixture
def solaris(film_storage: Storage) -> FilmWork:
    """A film with a file in the backend of `film_storage`."""
    return FilmWork.objects.create(title="Solaris", file=ContentFile(b"first cut", name="solaris.mp4"))


def test_replacing_the_file_deletes_the_old_one(
    solaris: FilmWork, film_form: Callable[..., dict[str, Any]], save_change_form: Callable[..., None]
) -> None:
    old_name = solaris.file.name
    new_upload = SimpleUploadedFile("solaris.mp4", b"director's cut", content_type="video/mp4")

    save_change_form(solaris, film_form(file=new_upload))

    assert solaris.file.name != old_name
    with solaris.file.open("rb") as stored:
        assert stored.read() == b"director's cut"
    assert not solaris.file.storage.exists(old_name)


def test_clearing_the_file_deletes_it(
    solaris: FilmWork, film_form: Callable[..., dict[str, Any]], save_change_form: Callable[..., None]
) -> None:
    old_name = solaris.file.name

    save_change_form(solaris, film_form(**{"file-clear": "on"}))

    assert solaris.file.name == ""
    assert (solaris.file_size, solaris.file_original_name, solaris.file_content_type) == (None, "", "")
    assert not solaris.file.storage.exists(old_name)


def test_deleting_the_film_deletes_its_file(
    film_storage: Storage,
    admin_client: Client,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    film = FilmWork.objects.create(title="Solaris", file=ContentFile(b"frames", name="solaris.mp4"))

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:movies_filmwork_delete", args=[film.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not FilmWork.objects.filter(pk=film.pk).exists()
    assert not film_storage.exists(film.file.name)


def test_file_is_kept_until_the_change_commits(
    film_storage: Storage, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    film = FilmWork.objects.create(title="Solaris", file=ContentFile(b"frames", name="solaris.mp4"))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        film.delete()
        assert film_storage.exists(film.file.name)  # a rollback would still need it

    assert len(callbacks) == 1


def test_inline_error_keeps_no_stored_file(
    film_storage: Storage,
    admin_client: Client,
    film_form: Callable[..., dict[str, Any]],
    stored_names: Callable[[Storage], set[str]],
) -> None:
    before = stored_names(film_storage)
    broken_inline = {  # a person row without a person: the page comes back with an error
        "personfilmwork_set-TOTAL_FORMS": "1",
        "personfilmwork_set-0-role": "actor",
    }

    response = admin_client.post(
        reverse("admin:movies_filmwork_add"),
        film_form(
            file=SimpleUploadedFile("solaris.mp4", b"frames", content_type="video/mp4"), **broken_inline
        ),
    )

    assert response.status_code == 200
    inline_errors = {
        inline.formset.prefix: inline.formset.errors for inline in response.context["inline_admin_formsets"]
    }
    assert inline_errors["personfilmwork_set"] == [{"person": ["This field is required."]}]
    assert response.context["adminform"].form.errors == {}  # the film itself was valid: its file was stored
    assert not FilmWork.objects.exists()
    assert stored_names(film_storage) == before


def test_a_save_rolled_back_after_the_upload_keeps_no_stored_file(
    film_storage: Storage,
    admin_client: Client,
    film_form: Callable[..., dict[str, Any]],
    stored_names: Callable[[Storage], set[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = stored_names(film_storage)

    def fail(*args: Any) -> None:
        raise RuntimeError("the database went away after the film was stored")

    # save_related runs after the row is saved, in the view's transaction.
    monkeypatch.setattr(FilmWorkAdmin, "save_related", fail)

    with pytest.raises(RuntimeError, match="the database went away"):
        admin_client.post(
            reverse("admin:movies_filmwork_add"),
            film_form(file=SimpleUploadedFile("solaris.mp4", b"frames", content_type="video/mp4")),
        )

    assert not FilmWork.objects.exists()
    assert stored_names(film_storage) == before


@pytest.mark.parametrize("backend", ["s3", "minio"])
def test_s3_links_are_presigned_for_the_public_endpoint(
    backend: str, use_film_storages: Callable[..., Storage], s3_server: Any
) -> None:
    """Inside Compose the admin reaches S3 as http://minio:9000; a browser must get the public address."""
    storage = use_film_storages(backend, S3_PUBLIC_ENDPOINT_URL="https://files.cinema.example")

    url = storage.url("films/solaris.mp4")

    assert url.startswith("https://files.cinema.example/admin-films-")
    assert "/films/solaris.mp4?" in url
    assert "X-Amz-Signature=" in url
    assert s3_server.endpoint_url not in url


def test_file_api_links_use_the_public_url(use_film_storages: Callable[..., Storage]) -> None:
    storage = use_film_storages("file_api", FILE_API_PUBLIC_URL="https://cinema.example/")

    assert storage.url("Q7dWSbLVRJZxm6JZ34FnHP").startswith(
        "https://cinema.example/api/v1/download-stream/Q7dWSbLVRJZxm6JZ34FnHP?expires="
    )
