"""Fixtures of the admin suite: compiled translations, the demo catalogue, and the film storage
switched to each backend against the harness's real SeaweedFS and FileAPI. (Django's test database
lives on the harness's real Postgres: devstack's pytest plugin points it there.)"""

import contextlib
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import environ
import pytest
from django.core.files.storage import Storage, storages
from django.utils import translation
from pytest_django.fixtures import Settings

from devstack.services import AdminPanel
from devstack.settings import StackConfig
from file_storage.backends.file_api import FileAPIStorage
from file_storage.config import BACKENDS, FILM_STORAGE_ALIAS, film_storages, storage_alias
from movies.models import FilmWork

# The servers each backend needs from the harness.
SERVERS_OF_BACKEND = {
    "local": [],
    "s3": ["s3_server"],
    "minio": ["s3_server"],
    "file_api": ["file_api_server"],
}


@pytest.fixture(scope="session", autouse=True)
def compiled_translations() -> None:
    """Compiles the .po files whose .mo is missing or older: .mo files are build output, not in git.

    Runs before any test so that no Russian catalogue is loaded (and cached by Django) without them.
    """
    from django.conf import settings
    from django.core.management import CommandError, call_command

    # compilemessages also compiles every `locale` folder below the working directory (from the
    # repository root, the venv's); from inside our own locale folder there is nothing else to find.
    with contextlib.chdir(Path(settings.LOCALE_PATHS[0])):
        try:
            call_command("compilemessages", verbosity=0)
        except CommandError as exc:
            pytest.fail(
                f"cannot compile the admin's translations ({exc}); scripts/install-system-packages "
                "installs gettext"
            )


@pytest.fixture(autouse=True)
def settings_language() -> Iterator[None]:
    """A request through the test client leaves its language (Accept-Language) active in the thread, as
    LocaleMiddleware never deactivates it: each test starts from LANGUAGE_CODE."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def demo_catalogue(db: None) -> None:
    """The catalogue of `manage.py load_demo_data`, in this test's transaction."""
    from django.core.management import call_command

    call_command("load_demo_data", stdout=io.StringIO())


@pytest.fixture(scope="session")
def admin_environment(stack_config: StackConfig) -> dict[str, str]:
    """The environment the admin process of the harness gets: harness ports, credentials, media root."""
    return AdminPanel(stack_config).environment()


@pytest.fixture
def use_film_storages(
    settings: Settings, admin_environment: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Storage]:
    """Configures every `films_*` storage on the harness and selects one backend as FilmWork's storage."""

    def use(backend: str, **environment: str) -> Storage:
        env = environ.Env()
        env.ENVIRON = admin_environment | environment
        configs = film_storages(env, media_root=Path(env.str("DJANGO_MEDIA_ROOT")), media_url="media/")
        settings.STORAGES = {
            **settings.STORAGES,
            **configs,
            FILM_STORAGE_ALIAS: configs[storage_alias(backend)],
        }
        settings.FILE_STORAGE_BACKEND = backend
        storage = storages[FILM_STORAGE_ALIAS]
        # The field took its storage when the model was imported, as it does in production.
        monkeypatch.setattr(FilmWork._meta.get_field("file"), "storage", storage)
        return storage

    return use


@pytest.fixture(params=BACKENDS)
def film_storage(request: pytest.FixtureRequest, use_film_storages: Callable[..., Storage]) -> Storage:
    """FilmWork's storage switched to each backend in turn, its servers running."""
    for server in SERVERS_OF_BACKEND[request.param]:
        request.getfixturevalue(server)
    return use_film_storages(request.param)


@pytest.fixture
def film_form() -> Callable[..., dict[str, Any]]:
    """POST data of the FilmWork admin form, with empty inlines unless given."""

    def form(**fields: Any) -> dict[str, Any]:
        data: dict[str, Any] = {"title": "Solaris", "type": "movie", "description": "", "rating": "85"}
        for inline in ("genrefilmwork_set", "personfilmwork_set"):
            data |= {f"{inline}-TOTAL_FORMS": "0", f"{inline}-INITIAL_FORMS": "0"}
        return data | fields

    return form


@pytest.fixture
def stored_names() -> Callable[[Storage], set[str]]:
    """Every file a storage holds where FilmWork files go (FileAPI is flat, the others use `films/`)."""

    def names(storage: Storage) -> set[str]:
        path = "" if isinstance(storage, FileAPIStorage) else "films"
        try:
            return {f"{path}/{name}".lstrip("/") for name in storage.listdir(path)[1]}
        except FileNotFoundError:  # a local directory nothing was stored in yet
            return set()

    return names
