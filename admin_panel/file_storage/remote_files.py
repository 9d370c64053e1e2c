"""Files that live behind HTTP, read and written in bounded memory.

- `RemoteFile`: a stored file opened for reading. Its bytes stream as they are read; `seek()` moves to
  any offset by opening the stream again there with a Range request, so `chunks()` after `read()`,
  reading the end of a film first, and random access all work, holding one read buffer.
- `upload_stream`: what a storage sends when it saves a `File`: bytes, text encoded as UTF-8, and
  their number when it is known without reading them.
"""

import io
from collections.abc import Callable, Iterator
from typing import IO, Any, Protocol

from django.core.files import File

READ_BUFFER_SIZE = 256 * 1024


class Body(Protocol):
    """A response body: the object an S3 client or our `ChunksReader` gives back."""

    def read(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


# Opens the object's bytes from an offset to its end; the offset is always below the size.
OpenAt = Callable[[int], Body]


class RangedReader(io.RawIOBase):
    """A seekable raw stream over a remote object of known size.

    One response is open at a time. A seek only moves the position; the next read opens a new
    response at it (a Range request), so seeking costs nothing until data is wanted.
    """

    def __init__(self, open_at: OpenAt, size: int, first: Body | None = None) -> None:
        self._open_at = open_at
        self._size = size
        self._position = 0
        self._body = first  # the response that proved the object exists, already at offset 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        origin = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        position = origin + offset
        if position < 0:
            raise ValueError(f"negative seek position {position}")
        if position != self._position:
            self._drop_body()
            self._position = position
        return position

    def readinto(self, buffer: Any) -> int:
        wanted = min(len(buffer), self._size - self._position)
        if wanted <= 0:
            return 0
        if self._body is None:
            self._body = self._open_at(self._position)
        data = self._body.read(wanted)
        if not data:
            raise OSError(
                f"the stream ended at byte {self._position} of {self._size}: the connection was cut"
            )
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)

    def close(self) -> None:
        self._drop_body()
        super().close()

    def _drop_body(self) -> None:
        body, self._body = self._body, None
        if body is not None:
            body.close()


class ChunksReader(io.RawIOBase):
    """A raw binary stream over an iterator of byte chunks (httpx bodies are iterators, not files)."""

    def __init__(self, chunks: Iterator[bytes], close: Callable[[], None] = lambda: None) -> None:
        self._chunks = chunks
        self._pending = b""
        self._close = close

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            self._pending = next(self._chunks, b"")
            if not self._pending:
                return 0
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count

    def close(self) -> None:
        try:
            self._close()
        finally:
            super().close()


class RemoteFile(File):  # type: ignore[type-arg]
    """A stored file opened for reading: binary (`rb`) or UTF-8 text (`r`), seekable either way."""

    def __init__(self, name: str, size: int, open_at: OpenAt, first: Body | None, mode: str) -> None:
        super().__init__(self._stream(open_at, size, first, mode), name)
        self.size = size
        self.mode = mode
        self._open_at = open_at

    @staticmethod
    def _stream(open_at: OpenAt, size: int, first: Body | None, mode: str) -> IO[Any]:
        stream: IO[Any] = io.BufferedReader(RangedReader(open_at, size, first), READ_BUFFER_SIZE)
        return stream if "b" in mode else io.TextIOWrapper(stream, encoding="utf-8")

    def open(self, mode: str | None = None, *args: Any, **kwargs: Any) -> "RemoteFile":
        """Django's File reopens a closed file from the local disk, by its name; this one streams again."""
        if not self.closed:
            self.seek(0)
        else:
            self.mode = mode or self.mode
            read_only(self.mode)
            self.file = self._stream(self._open_at, self.size, None, self.mode)
        return self


def read_only(mode: str) -> None:
    if mode not in {"r", "rb"}:
        raise ValueError(f"stored films are read-only (mode {mode!r}): save a new file instead")


def upload_stream(content: File) -> tuple[IO[bytes], int | None]:  # type: ignore[type-arg]
    """The bytes to store for `content`, from its start, and their number if known without reading.

    Text (a `ContentFile("español")`, a file opened in text mode) is encoded as UTF-8, so its size in
    bytes is known only once sent: `content.size` counts characters. A stream of unknown length (a
    `urlopen()` response) is sent as it comes.
    """
    if content.seekable():
        content.seek(0)
    if not isinstance(getattr(content, "file", content), io.TextIOBase):
        try:
            return content, content.size  # a binary File reads bytes
        except (AttributeError, OSError):  # Django's File raises AttributeError when it cannot tell
            pass
    as_bytes = (chunk.encode() if isinstance(chunk, str) else chunk for chunk in content.chunks())
    return io.BufferedReader(ChunksReader(as_bytes), READ_BUFFER_SIZE), None
