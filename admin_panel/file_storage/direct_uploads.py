"""Direct uploads: a film goes from the editor's browser straight to its storage, in parallel parts that
are retried and resumed one by one, and the admin carries none of its bytes.

The admin only coordinates (movies/film_uploads.py): it opens the upload, signs each part for the
browser, lists the parts stored (resume), checks them and completes. One part protocol, S3's multipart
upload, for every backend, so one browser client (Uppy's AwsS3 plugin) serves them all:

- `s3`, `minio`: S3 itself. Parts are PUT to links presigned for S3_PUBLIC_ENDPOINT_URL (through nginx,
  the Host header intact), each with the part's SHA-256, which S3 checks (`x-amz-checksum-sha256`).
- `file_api`: FileAPI's upload sessions. Parts are PUT to FileAPI with an upload grant that FileAPI gave
  for this one upload: the browser never sees FILE_API_TOKEN.
- `local`: the admin's own disk is the storage, so parts are PUT to the admin, written in place and
  moved into the storage at the end (a rename, no copy).

At completion the parts the storage holds must be exactly the parts the file needs (every number, every
size, the ETags the browser got), the stored object must have the declared size, and its first bytes must
not be a page or an image (movies/forms.py): otherwise the editor sees why, and nothing is saved.
"""

import base64
import binascii
import functools
import hashlib
import json
import mimetypes
import os
import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from file_storage.backends.file_api import FileAPIError, FileAPIStorage
from file_storage.backends.s3 import S3FilmStorage
from file_storage.cleanup import delete_unused_file
from file_storage.config import storage_alias
from file_storage.models import DirectUpload

MiB = 1024**2
# S3's limit (each part but the last also needs 5 MiB: settings check DIRECT_UPLOAD_PART_SIZE).
MAX_PARTS = 10_000
# How long a signed part link works: long enough for one part on a slow line, short if it leaks.
PART_LINK_SECONDS = 3600
# A FileAPI grant with less than this left is renewed before it is handed to the browser.
GRANT_MARGIN = timedelta(minutes=10)
# What a storage that fails or does not answer raises: the editor is told, it is never a 500.
STORAGE_ERRORS = (BotoCoreError, ClientError, FileAPIError, OSError)


class UploadRefused(Exception):
    """The upload cannot go on or be completed; the message is meant for the editor."""


@dataclass(frozen=True)
class Part:
    number: int
    etag: str
    size: int = 0

    def as_json(self) -> dict[str, Any]:
        # The names Uppy's AwsS3 plugin reads.
        return {"PartNumber": self.number, "ETag": self.etag, "Size": self.size}


@dataclass(frozen=True)
class SignedPart:
    url: str
    headers: dict[str, str]


