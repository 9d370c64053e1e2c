"""`check_storage` and `transfer_files`, on the harness's real storages (the health URLs: test_health.py)."""

import hashlib
import uuid
from collections.abc import Callable
from io import StringIO

import httpx
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.core.management import call_command
from django.core.management.base import CommandError

from devstack.services import AdminPanel, FileAPI, SeaweedFS
from devstack.settings import free_ports
from file_storage.config import storage_alias
from movies.models import FilmWork

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def sha256_of(storage: Storage, name: str) -> str:
    with storage.open(name) as stored:
        return hashlib.sha256(stored.read()).hexdigest()


class TestCheckStorage:
    def test_reachable_backend(self, film_storage: Storage) -> None:
        from django.conf import settings

        output = run("check_storage")

        assert f"FILE_STORAGE_BACKEND: {settings.FILE_STORAGE_BACKEND}" in output
        assert f"{settings.FILE_STORAGE_BACKEND}: reachable (" in output

    @pytest.mark.parametrize("backend", ["s3", "minio", "file_api"])
    def test_unreachable_backend_fails(self, backend: str, use_film_storages: Callable[..., Storage]) -> None:
        nowhere = f"http://127.0.0.1:{free_ports(1)[0]}"
        use_film_storages(backend, S3_ENDPOINT_URL=nowhere, FILE_API_URL=nowhere)

        with pytest.raises(CommandError, match=rf"^{backend}: unreachable: "):
            run("check_storage")


def test_admin_process_answers_through_gunicorn(admin_server: AdminPanel) -> None:
    login = httpx.get(f"{admin_server.base_url}/admin/login/")
    assert login.status_code == 200
    assert 'name="username"' in login.text


@pytest.fixture
def interrupted_run(films_in_local: list[FilmWork], s3_server: SeaweedFS) -> FilmWork:
    """Solaris copied to s3 under the same name by a run that stopped before deleting the original."""
    solaris = films_in_local[0]
    with storages[storage_alias("local")].open(solaris.file.name) as original:
        storages[storage_alias("s3")].save(solaris.file.name, original)
    return solaris


@pytest.fixture
def films_in_local(use_film_storages: Callable[..., Storage]) -> list[FilmWork]:
    """Three films whose files are in the `local` storage, under names and with bytes of this test's own
    (the storages outlive a test: a same-named file left by another must not look like a copy)."""
    use_film_storages("local")
    run_id = uuid.uuid4().hex[:8]
    return [
        FilmWork.objects.create(
            title=title, file=ContentFile(f"{title} {run_id}".encode() * 1000, name=f"{title}_{run_id}.mp4")
        )
        for title in ("Solaris", "Stalker", "Mirror")
    ]


@pytest.fixture
def films_switched_to_file_api(
    films_in_local: list[FilmWork], file_api_server: FileAPI, use_film_storages: Callable[..., Storage]
) -> list[FilmWork]:
    """The films of `films_in_local`, FILE_STORAGE_BACKEND then switched to file_api (switch, then move)."""
    use_film_storages("file_api")
    return films_in_local


@pytest.fixture
def film_in_file_api(file_api_server: FileAPI, use_film_storages: Callable[..., Storage]) -> FilmWork:
    """Solaris with its file in FileAPI, uploaded as `Solaris <run id>.mkv`; `file_api` is the selected
    backend, until the test switches."""
    use_film_storages("file_api")
    original_name = f"Solaris {uuid.uuid4().hex[:8]}.mkv"
    return FilmWork.objects.create(title="Solaris", file=ContentFile(b"frames" * 100, name=original_name))


