"""The bucket where FileAPI keeps file contents, behind a small interface over boto3's S3 client.

FileAPI runs its multipart uploads itself instead of handing the stream to an SDK's transfer helper:
- memory: an upload owns PARALLEL_PARTS + 1 part buffers, filled straight from the request body and
  reused part after part, so it holds the same few buffers from the first byte to the last;
- failure: whatever fails (S3, the client, the size limit), the parts not started are dropped, the
  running ones finish, the multipart upload is aborted and the buffers are emptied before the error
  reaches the caller: no thread, part or S3 upload outlives it. (The minio SDK used before left its part
  threads blocked on their queue, each holding a part, after every failed upload.)
"""

import logging
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from file_api.config import Settings

logger = logging.getLogger(__name__)

MiB = 1024**2
# Measured with file_api/benchmarks/upload_throughput.py on two cores: FileAPI spends the same CPU per GiB
# (2.4 s) with 8, 16 or 32 MiB parts, 2 or 4 at a time, and SeaweedFS's own CPU is what limits the speed;
# so the smallest that keeps up. Each upload holds (PARALLEL_PARTS + 1) x PART_SIZE = 40 MiB, and 8 MiB
# parts allow files up to 78 GiB (S3 allows 10,000 parts).
PART_SIZE = 8 * MiB
PARALLEL_PARTS = 4
# Connections kept open to S3: enough for this many uploads at full speed. More uploads at once still
# work; their extra connections are opened and closed instead of reused.
UPLOADS_AT_ONCE = 8
_NOT_FOUND = {"NoSuchKey", "NotFound", "404"}
# What S3 servers answer when a part's bytes do not match the checksum sent with them.
_CHECKSUM_MISMATCH = {
    "BadDigest",
    "InvalidDigest",
    "XAmzContentChecksumMismatch",
    "XAmzContentSHA256Mismatch",
}
# What CompleteMultipartUpload answers for a list of parts that does not match the parts it holds.
_PARTS_REFUSED = {"InvalidPart", "InvalidPartOrder", "EntityTooSmall"}


class Readable(Protocol):
    def readinto(self, buffer: bytearray, /) -> int:
        """Fills the buffer; fewer bytes than it holds only at the end of the stream."""


class ObjectBody(Protocol):
    """An object being read from S3 (botocore's StreamingBody): iterate it, then close it."""

    def iter_chunks(self, chunk_size: int = ...) -> Iterator[bytes]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    last_modified: datetime


@dataclass(frozen=True)
class IncompleteUpload:
    """A multipart upload started and neither completed nor aborted: its parts take space, unseen."""

    key: str
    upload_id: str
    initiated: datetime


@dataclass(frozen=True)
class ListedPart:
    """A part of a multipart upload, as ListParts describes it (`etag` quoted, as S3 sends it)."""

    number: int
    etag: str
    size: int
    checksum_sha256: str | None  # base64; only from servers whose ListParts returns it (AWS, MinIO)


@dataclass(frozen=True)
class CompletedPart:
    number: int
    etag: str
    checksum_sha256: str


class StorageUnavailable(Exception):
    """The S3 server did not answer or refused the request."""


class ObjectNotFound(Exception):
    """The bucket has no object under that key."""


class UploadNotFound(Exception):
    """S3 has no multipart upload of that id (any more): it was completed or aborted."""


class ChecksumMismatch(Exception):
    """S3 refused a part: its bytes do not match the checksum sent with them."""


class PartsRefused(Exception):
    """S3 refused to complete a multipart upload with the parts it was given."""