def part_size_for(size: int) -> int:
    """DIRECT_UPLOAD_PART_SIZE, or more for a file so large that it would need more than 10,000 parts."""
    needed = -(-size // MAX_PARTS)
    whole_mib = -(-needed // MiB) * MiB
    return max(int(settings.DIRECT_UPLOAD_PART_SIZE), whole_mib)


def checked_checksum(checksum: str) -> str:
    """A part's SHA-256 as S3 takes it (base64 of 32 bytes), or "" when the browser could not compute it."""
    if not checksum:
        return ""
    try:
        if len(base64.b64decode(checksum, validate=True)) == 32:
            return checksum
    except binascii.Error:
        pass
    raise UploadRefused(_("The part's checksum is not a base64 SHA-256."))


def unquoted(etag: str) -> str:
    return etag.strip().strip('"')


def check_parts(upload: DirectUpload, stored: list[Part], reported: list[Part]) -> list[Part]:
    """The stored parts, in order, if they are the whole file and the ones the browser reports; else
    UploadRefused naming what is wrong (a part missing, of the wrong size, not the one the browser sent)."""
    by_number = {part.number: part for part in stored}
    expected = range(1, upload.part_count + 1)
    missing = [number for number in expected if number not in by_number]
    if missing:
        raise UploadRefused(
            _("Parts are missing from the storage: %(parts)s.") % {"parts": _numbers(missing)}
        )
    extra = sorted(set(by_number) - set(expected))
    if extra:
        raise UploadRefused(
            _("The storage holds parts the file has not: %(parts)s.") % {"parts": _numbers(extra)}
        )
    for number in expected:
        if by_number[number].size != upload.part_range(number)[1]:
            raise UploadRefused(
                _("Part %(number)s has %(size)s bytes, not %(expected)s.")
                % {"number": number, "size": by_number[number].size, "expected": upload.part_range(number)[1]}
            )
    reported_etags = {part.number: unquoted(part.etag) for part in reported}
    if sorted(reported_etags) != list(expected) or len(reported) != len(reported_etags):
        raise UploadRefused(_("The browser's list of parts is not the list of the file's parts."))
    changed = [number for number in expected if reported_etags[number] != unquoted(by_number[number].etag)]
    if changed:
        raise UploadRefused(
            _("Parts %(parts)s in the storage are not the ones the browser sent.")
            % {"parts": _numbers(changed)}
        )
    return [by_number[number] for number in expected]


def _numbers(numbers: list[int]) -> str:
    shown = ", ".join(str(number) for number in numbers[:10])
    return shown + (" …" if len(numbers) > 10 else "")


class Readable(Protocol):
    """Where a part's bytes come from (the admin's request)."""

    def read(self, size: int = -1, /) -> bytes: ...


class DirectUploads(Protocol):
    """What a backend does for a direct upload. `start` fills in `upload.name` and `storage_upload_id`."""

    def start(self, upload: DirectUpload) -> None: ...

    def sign_part(self, upload: DirectUpload, number: int, checksum: str) -> SignedPart: ...

    def parts(self, upload: DirectUpload) -> list[Part]: ...

    def complete(self, upload: DirectUpload, reported: list[Part]) -> None: ...

    def abort(self, upload: DirectUpload) -> None: ...


class S3DirectUploads:
    """S3's own multipart upload (the `s3` and `minio` backends), through boto3's public API.

    S3 refuses a part whose bytes do not match the `x-amz-checksum-sha256` it is sent with (BadDigest).
    The upload is created without a checksum algorithm: with one, SeaweedFS insists on each part's checksum at
    completion but lists none, and the part checks happen at UploadPart either way."""

    def __init__(self, storage: Storage, client: Any, public_client: Any, bucket: str) -> None:
        self.storage = storage
        self.client = client
        self.public_client = public_client
        self.bucket = bucket

    def start(self, upload: DirectUpload) -> None:
        content_type = mimetypes.guess_type(upload.name)[0] or "application/octet-stream"
        created = self.client.create_multipart_upload(
            Bucket=self.bucket, Key=upload.name, ContentType=content_type
        )
        upload.storage_upload_id = created["UploadId"]

    def sign_part(self, upload: DirectUpload, number: int, checksum: str) -> SignedPart:
        params: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": upload.name,
            "UploadId": upload.storage_upload_id,
            "PartNumber": number,
        }
        headers = {}
        if checksum:
            # Signed: the header cannot be dropped on the way, so S3 always checks the part's bytes.
            params["ChecksumSHA256"] = checksum
            headers["x-amz-checksum-sha256"] = checksum
        url = self.public_client.generate_presigned_url(
            "upload_part", Params=params, ExpiresIn=PART_LINK_SECONDS
        )
        return SignedPart(url, headers)

    def parts(self, upload: DirectUpload) -> list[Part]:
        parts: list[Part] = []
        marker = 0
        while True:
            try:
                page = self.client.list_parts(
                    Bucket=self.bucket,
                    Key=upload.name,
                    UploadId=upload.storage_upload_id,
                    PartNumberMarker=marker,
                )
            except ClientError as exc:
                if _error_code(exc) == "NoSuchUpload":
                    raise UploadRefused(_("The storage no longer has this upload.")) from exc
                raise
            parts += [Part(item["PartNumber"], item["ETag"], item["Size"]) for item in page.get("Parts", [])]
            if not page.get("IsTruncated"):
                return parts
            marker = int(page["NextPartNumberMarker"])

    def complete(self, upload: DirectUpload, reported: list[Part]) -> None:
        parts = check_parts(upload, self.parts(upload), reported)
        if self.storage.exists(upload.name):  # saved meanwhile by a plain form upload: never overwrite it
            raise UploadRefused(_("A file named %(name)s was stored meanwhile.") % {"name": upload.name})
        completed = [{"PartNumber": part.number, "ETag": part.etag} for part in parts]
        self.client.complete_multipart_upload(
            Bucket=self.bucket,
            Key=upload.name,
            UploadId=upload.storage_upload_id,
            MultipartUpload={"Parts": completed},
        )
        stored_size = self.client.head_object(Bucket=self.bucket, Key=upload.name)["ContentLength"]
        if stored_size != upload.size:
            self.client.delete_object(Bucket=self.bucket, Key=upload.name)
            raise UploadRefused(
                _("The storage holds %(stored)s bytes, not the file's %(size)s.")
                % {"stored": stored_size, "size": upload.size}
            )

    def abort(self, upload: DirectUpload) -> None:
        try:
            self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=upload.name, UploadId=upload.storage_upload_id
            )
        except ClientError as exc:
            if _error_code(exc) != "NoSuchUpload":  # already aborted or completed: nothing to do
                raise

    def stale_uploads(self, older_than: timedelta) -> list[tuple[str, str]]:
        """(key, UploadId) of the bucket's multipart uploads started before `older_than` ago: also those
        whose DirectUpload row was never written (the admin stopped between the two)."""
        cutoff = timezone.now() - older_than
        found: list[tuple[str, str]] = []
        for page in self.client.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket):
            found += [
                (item["Key"], item["UploadId"])
                for item in page.get("Uploads", [])
                if item["Initiated"] < cutoff
            ]
        return found

    def abort_key(self, key: str, upload_id: str) -> None:
        self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class FileAPIDirectUploads:
    """FileAPI's upload sessions (S3 multipart behind FileAPI): the admin opens, completes and aborts them
    with its token; the browser PUTs the parts to FileAPI with the session's grant."""

    def __init__(self, storage: FileAPIStorage) -> None:
        self.storage = storage

    def start(self, upload: DirectUpload) -> None:
        session = self.storage.open_upload(
            upload.filename, upload.size, upload.content_type, upload.part_size
        )
        upload.name = session["short_name"]
        upload.storage_upload_id = session["upload_id"]
        self._keep_grant(upload, session)

    def sign_part(self, upload: DirectUpload, number: int, checksum: str) -> SignedPart:
        if upload.grant_expires_at is None or upload.grant_expires_at - timezone.now() < GRANT_MARGIN:
            self._keep_grant(upload, self.storage.renew_upload_grant(upload.storage_upload_id))
            upload.save(update_fields=["grant", "grant_expires_at"])
        headers = {"Authorization": f"Bearer {upload.grant}"}
        if checksum:
            headers["x-amz-checksum-sha256"] = checksum
        return SignedPart(self.storage.upload_part_url(upload.storage_upload_id, number), headers)

    def parts(self, upload: DirectUpload) -> list[Part]:
        return [
            Part(item["part_number"], item["etag"], item["size"])
            for item in self.storage.upload_parts(upload.storage_upload_id)
        ]

    def complete(self, upload: DirectUpload, reported: list[Part]) -> None:
        # FileAPI checks the parts against S3 again; checking here too gives the editor this module's words.
        parts = check_parts(upload, self.parts(upload), reported)
        stored = self.storage.complete_upload(
            upload.storage_upload_id, [{"part_number": part.number, "etag": part.etag} for part in parts]
        )
        if stored["size"] != upload.size:
            self.storage.delete(upload.name)
            raise UploadRefused(
                _("The storage holds %(stored)s bytes, not the file's %(size)s.")
                % {"stored": stored["size"], "size": upload.size}
            )

    def abort(self, upload: DirectUpload) -> None:
        self.storage.abort_upload(upload.storage_upload_id)

    @staticmethod
    def _keep_grant(upload: DirectUpload, session: dict[str, Any]) -> None:
        upload.grant = session["grant"]
        upload.grant_expires_at = session["grant_expires_at"]