class TestTransferFiles:
    @pytest.mark.parametrize("target", ["s3", "minio", "file_api"])
    def test_moves_every_file_verified(
        self,
        target: str,
        films_in_local: list[FilmWork],
        s3_server: SeaweedFS,
        file_api_server: FileAPI,
        use_film_storages: Callable[..., Storage],
    ) -> None:
        use_film_storages(target)
        local, new = storages[storage_alias("local")], storages[storage_alias(target)]
        digests = {film.pk: sha256_of(local, film.file.name) for film in films_in_local}

        output = run("transfer_files", "--from", "local", "--to", target)

        assert "3 file(s)" in output
        assert f"moved 3 file(s) to {target}" in output
        for film in films_in_local:
            old_name = film.file.name
            film.refresh_from_db()
            assert sha256_of(new, film.file.name) == digests[film.pk]
            assert not local.exists(old_name)

    def test_dry_run_changes_nothing(self, films_in_local: list[FilmWork], file_api_server: FileAPI) -> None:
        names = sorted(FilmWork.objects.values_list("file", flat=True))

        output = run("transfer_files", "--from", "local", "--to", "file_api", "--dry-run")

        assert output.count("would move films/") == 3
        assert sorted(FilmWork.objects.values_list("file", flat=True)) == names
        assert all(storages[storage_alias("local")].exists(name) for name in names)

    def test_second_run_resumes_and_moves_nothing_twice(
        self, films_switched_to_file_api: list[FilmWork]
    ) -> None:
        run("transfer_files", "--from", "local", "--to", "file_api")
        names = sorted(FilmWork.objects.values_list("file", flat=True))

        output = run("transfer_files", "--from", "local", "--to", "file_api")

        assert output.startswith("0 file(s), 0 bytes, to move from local to file_api; 3 already moved")
        assert sorted(FilmWork.objects.values_list("file", flat=True)) == names

    def test_copy_left_by_an_interrupted_run_is_recognised(
        self, interrupted_run: FilmWork, use_film_storages: Callable[..., Storage]
    ) -> None:
        use_film_storages("s3")
        solaris = interrupted_run

        output = run("transfer_files", "--from", "local", "--to", "s3")

        assert "2 file(s)" in output
        assert "1 already moved" in output
        assert not storages[storage_alias("local")].exists(solaris.file.name)

    def test_missing_file_is_reported_and_the_others_moved(
        self, films_switched_to_file_api: list[FilmWork]
    ) -> None:
        lost = films_switched_to_file_api[0]
        storages[storage_alias("local")].delete(lost.file.name)

        with pytest.raises(CommandError, match=f"files missing from both storages: {lost.file.name}"):
            run("transfer_files", "--from", "local", "--to", "file_api")

        moved = FilmWork.objects.exclude(pk=lost.pk).values_list("file", flat=True)
        assert all(name.isalnum() for name in moved)

    def test_same_backend_twice_is_refused(self) -> None:
        with pytest.raises(CommandError, match="--from and --to name the same backend"):
            run("transfer_files", "--from", "s3", "--to", "s3")

    def test_dry_run_after_an_interrupted_run_changes_nothing(self, interrupted_run: FilmWork) -> None:
        local, s3 = storages[storage_alias("local")], storages[storage_alias("s3")]
        rows = sorted(FilmWork.objects.values_list("pk", "file", "file_size"))
        names = [name for _, name, _ in rows]
        in_s3_before = {name for name in names if s3.exists(name)}

        output = run("transfer_files", "--from", "local", "--to", "s3", "--dry-run")

        assert "2 file(s)" in output
        assert "1 already moved" in output
        assert f"would point 'Solaris' at its copy {interrupted_run.file.name}" in output
        assert sorted(FilmWork.objects.values_list("pk", "file", "file_size")) == rows
        assert all(local.exists(name) for name in names)
        assert {name for name in names if s3.exists(name)} == in_s3_before == {interrupted_run.file.name}

    def test_moving_out_of_file_api_keeps_the_original_name(
        self, film_in_file_api: FilmWork, use_film_storages: Callable[..., Storage]
    ) -> None:
        film, file_api = film_in_file_api, storages[storage_alias("file_api")]
        short_name = film.file.name
        assert "." not in short_name  # FileAPI's own id
        digest = sha256_of(file_api, short_name)
        local = use_film_storages("local")

        run("transfer_files", "--from", "file_api", "--to", "local")

        film.refresh_from_db()
        assert film.file.name == f"films/{film.file_original_name.replace(' ', '_')}"
        assert sha256_of(local, film.file.name) == digest
        assert not file_api.exists(short_name)

    def test_a_copy_out_of_file_api_left_by_an_interrupted_run_is_used(
        self, film_in_file_api: FilmWork, use_film_storages: Callable[..., Storage]
    ) -> None:
        film, file_api, local = (
            film_in_file_api,
            storages[storage_alias("file_api")],
            use_film_storages("local"),
        )
        short_name, name_in_local = film.file.name, f"films/{film.file_original_name.replace(' ', '_')}"
        with file_api.open(short_name) as original:
            copy_name = local.save(name_in_local, original)  # then the run stopped
        assert copy_name == name_in_local

        dry_run = run("transfer_files", "--from", "file_api", "--to", "local", "--dry-run")
        assert f"would point 'Solaris' at its copy {copy_name}" in dry_run
        assert FilmWork.objects.get(pk=film.pk).file.name == short_name
        output = run("transfer_files", "--from", "file_api", "--to", "local")

        assert output.startswith("0 file(s), 0 bytes, to move from file_api to local; 1 already moved")
        assert FilmWork.objects.get(pk=film.pk).file.name == copy_name
        assert not file_api.exists(short_name)

    def test_moving_away_from_the_selected_backend_is_refused(self, films_in_local: list[FilmWork]) -> None:
        names = sorted(FilmWork.objects.values_list("file", flat=True))

        with pytest.raises(
            CommandError,
            match=r"FILE_STORAGE_BACKEND is local.*Switch first: set "
            r"FILE_STORAGE_BACKEND=s3 .* then run transfer_files --from local --to s3",
        ):
            run("transfer_files", "--from", "local", "--to", "s3")

        assert sorted(FilmWork.objects.values_list("file", flat=True)) == names