class ObjectStore:
    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client  # boto3's S3 client: thread-safe, shared by every request
        self.bucket = bucket

    @classmethod
    def from_settings(cls, settings: Settings) -> "ObjectStore":
        config = Config(
            region_name=settings.s3_region,
            signature_version="s3v4",
            # Path-style URLs (http://host/bucket/key): MinIO and SeaweedFS have no per-bucket host names.
            s3={"addressing_style": "path"},
            # A stopped or frozen S3 server costs a request at most attempts x timeout, not minutes.
            connect_timeout=settings.s3_connect_timeout_seconds,
            read_timeout=settings.s3_read_timeout_seconds,
            retries={"mode": "standard", "total_max_attempts": settings.s3_max_attempts},
            max_pool_connections=PARALLEL_PARTS * UPLOADS_AT_ONCE,
            # botocore otherwise computes a CRC32 of every part and checks one on every download: S3
            # servers such as MinIO and SeaweedFS do not need it, and FileAPI keeps its own sha256.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        # A session of its own: boto3's default session is module state, not safe to create from threads.
        client = boto3.session.Session().client(
            "s3",
            endpoint_url=str(settings.s3_endpoint_url).rstrip("/"),
            aws_access_key_id=settings.file_api_s3_access_key,
            aws_secret_access_key=settings.file_api_s3_secret_key.get_secret_value(),
            config=config,
        )
        return cls(client, settings.file_api_bucket)

    def ensure_bucket(self) -> None:
        with _translate_errors():
            if self._bucket_exists():
                return
            request: dict[str, Any] = {"Bucket": self.bucket}
            region = self.client.meta.region_name
            if region != "us-east-1":  # S3 wants the region named, except its first one
                request["CreateBucketConfiguration"] = {"LocationConstraint": region}
            try:
                self.client.create_bucket(**request)
            except ClientError as exc:
                # Another instance starting at the same time made it first.
                if _error_code(exc) not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                    raise

    def ping(self) -> None:
        with _translate_errors():
            if not self._bucket_exists():
                raise StorageUnavailable(f"bucket {self.bucket!r} does not exist")

    def put_stream(self, key: str, stream: Readable, content_type: str) -> None:
        """Stores the stream under `key`: one PUT when it is shorter than a part (an empty file too),
        else a multipart upload, aborted if anything fails (the stream raising too)."""
        parts = _PartBuffers()
        try:
            first = parts.fill_from(stream)
            with _translate_errors(key):
                if len(first) < PART_SIZE:
                    self.client.put_object(Bucket=self.bucket, Key=key, Body=first, ContentType=content_type)
                    return
                upload_id = self.client.create_multipart_upload(
                    Bucket=self.bucket, Key=key, ContentType=content_type
                )["UploadId"]
                try:
                    confirmed = self._upload_parts(key, upload_id, first, stream, parts)
                    self.client.complete_multipart_upload(
                        Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": confirmed}
                    )
                except BaseException:
                    self._abort_after_failure(key, upload_id)
                    raise
        finally:
            parts.release()

    def open(self, key: str, offset: int = 0, length: int = 0) -> ObjectBody:
        """Starts reading the object, or `length` bytes of it from `offset` (0: to the end); the caller
        closes the body. The whole object is one plain GET: no Range header, so an empty object works."""
        request = {"Bucket": self.bucket, "Key": key}
        if offset or length:
            request["Range"] = f"bytes={offset}-{offset + length - 1 if length else ''}"
        with _translate_errors(key):
            body: ObjectBody = self.client.get_object(**request)["Body"]
            return body

    def ensure_exists(self, key: str) -> None:
        with _translate_errors(key):
            self.client.head_object(Bucket=self.bucket, Key=key)

    def remove(self, key: str) -> None:
        """Deletes the object; a key that does not exist is no error (S3 answers 204 alike)."""
        with _translate_errors(key):
            self.client.delete_object(Bucket=self.bucket, Key=key)

    def presign_get(self, key: str, expires_in: int) -> str:
        """A URL that downloads the object straight from S3 (S3_ENDPOINT_URL) for `expires_in` seconds.
        Signed locally: it works whether or not the object exists, and S3 answers 404 then."""
        url: str = self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_in
        )
        return url

    def list_objects(self) -> Iterator[StoredObject]:
        with _translate_errors():
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
                for item in page.get("Contents", []):
                    yield StoredObject(item["Key"], item["Size"], item["LastModified"])

    def list_incomplete_uploads(self) -> Iterator[IncompleteUpload]:
        with _translate_errors():
            for page in self.client.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket):
                for item in page.get("Uploads", []):
                    yield IncompleteUpload(item["Key"], item["UploadId"], item["Initiated"])

    def abort_upload(self, key: str, upload_id: str) -> None:
        """Aborts a multipart upload: S3 drops its parts. One already gone is no error."""
        with _translate_errors(key):
            try:
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
            except ClientError as exc:
                if _error_code(exc) != "NoSuchUpload":
                    raise

    # A resumable upload's steps, one request each (resumable.py decides when).

    def start_upload(self, key: str, content_type: str) -> str:
        """Creates a multipart upload whose every part carries its SHA-256, which S3 verifies; returns
        its id."""
        with _translate_upload_errors(key):
            upload_id: str = self.client.create_multipart_upload(
                Bucket=self.bucket, Key=key, ContentType=content_type, ChecksumAlgorithm="SHA256"
            )["UploadId"]
            return upload_id

    def upload_part(
        self, key: str, upload_id: str, number: int, data: bytearray, checksum_sha256: str
    ) -> str:
        """Sends one part with its SHA-256 (base64); returns its ETag, quoted as S3 answers it."""
        with _translate_upload_errors(key):
            etag: str = self.client.upload_part(
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                PartNumber=number,
                Body=data,
                ChecksumSHA256=checksum_sha256,
            )["ETag"]
            return etag

    def list_parts(self, key: str, upload_id: str) -> list[ListedPart]:
        """The parts S3 holds of the upload, in order (every page: up to 10,000 parts)."""
        with _translate_upload_errors(key):
            pages = self.client.get_paginator("list_parts").paginate(
                Bucket=self.bucket, Key=key, UploadId=upload_id
            )
            parts = [
                ListedPart(item["PartNumber"], item["ETag"], item["Size"], item.get("ChecksumSHA256"))
                for page in pages
                for item in page.get("Parts", [])
            ]
        return sorted(parts, key=lambda part: part.number)

    def complete_upload(self, key: str, upload_id: str, parts: Sequence[CompletedPart]) -> None:
        request = [
            {"PartNumber": part.number, "ETag": part.etag, "ChecksumSHA256": part.checksum_sha256}
            for part in parts
        ]
        with _translate_upload_errors(key):
            self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": request}
            )

    def size_of(self, key: str) -> int:
        with _translate_errors(key):
            size: int = self.client.head_object(Bucket=self.bucket, Key=key)["ContentLength"]
            return size

    def _bucket_exists(self) -> bool:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if _error_code(exc) in {"NoSuchBucket", "404"}:
                return False
            raise
        return True

    def _upload_parts(
        self, key: str, upload_id: str, first: bytearray, stream: Readable, parts: "_PartBuffers"
    ) -> list[dict[str, Any]]:
        """Uploads the stream's parts, PARALLEL_PARTS at a time; the next part is read while they upload,
        into a buffer of a part S3 has confirmed. Returns the confirmed parts, in order."""
        confirmed: list[dict[str, Any]] = []
        in_flight: dict[Future[dict[str, Any]], bytearray] = {}
        executor = ThreadPoolExecutor(PARALLEL_PARTS, thread_name_prefix="s3-part")
        try:
            part, number = first, 1
            while part:
                if len(in_flight) == PARALLEL_PARTS:
                    done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                    for future in done:
                        confirmed.append(future.result())  # raises the first failure
                        parts.reuse(in_flight.pop(future))
                future = executor.submit(self._upload_part, key, upload_id, number, part)
                in_flight[future] = part
                part, number = parts.fill_from(stream), number + 1
            confirmed += [future.result() for future in in_flight]
        finally:
            # After a failure: parts not started are dropped and running ones finish, so no thread
            # outlives the upload and no buffer is emptied while it is being sent.
            executor.shutdown(wait=True, cancel_futures=True)
        return sorted(confirmed, key=lambda confirmed_part: int(confirmed_part["PartNumber"]))

    def _upload_part(self, key: str, upload_id: str, number: int, data: bytearray) -> dict[str, Any]:
        response = self.client.upload_part(
            Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data
        )
        return {"PartNumber": number, "ETag": response["ETag"]}

    def _abort_after_failure(self, key: str, upload_id: str) -> None:
        """Aborts the upload without hiding the failure that led here (the caller re-raises that)."""
        try:
            self.abort_upload(key, upload_id)
        except StorageUnavailable:
            logger.exception(
                "could not abort the multipart upload %s of %s: `python -m file_api.reconcile --fix` will",
                upload_id,
                key,
            )