class LocalDirectUploads:
    """The `local` backend: the admin receives the parts itself. Each is written in place into one file
    (any order, in parallel), with a record of its size and SHA-256; completing moves the file into the
    storage's directory (a rename: DIRECT_UPLOAD_LOCAL_DIR is inside the media root)."""

    READ_SIZE = 1 * MiB

    def __init__(self, storage: Storage, directory: Path) -> None:
        self.storage = storage
        self.directory = directory

    def _folder(self, upload: DirectUpload) -> Path:
        return self.directory / str(upload.id)

    def start(self, upload: DirectUpload) -> None:
        folder = self._folder(upload)
        (folder / "parts").mkdir(parents=True)
        with (folder / "data").open("wb") as data:
            data.truncate(upload.size)  # sparse: parts land at their offsets in any order

    def sign_part(self, upload: DirectUpload, number: int, checksum: str) -> SignedPart:
        url = reverse("direct-upload-part", kwargs={"upload_id": upload.id, "number": number})
        headers = {"x-amz-checksum-sha256": checksum} if checksum else {}
        return SignedPart(url, headers)  # the view adds the CSRF token: the part is a PUT to the admin

    def receive_part(
        self, upload: DirectUpload, number: int, body: Readable, length: int, checksum: str
    ) -> Part:
        offset, size = upload.part_range(number)
        if length != size:
            raise UploadRefused(
                _("Part %(number)s must have %(size)s bytes, not %(length)s.")
                % {"number": number, "size": size, "length": length}
            )
        digest = hashlib.sha256()
        fd = os.open(self._folder(upload) / "data", os.O_WRONLY)
        try:
            position = offset
            while position < offset + size:
                chunk = body.read(min(self.READ_SIZE, offset + size - position))
                if not chunk:
                    raise UploadRefused(_("Part %(number)s ended early.") % {"number": number})
                digest.update(chunk)
                position += os.pwrite(fd, chunk, position)
        finally:
            os.close(fd)
        if checksum and checksum != base64.b64encode(digest.digest()).decode():
            raise UploadRefused(_("The part's bytes do not match its checksum."))
        part = Part(number, f'"{digest.hexdigest()[:32]}"', size)
        record = self._folder(upload) / "parts" / f"{number}.json"
        temporary = record.with_suffix(".tmp")
        temporary.write_text(json.dumps(part.__dict__))
        temporary.replace(record)  # a part counts only once it is fully written
        return part

    def parts(self, upload: DirectUpload) -> list[Part]:
        folder = self._folder(upload) / "parts"
        if not folder.is_dir():
            raise UploadRefused(_("The storage no longer has this upload."))
        return sorted(
            (Part(**json.loads(path.read_text())) for path in folder.glob("*.json")), key=lambda p: p.number
        )

    def complete(self, upload: DirectUpload, reported: list[Part]) -> None:
        check_parts(upload, self.parts(upload), reported)
        with _AssembledFile(self._folder(upload) / "data", upload.name) as assembled:
            upload.name = self.storage.save(upload.name, assembled)  # moved, not copied
        shutil.rmtree(self._folder(upload), ignore_errors=True)

    def abort(self, upload: DirectUpload) -> None:
        shutil.rmtree(self._folder(upload), ignore_errors=True)


