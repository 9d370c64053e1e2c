"""The bucket where FileAPI keeps file contents, behind a small interface over the minio SDK."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import BinaryIO, Protocol, cast

import urllib3
from minio import Minio
from minio.error import S3Error
from urllib3.exceptions import HTTPError as TransportError
from urllib3.response import BaseHTTPResponse

from file_api.config import Settings

MiB = 1024**2
# Each upload holds at most (parallel parts + 1) parts in memory: 4 x 8 MiB, whatever the file's size.
# 8 MiB parts allow objects up to 78 GiB (S3's limit is 10,000 parts).
PART_SIZE = 8 * MiB
PARALLEL_PART_UPLOADS = 3


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class StorageUnavailable(Exception):
    """The S3 server did not answer or refused the request."""


class ObjectNotFound(Exception):
    """The bucket has no object under that key."""


class ObjectStore:
    def __init__(self, client: Minio, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    @classmethod
    def from_settings(cls, settings: Settings) -> "ObjectStore":
        # The SDK's default client retries 5 times and waits up to 5 minutes; a health check and a user
        # waiting on a form need a faster verdict. Retries still cover a restarting S3 server and its 5xx.
        http_client = urllib3.PoolManager(
            maxsize=32,
            timeout=urllib3.Timeout(connect=5, read=120),
            retries=urllib3.Retry(total=3, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
        )
        client = Minio(
            endpoint=settings.s3_endpoint,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key.get_secret_value(),
            secure=settings.s3_secure,
            region=settings.s3_region,
            http_client=http_client,
        )
        return cls(client, settings.file_api_bucket)

    def ensure_bucket(self) -> None:
        with _translate_errors():
            if self.client.bucket_exists(bucket_name=self.bucket):
                return
            try:
                self.client.make_bucket(bucket_name=self.bucket)
            except S3Error as exc:
                # Another instance starting at the same time made it first.
                if exc.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                    raise

    def ping(self) -> None:
        with _translate_errors():
            if not self.client.bucket_exists(bucket_name=self.bucket):
                raise StorageUnavailable(f"bucket {self.bucket!r} does not exist")

    def put_stream(self, key: str, stream: Readable, content_type: str) -> None:
        """Upload a stream of unknown length as a multipart upload; aborted if the stream raises."""
        with _translate_errors():
            self.client.put_object(
                bucket_name=self.bucket,
                object_name=key,
                data=cast(BinaryIO, stream),  # the SDK only calls read()
                length=-1,
                content_type=content_type,
                part_size=PART_SIZE,
                num_parallel_uploads=PARALLEL_PART_UPLOADS,
            )

    def open(self, key: str, offset: int = 0, length: int = 0) -> BaseHTTPResponse:
        """Start reading an object (or `length` bytes from `offset`); the caller closes the response."""
        with _translate_errors():
            return self.client.get_object(
                bucket_name=self.bucket, object_name=key, offset=offset, length=length
            )

    def presign_get(self, key: str, expires_in: int) -> str:
        """A presigned GET of the object at the S3 endpoint FileAPI uses; signed locally, no request."""
        with _translate_errors():
            return self.client.presigned_get_object(
                bucket_name=self.bucket, object_name=key, expires=timedelta(seconds=expires_in)
            )

    def ensure_exists(self, key: str) -> None:
        with _translate_errors():
            self.client.stat_object(bucket_name=self.bucket, object_name=key)

    def remove(self, key: str) -> None:
        with _translate_errors():
            self.client.remove_object(bucket_name=self.bucket, object_name=key)


@contextmanager
def _translate_errors() -> Iterator[None]:
    """Turns the SDK's and urllib3's errors into the two this service tells its clients about."""
    try:
        yield
    except S3Error as exc:
        if exc.code in {"NoSuchKey", "NoSuchObject"}:
            raise ObjectNotFound(exc.object_name) from exc
        raise StorageUnavailable(f"S3 refused the request: {exc.code}") from exc
    except TransportError as exc:
        raise StorageUnavailable(f"S3 did not answer: {exc.__class__.__name__}") from exc
