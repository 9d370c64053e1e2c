"""RemoteFile's reader on its own: which ranges it asks for, and what it does when a stream is cut.

The storages' tests (test_storage_contract.py) prove the same reads against the real servers; here a
recording `open_at` shows the requests they cannot show.
"""

import io

import pytest

from file_storage.remote_files import RangedReader, RemoteFile

CONTENT = bytes(range(256)) * 4096  # 1 MiB: more than a read buffer (256 KiB)


class Recorder:
    """An `open_at` that serves CONTENT from an offset and remembers every offset asked for."""

    def __init__(self, cut_after: int | None = None) -> None:
        self.offsets: list[int] = []
        self.cut_after = cut_after

    def __call__(self, offset: int) -> io.BytesIO:
        self.offsets.append(offset)
        end = len(CONTENT) if self.cut_after is None else offset + self.cut_after
        return io.BytesIO(CONTENT[offset:end])


def test_a_seek_opens_nothing_until_a_read() -> None:
    recorder = Recorder()
    reader = RangedReader(recorder, len(CONTENT))

    reader.seek(500_000)
    reader.seek(-10, io.SEEK_END)
    assert recorder.offsets == []
    assert reader.read() == CONTENT[-10:]
    assert recorder.offsets == [len(CONTENT) - 10]


def test_each_new_position_is_one_range_request() -> None:
    recorder = Recorder()
    remote = RemoteFile("film.mkv", len(CONTENT), recorder, first=None, mode="rb")

    assert remote.read(100) == CONTENT[:100]
    remote.seek(100_000)  # inside the read buffer: served from memory
    assert remote.read(10) == CONTENT[100_000:100_010]
    remote.seek(900_000)
    assert remote.read(10) == CONTENT[900_000:900_010]
    assert b"".join(remote.chunks(chunk_size=65536)) == CONTENT
    assert recorder.offsets == [0, 900_000, 0]


def test_the_first_response_is_used_before_any_request() -> None:
    recorder = Recorder()
    remote = RemoteFile("film.mkv", len(CONTENT), recorder, first=io.BytesIO(CONTENT), mode="rb")

    assert remote.read() == CONTENT
    assert recorder.offsets == []


def test_nothing_is_asked_past_the_end() -> None:
    recorder = Recorder()
    reader = RangedReader(recorder, len(CONTENT))

    reader.seek(len(CONTENT) + 100)
    assert reader.read() == b""
    assert recorder.offsets == []


def test_a_cut_stream_is_an_error_not_a_short_file() -> None:
    remote = RemoteFile("film.mkv", len(CONTENT), Recorder(cut_after=1000), first=None, mode="rb")

    with pytest.raises(OSError, match="ended at byte 1000 of 1048576"):
        remote.read()


def test_a_closed_file_releases_its_response() -> None:
    body = io.BytesIO(CONTENT)
    remote = RemoteFile("film.mkv", len(CONTENT), Recorder(), first=body, mode="rb")
    remote.read(10)

    remote.close()
    assert body.closed


def test_a_closed_file_opens_again_from_the_storage() -> None:
    recorder = Recorder()
    remote = RemoteFile("films/film.mkv", len(CONTENT), recorder, first=None, mode="rb")
    remote.read(10)
    remote.close()

    with remote.open() as reopened:  # what FieldFile.open() does with a closed file
        assert reopened.read() == CONTENT
    assert recorder.offsets == [0, 0]
