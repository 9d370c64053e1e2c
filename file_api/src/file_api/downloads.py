"""HTTP semantics of a download: byte ranges, conditional requests and a safe Content-Disposition."""

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import quote

from file_api.models import StoredFile
from file_api.storage import ObjectBody

# Large enough that a 1 GiB film is a few thousand thread hand-offs, small enough to stay cheap.
CHUNK_SIZE = 256 * 1024
_RANGE_SPEC = re.compile(r"^(\d*)-(\d*)$")
_UNSAFE_IN_QUOTED_STRING = re.compile(r'[^\x20-\x7e]|["\\]')


class MalformedRange(Exception):
    """The Range header is not a byte range this server can read."""


class RangeNotSatisfiable(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(f"the range starts beyond the end of the file ({size} bytes)")
        self.size = size


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive, as in Content-Range

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The single byte range a Range header asks for, or None to send the whole file.

    Another unit or several ranges get the whole file: RFC 9110 §14.2 lets a server ignore Range,
    and a video player seeks with one range at a time.
    """
    if header is None:
        return None
    unit, equals, ranges = header.partition("=")
    if not equals:
        raise MalformedRange(f"malformed Range header: {header!r}")
    if unit.strip().lower() != "bytes" or "," in ranges:
        return None
    match = _RANGE_SPEC.match(ranges.strip())
    if match is None or match.groups() == ("", ""):
        raise MalformedRange(f"malformed Range header: {header!r}")
    first, last = match.groups()
    if not first:  # "-n": the last n bytes
        suffix_length = int(last)
        if suffix_length == 0 or size == 0:  # an empty file has no last bytes (RFC 9110 §14.1.3)
            raise RangeNotSatisfiable(size)
        return ByteRange(max(size - suffix_length, 0), size - 1)
    start = int(first)
    if last and int(last) < start:
        raise MalformedRange(f"malformed Range header: {header!r}")
    if start >= size:
        raise RangeNotSatisfiable(size)
    end = min(int(last), size - 1) if last else size - 1
    return ByteRange(start, end)


def etag(file: StoredFile) -> str:
    # The content's own hash: strong, and the same for every FileAPI instance.
    return f'"{file.sha256}"'


def last_modified(file: StoredFile) -> str:
    return format_datetime(file.created_at.astimezone(UTC), usegmt=True)


def is_not_modified(request_headers: Mapping[str, str], file: StoredFile) -> bool:
    """RFC 9110 §13.2.2: If-None-Match decides when present, else If-Modified-Since."""
    if_none_match = request_headers.get("if-none-match")
    if if_none_match is not None:
        return _matches_any(if_none_match, etag(file))
    since = _parse_http_date(request_headers.get("if-modified-since"))
    return since is not None and file.created_at.replace(microsecond=0) <= since


def range_is_current(request_headers: Mapping[str, str], file: StoredFile) -> bool:
    """If-Range: a range is served only if the client's copy is this file (RFC 9110 §13.1.5)."""
    if_range = request_headers.get("if-range")
    if if_range is None:
        return True
    if if_range.startswith('"'):
        return if_range == etag(file)
    return if_range == last_modified(file)


def content_disposition(filename: str) -> str:
    """RFC 6266: an ASCII fallback for old clients, and the exact name as UTF-8 in filename*."""
    decomposed = unicodedata.normalize("NFKD", filename)
    without_accents = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    fallback = _UNSAFE_IN_QUOTED_STRING.sub("_", without_accents) or "file"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def iter_object(body: ObjectBody) -> Iterator[bytes]:
    """The object's bytes in chunks; the S3 response is closed however the iteration ends."""
    try:
        yield from body.iter_chunks(CHUNK_SIZE)
    finally:
        body.close()


def _matches_any(if_none_match: str, current: str) -> bool:
    # Weak comparison, as If-None-Match requires.
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or current in tags


def _parse_http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
