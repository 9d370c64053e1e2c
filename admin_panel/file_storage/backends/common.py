"""What the film storages share: the rules of Django's Storage contract they all keep (names, times), the
download headers of presigned links, and `FilmStorage`, the check every one of them answers."""

import mimetypes
import os
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Protocol, runtime_checkable

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import Storage
from django.utils.http import content_disposition_header


@runtime_checkable
class FilmStorage(Protocol):
    """What every film storage adds to Django's Storage API (`check_storage`, /health/ready)."""

    def check(self) -> str:
        """Describes the storage if it is reachable and usable; raises if it is not."""
        ...


def check_storage(storage: Storage) -> str:
    """Describes the storage if it is reachable and usable; raises if it is not."""
    if not isinstance(storage, FilmStorage):
        raise TypeError(f"{type(storage).__name__} is not a film storage: it has no check()")
    return storage.check()


def failure_text(exc: BaseException) -> str:
    """A storage's failure as one line (the commands' output, PendingDeletion.error): its type and message."""
    return f"{type(exc).__name__}: {exc}"


def checked_name(name: str | os.PathLike[str]) -> str:
    """A stored file's name as a string. A name that would climb out of the storage (absolute, or with
    `..`) is suspicious, as in Django's FileSystemStorage, even where keys cannot climb: one rule for all."""
    name = os.fspath(name)
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        raise SuspiciousFileOperation(f"Detected path traversal attempt in '{name}'")
    return name


def name_to_delete(name: str | os.PathLike[str] | None) -> str:
    # Django's storages refuse an empty name rather than delete their root.
    if not name:
        raise ValueError("The name must be given to delete().")
    return checked_name(name)


def storage_time(moment: datetime) -> datetime:
    """A stored time as Django's Storage API gives it: aware and in UTC with USE_TZ, otherwise naive in
    the machine's local time (like FileSystemStorage's times, which come from the file system)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if settings.USE_TZ:
        return moment.astimezone(UTC)
    return datetime.fromtimestamp(moment.timestamp())


def download_response_headers(name: str) -> dict[str, str]:
    """What S3 is told to answer a browser's presigned GET with (its `response-*` query parameters, covered by
    the signature): a download under the file's own name (RFC 6266), with a type no browser renders as a
    page. Without them S3 answers with the type stored at upload, and an uploaded `.html` or `.svg` would
    run its script on the admin's origin, whose nginx serves the bucket paths."""
    filename = PurePosixPath(name).name or "file"
    guessed = mimetypes.guess_type(filename)[0] or ""
    return {
        "response-content-disposition": content_disposition_header(as_attachment=True, filename=filename)
        or "attachment",
        # A video type is played, never run; anything else is plain bytes.
        "response-content-type": guessed if guessed.startswith("video/") else "application/octet-stream",
    }
