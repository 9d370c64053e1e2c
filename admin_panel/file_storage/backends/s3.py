"""`s3`: django-storages' S3Storage, whose links a browser can open and whose reads stream.

The library's own `_open` loads the whole object into a spooled temporary file: a film must stream, so it
is a `RemoteFile` here, which streams and seeks with Range requests.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cached_property
from typing import Any

from botocore.exceptions import ClientError
from django.core.exceptions import SuspiciousFileOperation, SuspiciousOperation
from django.core.files import File
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

from file_storage.backends.common import checked_name, download_response_headers, name_to_delete, storage_time
from file_storage.remote_files import Body, RemoteFile, upload_stream


class S3FilmStorage(S3Storage):
    """S3Storage whose links a browser can open and whose reads stream.

    Its URLs are presigned against `public_endpoint_url` (signing is local: no request is made), because
    the endpoint the admin talks to, e.g. `http://minio:9000` inside Compose, is not one a browser reaches,
    and make S3 answer with a download (`download_response_headers`).
    """

    def get_default_settings(self) -> dict[str, Any]:
        return {**super().get_default_settings(), "public_endpoint_url": None}

    def url(
        self,
        name: str,
        parameters: dict[str, Any] | None = None,
        expire: int | None = None,
        http_method: str | None = None,
    ) -> str:
        # boto3's names of the response-* query parameters.
        download = download_response_headers(name)
        parameters = {
            "ResponseContentDisposition": download["response-content-disposition"],
            "ResponseContentType": download["response-content-type"],
            **(parameters or {}),
        }
        if not self.public_endpoint_url:
            return str(super().url(name, parameters, expire, http_method))
        params = {
            **parameters,
            "Bucket": self.bucket_name,
            "Key": self._normalize_name(clean_name(name)),
        }
        url: str = self.public_client.generate_presigned_url(
            "get_object",
            Params=params,
            ExpiresIn=self.querystring_expire if expire is None else expire,
            HttpMethod=http_method,
        )
        return url

    @cached_property
    def public_client(self) -> Any:
        """A client for links a browser opens: signed for `public_endpoint_url` (or the endpoint itself)."""
        session = self._create_session()
        return session.client(
            "s3",
            region_name=self.region_name,
            endpoint_url=self.public_endpoint_url or self.endpoint_url,
            config=self.client_config,
        )

    def _normalize_name(self, name: str) -> str:
        try:
            return str(super()._normalize_name(checked_name(name)))
        except SuspiciousOperation as exc:  # the library's is not the file-specific one Django raises
            raise SuspiciousFileOperation(str(exc)) from exc

    def _open(self, name: str, mode: str = "rb") -> File:  # type: ignore[type-arg]
        if mode not in {"r", "rb"}:
            return super()._open(name, mode)  # type: ignore[no-any-return]  # S3File: uploaded on close
        key = self._normalize_name(clean_name(name))
        client = self.bucket.meta.client
        with self._missing_as_file_not_found(key):
            first = client.get_object(Bucket=self.bucket_name, Key=key)

        def open_at(offset: int) -> Body:
            # If-Match: a read that seeks never mixes the bytes of two versions of the object.
            response = client.get_object(
                Bucket=self.bucket_name, Key=key, Range=f"bytes={offset}-", IfMatch=first["ETag"]
            )
            body: Body = response["Body"]
            return body

        return RemoteFile(name, first["ContentLength"], open_at, first["Body"], mode)

    def _save(self, name: str, content: File) -> str:  # type: ignore[type-arg]
        data, _size = upload_stream(content)  # the library would send text's characters, not bytes
        return str(super()._save(name, content if data is content else File(data, content.name)))

    def delete(self, name: str) -> None:
        super().delete(name_to_delete(name))

    def get_modified_time(self, name: str) -> datetime:
        key = self._normalize_name(clean_name(name))
        with self._missing_as_file_not_found(key):
            head = self.bucket.meta.client.head_object(Bucket=self.bucket_name, Key=key)
        return storage_time(head["LastModified"])

    def get_created_time(self, name: str) -> datetime:
        # An object is written whole, once: its Last-Modified is when it was created.
        return self.get_modified_time(name)

    @contextmanager
    def _missing_as_file_not_found(self, key: str) -> Iterator[None]:
        try:
            yield
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                raise FileNotFoundError(f"no object {key!r} in bucket {self.bucket_name!r}") from exc
            raise

    def check(self) -> str:
        self.bucket.meta.client.head_bucket(Bucket=self.bucket_name)
        return f"bucket {self.bucket_name!r} at {self.endpoint_url}"
