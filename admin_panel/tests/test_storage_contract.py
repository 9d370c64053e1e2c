"""The Storage contract every film storage keeps, on the harness's real services: argument rules, text
and empty files, files of unknown size, seekable remote files, times and sizes from the stored metadata.

`local` (Django's FileSystemStorage) runs the same tests as the reference: the remote storages must
behave as it does. Django's own storage tests run in tests/storage_contract.
"""

import io
import os
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

import pytest
from django.core.exceptions import SuspiciousFileOperation
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from pytest_django.fixtures import Settings

from devstack.services import SeaweedFS
from file_storage.backends.file_api import FileAPIStorage
from file_storage.backends.minio import MinioFilmStorage
from file_storage.backends.s3 import S3FilmStorage
from file_storage.remote_files import ChunksReader

MiB = 1024**2
REMOTE_BACKENDS = ["s3", "minio", "file_api"]


@pytest.fixture
def stored(film_storage: Storage) -> Iterator[Callable[[bytes], str]]:
    """Saves bytes in the storage; deletes them after the test."""
    names: list[str] = []

    def store(content: bytes) -> str:
        names.append(film_storage.save("films/contract.bin", ContentFile(content)))
        return names[-1]

    yield store
    for name in names:
        film_storage.delete(name)


# Argument rules


@pytest.mark.parametrize("name", ["", None])
def test_delete_without_a_name_is_refused(
    film_storage: Storage, stored: Callable[[bytes], str], name: Any
) -> None:
    kept = stored(b"kept")

    with pytest.raises(ValueError, match=r"^The name must be given to delete\(\)\.$"):
        film_storage.delete(name)
    assert film_storage.exists(kept)


@pytest.mark.parametrize("name", ["..", "/etc/passwd", "films/../../etc/passwd"])
def test_names_outside_the_storage_are_suspicious(film_storage: Storage, name: str) -> None:
    with pytest.raises(SuspiciousFileOperation):
        film_storage.exists(name)
    with pytest.raises(SuspiciousFileOperation):
        film_storage.open(name)
    with pytest.raises(SuspiciousFileOperation):
        film_storage.delete(name)


def test_names_may_be_paths(film_storage: Storage, stored: Callable[[bytes], str]) -> None:
    name = PurePosixPath(stored(b"path"))

    assert film_storage.exists(name)  # type: ignore[arg-type]
    assert film_storage.size(name) == 4  # type: ignore[arg-type]


# Content: text, empty, unknown size


def test_text_is_stored_as_utf8(film_storage: Storage) -> None:
    name = film_storage.save("films/unicode.txt", ContentFile("español"))

    assert film_storage.size(name) == len("español".encode()) == 8
    with film_storage.open(name, "rb") as binary:
        assert binary.read() == "español".encode()
    with film_storage.open(name, "r") as text:
        assert text.read() == "español"
    film_storage.delete(name)


def test_empty_file_is_stored(film_storage: Storage) -> None:
    name = film_storage.save("films/empty.bin", ContentFile(b""))

    assert film_storage.exists(name)
    assert film_storage.size(name) == 0
    with film_storage.open(name) as stored_file:
        assert stored_file.read() == b""
        assert list(stored_file.chunks()) == []
    film_storage.delete(name)


def test_stream_of_unknown_size_is_stored(film_storage: Storage) -> None:
    """A file that cannot tell its size (a urlopen() response, a generator) is sent as it comes."""
    content = os.urandom(3 * MiB + 5)
    parts = (content[start : start + 100_000] for start in range(0, len(content), 100_000))
    stream = File(io.BufferedReader(ChunksReader(parts)), name="stream.bin")
    with pytest.raises(io.UnsupportedOperation):
        stream.size  # noqa: B018  # Django's File cannot tell it

    name = film_storage.save("films/stream.bin", stream)

    assert film_storage.size(name) == len(content)
    with film_storage.open(name) as stored_file:
        assert stored_file.read() == content
    film_storage.delete(name)


# Seekable remote files


def test_chunks_after_a_read_give_the_whole_file(
    film_storage: Storage, stored: Callable[[bytes], str]
) -> None:
    content = os.urandom(MiB + 17)
    with film_storage.open(stored(content)) as stored_file:
        assert stored_file.read(1000) == content[:1000]
        assert b"".join(stored_file.chunks()) == content  # chunks() starts from the beginning
        assert b"".join(stored_file.chunks()) == content  # ...every time


