"""`minio`: django-minio-backend's MinioBackend, whose uploads and reads stream."""

import posixpath
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

import minio.error
from django.core.files import File
from django_minio_backend.models import MinioBackend

from file_storage.backends.common import checked_name, download_response_headers, name_to_delete, storage_time
from file_storage.remote_files import Body, RemoteFile, read_only, upload_stream

MiB = 1024**2
# One part in memory at a time per upload, and 8 MiB parts allow objects up to 78 GiB.
PART_SIZE = 8 * MiB


class MinioFilmStorage(MinioBackend):
    """MinioBackend whose uploads and reads stream.

    Its `_save` reads a whole file into memory below its multipart threshold and calls the
    minio 7.2.19 API above it; its `_open` reads the whole object into memory. Both are replaced
    with streamed calls of the declared length, which bound memory by the part size. Its presigned
    links make S3 answer with a download (`download_response_headers`).
    """

    def _generate_url(self, name: str) -> str:
        if self.is_bucket_public:
            # An anonymous GET cannot choose S3's response headers; nginx's bucket location adds them.
            return str(super()._generate_url(name))
        client = self.client if self.same_endpoints else self.client_external
        # The library's expiry setting lives in a name-mangled attribute of MinioBackend.
        expires: timedelta = self._MinioBackend__MINIO_URL_EXPIRY_HOURS
        url: str = client.presigned_get_object(
            bucket_name=self.bucket,
            object_name=name,
            expires=expires,
            response_headers=download_response_headers(name),
        )
        return url

    def _save(self, file_path_name: str, content: File) -> str:  # type: ignore[type-arg]
        if self._MinioBackend__MINIO_BUCKET_CHECK_ON_SAVE:  # the library's _save, replaced here, honours it
            self.check_bucket_existence()
        object_name = PurePosixPath(file_path_name).as_posix()
        data, size = upload_stream(content)
        self.client.put_object(
            bucket_name=self.bucket,
            object_name=object_name,
            data=data,
            length=-1 if size is None else size,
            content_type=self._guess_content_type(file_path_name, content),
            part_size=PART_SIZE,
        )
        return object_name

    def _open(self, object_name: str, mode: str = "rb", **kwargs: Any) -> RemoteFile:
        read_only(mode)  # as the library's own files
        name = checked_name(object_name)
        try:
            first = self.client.get_object(bucket_name=self.bucket, object_name=name)
        except minio.error.S3Error as exc:
            if exc.code in {"NoSuchKey", "NoSuchObject"}:
                raise FileNotFoundError(f"no object {name!r} in bucket {self.bucket!r}") from exc
            raise

        def open_at(offset: int) -> Body:
            # If-Match: a read that seeks never mixes the bytes of two versions of the object.
            headers = {"If-Match": first.headers["etag"]}
            return _PooledBody(
                self.client.get_object(
                    bucket_name=self.bucket, object_name=name, offset=offset, request_headers=headers
                )
            )

        return RemoteFile(name, int(first.headers["content-length"]), open_at, _PooledBody(first), mode)

    def stat(self, name: str) -> Any:
        name = checked_name(name)
        try:
            return super().stat(name)
        except minio.error.S3Error as exc:
            if exc.code in {"NoSuchKey", "NoSuchObject"}:
                raise FileNotFoundError(f"no object {name!r} in bucket {self.bucket!r}") from exc
            raise

    def exists(self, name: str) -> bool:
        # The library answers False on any error, which would make an unreachable server look empty.
        try:
            self.stat(name)
        except FileNotFoundError:
            return False
        return True

    def listdir(self, path: str = "", **kwargs: Any) -> tuple[list[str], list[str]]:
        # The library takes the path as a key prefix: "./a/." would match no key.
        prefix = posixpath.normpath(path or ".")
        return super().listdir("" if prefix == "." else prefix, **kwargs)  # type: ignore[no-any-return]

    def delete(self, name: str) -> None:
        super().delete(name_to_delete(name))

    def get_modified_time(self, name: str) -> datetime:
        return storage_time(self.stat(name).last_modified)

    def get_created_time(self, name: str) -> datetime:
        # An object is written whole, once: its Last-Modified is when it was created.
        return self.get_modified_time(name)

    def size(self, name: str) -> int:
        # The library answers 0 on any error.
        return int(self.stat(name).size or 0)

    def check(self) -> str:
        # Through the client and its timeouts (the library's is_minio_available() has none): an
        # unreachable server raises here.
        self.check_bucket_existence()  # the library's bucket initialisation
        return f"bucket {self.bucket!r} at {self.base_url}"


class _PooledBody:
    """A minio (urllib3) response as a `Body`: closing it also gives its connection back to the pool."""

    def __init__(self, response: Any) -> None:
        self._response = response

    def read(self, size: int = -1, /) -> bytes:
        data: bytes = self._response.read(None if size < 0 else size)
        return data

    def close(self) -> None:
        self._response.close()
        self._response.release_conn()
