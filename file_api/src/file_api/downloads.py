"""HTTP semantics of a download: byte ranges, conditional requests, a safe Content-Disposition, and the
hand-off that lets nginx stream the bytes from S3 itself."""

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import quote, urlsplit

from file_api.models import StoredFile
from file_api.storage import ObjectBody

# Large enough that a 1 GiB film is a few thousand thread hand-offs, small enough to stay cheap.
CHUNK_SIZE = 256 * 1024
# One range of two 19-digit positions is under 50 characters. A longer header is a broken client or an attack
# (a number of thousands of digits makes int() raise); RFC 9110 §15.5.17 answers those with 416.
MAX_RANGE_HEADER_LENGTH = 200
_RANGE_SPEC = re.compile(r"^(\d*)-(\d*)$")
_UNSAFE_IN_QUOTED_STRING = re.compile(r'[^\x20-\x7e]|["\\]')

# nginx sends this header with the download requests it can serve itself: the value is its internal
# location that proxies a presigned S3 GET (nginx/templates/default.conf.template). A client reaching
# FileAPI directly gets the bytes streamed by FileAPI instead.
NGINX_S3_LOCATION_HEADER = "x-accel-s3-location"
_INTERNAL_LOCATION = re.compile(r"^/[A-Za-z0-9_/-]*/$")
# nginx starts the presigned GET at once; the margin only covers clock skew between FileAPI and S3.
PRESIGNED_GET_SECONDS = 300


class MalformedRange(Exception):
    """The Range header is not a byte range this server can read."""


class RangeNotSatisfiable(Exception):
    def __init__(self, size: int, reason: str = "the range starts beyond the end of the file") -> None:
        super().__init__(f"{reason} ({size} bytes)")
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
    if len(header) > MAX_RANGE_HEADER_LENGTH:
        too_long = f"the Range header is longer than {MAX_RANGE_HEADER_LENGTH} characters"
        raise RangeNotSatisfiable(size, too_long)
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
    # The content's own hash: strong, and the same for every FileAPI instance. A resumable upload has no
    # whole-file hash: its short_name serves, as strong, since the content under a short_name never changes.
    return f'"{file.sha256 or file.short_name}"'


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


def nginx_location(request_headers: Mapping[str, str]) -> str | None:
    """nginx's internal S3 location when nginx asked to stream the bytes itself, else None."""
    location = request_headers.get(NGINX_S3_LOCATION_HEADER)
    return location if location is not None and _INTERNAL_LOCATION.match(location) else None


def nginx_handoff(location: str, presigned_url: str, byte_range: ByteRange | None) -> dict[str, str]:
    """Headers that make nginx fetch the bytes from S3 (X-Accel-Redirect) instead of from FileAPI.

    nginx reads `x-s3-host` (the Host the signature covers) and `x-s3-range` (the range FileAPI decided
    on, so S3 never judges Range or If-Range by its own ETag) before it proxies; they never reach the
    client, and neither does the presigned URL.
    """
    url = urlsplit(presigned_url)
    headers = {"x-accel-redirect": f"{location}{url.path.lstrip('/')}?{url.query}", "x-s3-host": url.netloc}
    if byte_range is not None:
        headers["x-s3-range"] = f"bytes={byte_range.start}-{byte_range.end}"
    return headers


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
    except (TypeError, ValueError, OverflowError):  # OverflowError: a year of many digits
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