class _PartBuffers:
    """The part buffers of one upload: at most PARALLEL_PARTS + 1 of PART_SIZE bytes, each reused once
    S3 has its part.

    release() empties them, which frees their memory even if something still holds the bytearray (a
    traceback of the failure keeps the frames that used them)."""

    def __init__(self) -> None:
        self._every: list[bytearray] = []
        self._free: list[bytearray] = []

    def fill_from(self, stream: Readable) -> bytearray:
        """The stream's next part in a buffer; shorter than PART_SIZE at the end, empty after it."""
        buffer = self._free.pop() if self._free else self._new()
        filled = stream.readinto(buffer)
        if filled < PART_SIZE:
            del buffer[filled:]  # the last part: its buffer is not reused
        return buffer

    def reuse(self, buffer: bytearray) -> None:
        self._free.append(buffer)

    def release(self) -> None:
        for buffer in self._every:
            buffer.clear()
        self._every.clear()
        self._free.clear()

    def _new(self) -> bytearray:
        buffer = bytearray(PART_SIZE)
        self._every.append(buffer)
        return buffer


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@contextmanager
def _translate_upload_errors(key: str) -> Iterator[None]:
    """Like _translate_errors, and tells the refusals a resumable upload's client can act on apart."""
    with _translate_errors(key):
        try:
            yield
        except ClientError as exc:
            code = _error_code(exc)
            if code == "NoSuchUpload":
                raise UploadNotFound(key) from exc
            if code in _CHECKSUM_MISMATCH:
                raise ChecksumMismatch(key) from exc
            if code in _PARTS_REFUSED:
                raise PartsRefused(code) from exc
            raise


@contextmanager
def _translate_errors(key: str = "") -> Iterator[None]:
    """Turns botocore's errors into the two this service tells its clients about."""
    try:
        yield
    except ClientError as exc:
        if _error_code(exc) in _NOT_FOUND:
            raise ObjectNotFound(key) from exc
        raise StorageUnavailable(f"S3 refused the request: {_error_code(exc)}") from exc
    except BotoCoreError as exc:
        raise StorageUnavailable(f"S3 did not answer: {exc.__class__.__name__}") from exc
