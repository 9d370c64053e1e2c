"""Streams the `file` field of a multipart request into the bucket without holding the file anywhere.

Starlette's own form parser spools every upload to a temporary file before the endpoint runs: for a
20 GiB film that is a full extra copy on local disk and a wait as long as the upload itself. Here the
body is parsed while it arrives (python-multipart's push parser) and the file's bytes go straight
into an S3 multipart upload, whose part size bounds the memory an upload can use.
"""

import hashlib
import logging
import mimetypes
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum, auto
from http import HTTPStatus

import anyio.from_thread
import shortuuid
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request

from file_api.models import StoredFile
from file_api.storage import ObjectStore

logger = logging.getLogger(__name__)

FILE_FIELD = "file"
MAX_FILENAME_LENGTH = 255
DEFAULT_CONTENT_TYPE = "application/octet-stream"
# Room for the multipart framing around the file when comparing Content-Length with the size limit.
MULTIPART_OVERHEAD = 64 * 1024
_FORM_ESCAPE = re.compile(r"%(22|[01][0-9A-Fa-f]|7[Ff])")
_MIME_TYPE = re.compile(r"^[\w!#$&^.+-]+/[\w!#$&^.+-]+$")


class UploadRejected(Exception):
    """The request cannot be stored; `status_code` and the message are what the client is told."""

    def __init__(self, message: str, status_code: HTTPStatus = HTTPStatus.BAD_REQUEST) -> None:
        super().__init__(message)
        self.status_code = int(status_code)


class MissingFileField(UploadRejected):
    """No form, or no field `file` in it: answered as the 422 of any input that does not match the schema."""

    def __init__(self, message: str) -> None:
        super().__init__(message, HTTPStatus.UNPROCESSABLE_ENTITY)


def file_too_large(max_bytes: int) -> UploadRejected:
    return UploadRejected(
        f"the file is larger than the limit of {max_bytes} bytes", HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    )


@dataclass(frozen=True)
class ReceivedFile:
    filename: str
    content_type: str
    size: int
    sha256: str


class _Position(Enum):
    BEFORE_FILE = auto()
    IN_FILE = auto()
    AFTER_FILE = auto()


class MultipartFileStream:
    """A blocking, file-like view of the `file` field of a multipart/form-data body.

    `read()` pulls body chunks only as fast as its consumer (the S3 upload) asks, so the file is never
    held whole. Size and sha256 are computed on the way and the size limit is enforced while reading:
    the consumer gets an exception in the middle of its upload and aborts it.
    """

    def __init__(self, chunks: Iterator[bytes], boundary: bytes, max_bytes: int) -> None:
        self._chunks = chunks
        self._max_bytes = max_bytes
        self._parser = MultipartParser(
            boundary,
            callbacks={
                "on_part_begin": self._on_part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
            },
        )
        self._position = _Position.BEFORE_FILE
        self._body_exhausted = False
        # readinto()'s buffer while it runs: the parser copies the file's bytes straight into it. Bytes
        # parsed beyond it (the rest of a body chunk) wait in _overflow for the next call.
        self._target: memoryview | None = None
        self._filled = 0
        self._overflow = b""
        self._sha256 = hashlib.sha256()
        self._part_headers: dict[bytes, bytes] = {}
        self._header_name = b""
        self._header_value = b""
        self._part_is_file = False
        self.size = 0
        self.filename = ""
        self.content_type = DEFAULT_CONTENT_TYPE

    @classmethod
    def from_request(cls, request: Request, max_bytes: int) -> "MultipartFileStream":
        """Checks what the headers already tell (form type, declared length) before any body is read."""
        media_type, options = parse_options_header(request.headers.get("content-type"))
        if media_type != b"multipart/form-data" or not options.get(b"boundary"):
            raise MissingFileField(f"send the file as multipart/form-data in the field {FILE_FIELD!r}")
        declared_length = request.headers.get("content-length", "")
        if declared_length.isdigit() and int(declared_length) > max_bytes + MULTIPART_OVERHEAD:
            raise file_too_large(max_bytes)
        return cls(_blocking_chunks(request), options[b"boundary"], max_bytes)

    def read_until_file_field(self) -> None:
        """Parses the body up to the start of the file's bytes, so its name and type are known."""
        while self._position is _Position.BEFORE_FILE:
            if not self._feed():
                raise MissingFileField(f"the form has no field {FILE_FIELD!r}")

    def readinto(self, buffer: bytearray) -> int:
        """Fills `buffer` with the file's next bytes; returns their count, less than the buffer's size
        only at the end of the file (0 after it). Each byte is copied once, from its body chunk."""
        with memoryview(buffer) as target:  # released however this ends, so the buffer can be freed
            self._filled = min(len(self._overflow), len(target))
            target[: self._filled] = self._overflow[: self._filled]
            self._overflow = self._overflow[self._filled :]
            self._target = target
            try:
                while self._filled < len(target) and self._position is _Position.IN_FILE:
                    if not self._feed():
                        raise UploadRejected("the request body ended in the middle of the file")
            finally:
                self._target = None
            return self._filled

    def finish(self) -> ReceivedFile:
        """Reads the rest of the body (fields after the file are ignored) and describes the file."""
        while self._feed():
            pass
        if self._position is not _Position.AFTER_FILE:
            raise UploadRejected("the request body ended in the middle of the file")
        return ReceivedFile(self.filename, self.content_type, self.size, self._sha256.hexdigest())

    def _feed(self) -> bool:
        """Parses one more chunk of the body; False once the body is exhausted."""
        if self._body_exhausted:
            return False
        chunk = next(self._chunks, None)
        try:
            if chunk is None:
                self._body_exhausted = True
                self._parser.finalize()
                return False
            self._parser.write(chunk)
        except MultipartParseError as exc:
            raise UploadRejected(f"malformed multipart body: {exc}") from exc
        return True

    # python-multipart's callbacks: data arrives as slices of the chunk being parsed.

    def _on_part_begin(self) -> None:
        self._part_headers = {}

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        self._part_headers[self._header_name.lower()] = self._header_value
        self._header_name = self._header_value = b""

    def _on_headers_finished(self) -> None:
        _, options = parse_options_header(self._part_headers.get(b"content-disposition"))
        field_name = options.get(b"name", b"").decode("utf-8", "replace")
        self._part_is_file = field_name == FILE_FIELD and self._position is _Position.BEFORE_FILE
        if self._part_is_file:
            self._position = _Position.IN_FILE
            self.filename = clean_filename(options.get(b"filename", b"").decode("utf-8", "replace"))
            self.content_type = content_type_of(self._part_headers.get(b"content-type", b""), self.filename)

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if not self._part_is_file:
            return  # other fields are not stored
        piece = data[start:end]
        self.size += len(piece)
        if self.size > self._max_bytes:
            raise file_too_large(self._max_bytes)
        self._sha256.update(piece)
        if self._target is not None:
            taken = min(len(piece), len(self._target) - self._filled)
            self._target[self._filled : self._filled + taken] = piece[:taken]
            self._filled += taken
            piece = piece[taken:]
        if piece:
            self._overflow += piece

    def _on_part_end(self) -> None:
        if self._part_is_file:
            self._part_is_file = False
            self._position = _Position.AFTER_FILE