def test_the_end_is_read_first_and_any_offset_after(
    film_storage: Storage, stored: Callable[[bytes], str]
) -> None:
    content = os.urandom(2 * MiB)
    with film_storage.open(stored(content)) as stored_file:
        assert stored_file.seekable()
        assert stored_file.seek(-100, os.SEEK_END) == len(content) - 100
        assert stored_file.read() == content[-100:]
        assert stored_file.read() == b""
        for offset in (5, MiB + 3, 1_500_000, 0, len(content) - 1):
            stored_file.seek(offset)
            assert stored_file.tell() == offset
            assert stored_file.read(4096) == content[offset : offset + 4096]
        stored_file.seek(len(content) + 10)
        assert stored_file.read() == b""


def test_text_file_is_seekable(film_storage: Storage) -> None:
    name = film_storage.save("films/text.txt", ContentFile("один, два, три"))
    with film_storage.open(name, "r") as text:
        assert text.read() == "один, два, три"
        text.seek(0)
        assert text.read(4) == "один"
    film_storage.delete(name)


@pytest.mark.slow
def test_seeking_in_a_film_reads_in_bounded_memory(
    film_storage: Storage, stored: Callable[[bytes], str]
) -> None:
    """The end of a 64 MiB film, then the whole film in chunks: never more than a few read buffers."""
    block = os.urandom(MiB)
    content = block * 64
    name = stored(content)

    tracemalloc.start()
    try:
        with film_storage.open(name) as stored_file:
            stored_file.seek(-10, os.SEEK_END)
            assert stored_file.read() == content[-10:]
            for index, chunk in enumerate(stored_file.chunks(chunk_size=MiB)):
                assert chunk == block, f"chunk {index} differs"
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * MiB, f"reading a 64 MiB film peaked at {peak / MiB:.1f} MiB of Python memory"


# Times and size are the stored metadata


def stored_metadata(storage: Storage, name: str, request: pytest.FixtureRequest) -> tuple[datetime, int]:
    """When the object was stored and its size, asked of the server itself, not through the storage."""
    if isinstance(storage, FileAPIStorage):
        metadata = storage.client.get(f"/api/v1/files/{name}").raise_for_status().json()
        return datetime.fromisoformat(metadata["created_at"]), int(metadata["size"])
    s3: SeaweedFS = request.getfixturevalue("s3_server")
    if isinstance(storage, S3FilmStorage):
        bucket, key = storage.bucket_name, storage._normalize_name(name)
    else:
        assert isinstance(storage, MinioFilmStorage)
        bucket, key = storage.bucket, name
    stat = s3.client.stat_object(bucket_name=bucket, object_name=key)
    assert stat.last_modified is not None
    assert stat.size is not None
    return stat.last_modified, stat.size


@pytest.mark.parametrize("backend", REMOTE_BACKENDS)
def test_times_and_size_are_the_stored_metadata(
    backend: str,
    use_film_storages: Callable[..., Storage],
    request: pytest.FixtureRequest,
    settings: Settings,
) -> None:
    request.getfixturevalue("file_api_server" if backend == "file_api" else "s3_server")
    storage = use_film_storages(backend)
    name = storage.save("films/times.bin", ContentFile(b"x" * 1234))
    stored_at, size = stored_metadata(storage, name, request)

    assert storage.size(name) == size == 1234
    settings.USE_TZ = True
    assert storage.get_created_time(name) == storage.get_modified_time(name) == stored_at
    assert storage.get_modified_time(name).utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - stored_at) < timedelta(minutes=1)
    settings.USE_TZ = False  # naive, in the machine's local time, as FileSystemStorage's times
    assert storage.get_modified_time(name) == datetime.fromtimestamp(stored_at.timestamp())
    with pytest.raises(NotImplementedError):
        storage.get_accessed_time(name)  # no backend records it
    storage.delete(name)


@pytest.mark.parametrize("backend", REMOTE_BACKENDS)
def test_missing_file_is_file_not_found(
    backend: str, use_film_storages: Callable[..., Storage], request: pytest.FixtureRequest
) -> None:
    request.getfixturevalue("file_api_server" if backend == "file_api" else "s3_server")
    storage = use_film_storages(backend)
    for operation in (storage.size, storage.get_modified_time, storage.get_created_time, storage.open):
        with pytest.raises(FileNotFoundError):
            operation("NeverStored")


# Listing


def test_listdir_pages_through_file_api(
    file_api_server: Any, use_film_storages: Callable[..., Storage], monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = use_film_storages("file_api")
    names = {storage.save("films/page.bin", ContentFile(b"page")) for _ in range(5)}
    everything = set(storage.listdir("")[1])

    monkeypatch.setattr(FileAPIStorage, "LIST_PAGE_SIZE", 2)
    directories, files = storage.listdir("")

    assert directories == []
    assert len(files) == len(set(files)), "a name came back twice"
    assert set(files) == everything >= names
    for name in names:
        storage.delete(name)
