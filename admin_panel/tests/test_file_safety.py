"""No film file is lost: two editors racing on one film, files shared by rows, and deletions a storage
refuses (recorded, then retried by `manage.py retry_deletions`)."""

import threading
from collections.abc import Callable
from dataclasses import replace
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from pytest_django import DjangoCaptureOnCommitCallbacks

from devstack.services import FileAPI
from devstack.settings import StackConfig, free_ports
from devstack.testing import running
from file_storage.models import PendingDeletion
from movies.models import FilmWork

TIMEOUT = 30  # seconds a racing editor waits for the other before the test fails


class Editor(threading.Thread):
    """Editor B: loads the film in a transaction of its own, waits for a signal, then saves `edit`."""

    def __init__(self, pk: object, edit: Callable[[FilmWork], None], go: threading.Event) -> None:
        super().__init__()
        self.pk, self.edit, self.go = pk, edit, go
        self.loaded = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with transaction.atomic():
                film = FilmWork.objects.get(pk=self.pk)
                self.loaded.set()
                assert self.go.wait(TIMEOUT)
                self.edit(film)
                film.save()
        except BaseException as exc:
            self.error = exc
        finally:
            connection.close()  # the thread's own connection


def race(pk: object, edit_a: Callable[[FilmWork], None], edit_b: Callable[[FilmWork], None]) -> str:
    """B loads the film; A edits and commits; then B saves what it loaded before A's commit.
    Returns the file name A saved."""
    a_committed = threading.Event()
    editor_b = Editor(pk, edit_b, a_committed)
    editor_b.start()
    assert editor_b.loaded.wait(TIMEOUT)
    with transaction.atomic():
        film = FilmWork.objects.get(pk=pk)
        edit_a(film)
        film.save()
    a_committed.set()
    editor_b.join(TIMEOUT)
    assert not editor_b.is_alive()
    if editor_b.error is not None:
        raise editor_b.error
    return str(film.file.name)


def replace_file(content: bytes) -> Callable[[FilmWork], None]:
    def edit(film: FilmWork) -> None:
        film.file = ContentFile(content, name="solaris.mp4")  # type: ignore[assignment]

    return edit


def retitle(film: FilmWork) -> None:
    film.title = "Solaris (1972)"


def content_of(film: FilmWork) -> bytes:
    with film.file.open("rb") as stored:
        return stored.read()


@pytest.mark.django_db(transaction=True)
class TestTwoEditors:
    @pytest.fixture
    def local(self, use_film_storages: Callable[..., Storage]) -> Storage:
        return use_film_storages("local")

    def test_a_stale_save_keeps_the_file_another_editor_stored(self, local: Storage) -> None:
        film = FilmWork.objects.create(title="Solaris", file=ContentFile(b"X", name="solaris.mp4"))
        x = film.file.name

        y = race(film.pk, edit_a=replace_file(b"Y-Y"), edit_b=retitle)

        film.refresh_from_db()
        assert film.file.name == y
        assert film.title == "Solaris (1972)"  # B's change stands
        assert content_of(film) == b"Y-Y"  # and so does A's file, which exists
        assert film.file_size == 3
        assert not local.exists(x)  # replaced by A: nothing refers to it any more

    def test_the_later_upload_wins_and_both_replaced_files_go(self, local: Storage) -> None:
        film = FilmWork.objects.create(title="Solaris", file=ContentFile(b"X", name="solaris.mp4"))
        x = film.file.name

        y = race(film.pk, edit_a=replace_file(b"Y-Y"), edit_b=replace_file(b"Z"))

        film.refresh_from_db()
        assert content_of(film) == b"Z"
        assert film.file_size == 1
        assert not local.exists(x)
        assert not local.exists(y)


@pytest.mark.django_db
def test_a_file_another_row_refers_to_is_not_deleted(
    use_film_storages: Callable[..., Storage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    local = use_film_storages("local")
    solaris = FilmWork.objects.create(title="Solaris", file=ContentFile(b"X", name="solaris.mp4"))
    shared = solaris.file.name
    FilmWork.objects.create(title="Solaris (restored)", file=shared)

    with django_capture_on_commit_callbacks(execute=True):
        solaris.file = ContentFile(b"Y", name="solaris.mp4")  # type: ignore[assignment]
        solaris.save()

    assert local.exists(shared)


@pytest.mark.django_db
def test_a_deletion_the_storage_refuses_is_recorded_and_retried(
    stack_config: StackConfig,
    file_api_server: FileAPI,
    use_film_storages: Callable[..., Storage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    # A FileAPI of this test's own, on the harness's database and S3: it can be stopped and started.
    own = replace(stack_config, env={**stack_config.env, "FILE_API_PORT": str(free_ports(1)[0])})
    with running(FileAPI(own)) as file_api:
        storage = use_film_storages("file_api", FILE_API_URL=file_api.base_url)
        film = FilmWork.objects.create(title="Solaris", file=ContentFile(b"frames", name="solaris.mp4"))
        name = film.file.name

    with django_capture_on_commit_callbacks(execute=True):
        film.delete()  # FileAPI is down: the row goes, the file stays and is recorded

    pending = PendingDeletion.objects.get()
    assert (pending.storage, pending.name, pending.attempts) == ("films_file_api", name, 1)
    assert pending.error.startswith("FileAPIError: FileAPI is unavailable")
    with pytest.raises(CommandError, match=r"^1 deletion\(s\) still failing"):
        call_command("retry_deletions", stdout=StringIO(), stderr=StringIO())
    assert PendingDeletion.objects.get().attempts == 2

    with running(FileAPI(own)):
        assert storage.exists(name)
        listing = StringIO()
        call_command("retry_deletions", "--list", stdout=listing)
        assert f"films_file_api {name}: 2 attempt(s), FileAPIError" in listing.getvalue()
        out = StringIO()
        call_command("retry_deletions", stdout=out)

        assert "deleted 1 file(s)" in out.getvalue()
        assert not storage.exists(name)
        assert not PendingDeletion.objects.exists()