def store_upload(
    upload: MultipartFileStream, store: ObjectStore, sessions: sessionmaker[Session]
) -> StoredFile:
    """Streams the upload into the bucket, then records it; blocking, so it runs in a worker thread.

    A row exists only for a fully stored object: a failed upload leaves no row (the S3 multipart
    upload is aborted), and an object whose row cannot be written is removed.
    """
    upload.read_until_file_field()
    short_name = shortuuid.uuid()
    store.put_stream(short_name, upload, upload.content_type)
    try:
        received = upload.finish()
        with sessions.begin() as session:
            stored = StoredFile(
                short_name=short_name,
                filename=received.filename,
                size=received.size,
                content_type=received.content_type,
                sha256=received.sha256,
            )
            session.add(stored)
        return stored
    except BaseException:
        _remove_orphan(store, short_name)
        raise


def clean_filename(raw: str) -> str:
    """The name to show and to send back in Content-Disposition: a base name, printable, <= 255 chars."""
    # Old clients send a whole path. HTML forms (and httpx) send a double quote and control characters
    # percent-encoded: the quote is restored, control characters are dropped with the raw ones.
    name = _FORM_ESCAPE.sub(lambda match: chr(int(match[1], 16)), raw.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if not name:
        return "file"
    if len(name) <= MAX_FILENAME_LENGTH:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension) > 16:
        return name[:MAX_FILENAME_LENGTH]
    return stem[: MAX_FILENAME_LENGTH - len(extension) - 1] + dot + extension


def content_type_of(declared: bytes, filename: str) -> str:
    """The declared type; the filename's when it says nothing better (curl sends octet-stream for .mp4)."""
    content_type = declared.decode("latin-1").split(";")[0].strip().lower()
    if _MIME_TYPE.match(content_type) and content_type != DEFAULT_CONTENT_TYPE and len(content_type) <= 255:
        return content_type
    return mimetypes.guess_type(filename)[0] or DEFAULT_CONTENT_TYPE


def _remove_orphan(store: ObjectStore, short_name: str) -> None:
    try:
        store.remove(short_name)
    except Exception:
        logger.exception("could not remove the object %s whose upload failed; remove it by hand", short_name)


def _blocking_chunks(request: Request) -> Iterator[bytes]:
    """The request body as a blocking iterator, for code running in a worker thread."""
    stream = request.stream()

    async def next_chunk() -> bytes | None:
        return await anext(stream, None)

    while (chunk := anyio.from_thread.run(next_chunk)) is not None:
        if chunk:
            yield chunk
