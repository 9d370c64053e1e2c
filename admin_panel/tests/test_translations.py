"""The admin in Russian and in English, and a Russian translation for every message."""

import subprocess

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from .helpers import CHANGELIST_URL

PO_FILE = settings.LOCALE_PATHS[0] / "ru" / "LC_MESSAGES" / "django.po"


def get_in_language(client: Client, url: str, language: str) -> str:
    # LocaleMiddleware activates the browser's language in this thread and leaves it active: restore it.
    with translation.override(translation.get_language()):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, response
    assert response["Content-Language"] == language
    return response.content.decode()


@pytest.mark.usefixtures("demo_catalogue")
def test_admin_speaks_russian_to_a_russian_browser(admin_client: Client) -> None:
    html = get_in_language(admin_client, CHANGELIST_URL, "ru")

    # The catalogue's own labels (model, columns, filter choices), not only Django's.
    for label in ("Выберите кинопроизведение для изменения", "Размер файла", "без рейтинга", "сериал"):
        assert label in html


def test_admin_index_names_the_catalogue_in_russian(admin_client: Client, db: None) -> None:
    html = get_in_language(admin_client, "/admin/", "ru")

    for label in ("Каталог фильмов", "Кинопроизведения", "Жанры", "Персоны"):
        assert label in html


@pytest.mark.usefixtures("demo_catalogue")
def test_admin_speaks_english_to_an_english_browser(admin_client: Client) -> None:
    html = get_in_language(admin_client, CHANGELIST_URL, "en")

    for label in ("Select film work to change", "File size", "no rating", "TV show"):
        assert label in html


def test_every_message_has_a_russian_translation() -> None:
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(PO_FILE)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    # msgfmt counts "N translated messages" and adds ", M fuzzy ..., K untranslated ..." when there are any.
    assert "fuzzy" not in result.stderr
    assert "untranslated" not in result.stderr