class _AssembledFile(File):  # type: ignore[type-arg]
    """The parts' file, which FileSystemStorage moves into place (as it does Django's temporary uploads)."""

    def __init__(self, path: Path, name: str) -> None:
        super().__init__(path.open("rb"), name)
        self._path = path

    def temporary_file_path(self) -> str:
        return str(self._path)


def film_storage_of(backend: str) -> Storage:
    return storages[storage_alias(backend)]


def discard(upload: DirectUpload) -> None:
    """Aborts an unfinished upload, or deletes a stored file no film names; then forgets the upload."""
    if upload.state == DirectUpload.State.UPLOADING:
        uploads_for(upload.backend).abort(upload)
    else:
        delete_unused_file(film_storage_of(upload.backend), upload.name)
    upload.delete()


def uploads_for(backend: str) -> DirectUploads:
    """The direct uploads of `backend`, with its storage's own settings (STORAGES `films_<backend>`)."""
    storage = film_storage_of(backend)
    if backend == "local":
        return LocalDirectUploads(storage, Path(settings.DIRECT_UPLOAD_LOCAL_DIR))
    if backend == "file_api":
        assert isinstance(storage, FileAPIStorage)
        return FileAPIDirectUploads(storage)
    if backend == "s3":
        assert isinstance(storage, S3FilmStorage)
        return S3DirectUploads(
            storage, storage.bucket.meta.client, storage.public_client, storage.bucket_name
        )
    if backend == "minio":
        return _minio_uploads(storage)
    raise ValueError(f"no direct uploads for backend {backend!r}")


def _minio_uploads(storage: Storage) -> S3DirectUploads:
    # django-minio-backend's SDK has no public multipart API: boto3 with the backend's own settings.
    options = settings.STORAGES[storage_alias("minio")]["OPTIONS"]
    keys = (options["MINIO_ACCESS_KEY"], options["MINIO_SECRET_KEY"], options["MINIO_REGION"])
    internal = _s3_client(options["MINIO_ENDPOINT"], options["MINIO_USE_HTTPS"], *keys)
    external = _s3_client(
        options["MINIO_EXTERNAL_ENDPOINT"], options["MINIO_EXTERNAL_ENDPOINT_USE_HTTPS"], *keys
    )
    return S3DirectUploads(storage, internal, external, options["MINIO_DEFAULT_BUCKET"])


@functools.cache
def _s3_client(endpoint: str, https: bool, access_key: str, secret_key: str, region: str) -> Any:
    """One boto3 client per endpoint and key for the process: every part's signature asks for one, and
    making a client costs milliseconds (S3FilmStorage keeps its own the same way)."""
    return boto3.client(
        "s3",
        endpoint_url=f"{'https' if https else 'http'}://{endpoint}",
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=region,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
