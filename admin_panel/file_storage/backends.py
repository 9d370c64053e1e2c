"""The four storages FILE_STORAGE_BACKEND chooses from, made to stream and to give browser links.

- `local`: Django's FileSystemStorage, as it is.
- `s3`: django-storages' S3Storage; links presigned against S3_PUBLIC_ENDPOINT_URL, reads streamed.
- `minio`: django-minio-backend's MinioBackend; uploads and reads streamed.
- `file_api`: FileAPIStorage, this project's own client of FileAPI.

The libraries' own reads load the whole object (into memory for MinioBackend, into a spooled
temporary file for S3Storage): a film must stream, so `_open` is replaced in both by a `RemoteFile`,
which streams and seeks with Range requests. Where the libraries break Django's Storage contract
(Django's own tests/file_storage, run by tests/storage_contract), the subclasses keep it: text content
is stored as UTF-8, times follow USE_TZ, `delete("")` is refused, path traversal is suspicious.
"""

import logging
import mimetypes
import os
import posixpath
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import IO, Any
from urllib.parse import quote, urlencode

import httpx
import minio.error
from botocore.exceptions import ClientError
from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation, SuspiciousOperation
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage
from django.utils.deconstruct import deconstructible
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django_minio_backend.models import MinioBackend
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

from file_storage.remote_files import (
    READ_BUFFER_SIZE,
    Body,
    ChunksReader,
    RemoteFile,
    read_only,
    upload_stream,
)
from file_storage.signing import signed_query

logger = logging.getLogger(__name__)

MiB = 1024**2
# One part in memory at a time per upload, and 8 MiB parts allow objects up to 78 GiB.
PART_SIZE = 8 * MiB


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


class FileAPIError(Exception):
    """FileAPI refused a request or could not be reached; the message is meant for the admin's user."""


@deconstructible(path="file_storage.backends.FileAPIStorage")
class FileAPIStorage(Storage):
    """Keeps files in FileAPI: a name in the database is the `short_name` FileAPI chose for the file.

    Uploads stream from the upload's temporary file (httpx reads a file object in 64 KiB chunks; plain
    `requests` with `files=` would read it whole into memory). Connection errors and 502/503/504 are
    retried with backoff; httpx does not retry on status codes, hence the loop in `_request`.

    With `signed_urls` (FILE_API_SIGNED_URLS), `url()` signs the browser's link with the key FileAPI checks
    it with; the admin's own requests, downloads included, send the token instead.
    """

    RETRY_STATUSES = frozenset({502, 503, 504})
    # No such file: 404, or 422 for a name FileAPI could never have given (not a short_name, e.g. the
    # `films/...` path of another backend, which transfer_files asks about).
    MISSING_STATUSES = frozenset({404, 422})
    LIST_PAGE_SIZE = 500  # FileAPI's largest page

    def __init__(
        self,
        base_url: str,
        public_url: str,
        token: str,
        timeout: float = 30.0,
        retries: int = 3,
        signed_urls: bool = False,
        url_signing_key: str = "",
        signed_url_lifetime: int = 12 * 3600,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.public_url = public_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self.signed_urls = signed_urls
        self.url_signing_key = url_signing_key
        self.signed_url_lifetime = signed_url_lifetime
        self._client: httpx.Client | None = None

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                base_url=self.base_url,
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 5.0)),
            )
            # Storages live as long as the process; close the pooled connections with the instance.
            weakref.finalize(self, self._client.close)
        return self._client

    # Storage API

    def _save(self, name: str, content: File) -> str:  # type: ignore[type-arg]
        filename = PurePosixPath(name).name
        content_type = getattr(content, "content_type", None) or mimetypes.guess_type(filename)[0]
        # A size httpx cannot find out itself is sent chunked.
        data, _size = upload_stream(content)
        response = self._request(
            "POST",
            "/api/v1/",
            files={"file": (filename, data, content_type or "application/octet-stream")},
            rewind=data,
        )
        short_name: str = response.json()["short_name"]
        return short_name

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        return name  # FileAPI chooses the stored name; two uploads of one name are two files

    def _open(self, name: str, mode: str = "rb") -> RemoteFile:
        read_only(mode)  # a stored file never changes
        name = checked_name(name)
        first = self._download(name, 0)
        size = int(first.headers["content-length"])
        return RemoteFile(name, size, lambda offset: _body(self._download(name, offset)), _body(first), mode)

    def exists(self, name: str) -> bool:
        return self._metadata(name) is not None

    def delete(self, name: str) -> None:
        self._request("DELETE", self._metadata_path(name_to_delete(name)), missing_ok=True)

    def size(self, name: str) -> int:
        return int(self._required_metadata(name)["size"])

    def original_name(self, name: str) -> str:
        """The file name the file was uploaded with (`name` is the short_name FileAPI chose)."""
        return str(self._required_metadata(name)["filename"])

    def url(self, name: str | None) -> str:
        link = f"{self.public_url}{self._download_path(name or '')}"
        if not self.signed_urls:
            return link
        return f"{link}?{urlencode(signed_query(name or '', self.url_signing_key, self.signed_url_lifetime))}"

    def get_created_time(self, name: str) -> datetime:
        return storage_time(datetime.fromisoformat(self._required_metadata(name)["created_at"]))

    def get_modified_time(self, name: str) -> datetime:
        return self.get_created_time(name)  # a stored file never changes

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        """FileAPI is flat: every short_name at the top, no directories."""
        if path.strip("/"):
            return [], []
        names: list[str] = []
        while True:
            params = {"limit": self.LIST_PAGE_SIZE, "offset": len(names)}
            page = self._request("GET", "/api/v1/files", params=params).json()
            names += [item["short_name"] for item in page["items"]]
            if not page["items"] or len(names) >= page["total"]:
                return [], names

    # Resumable uploads (file_storage/direct_uploads.py): the admin opens, completes and aborts them with the
    # token; the browser sends the parts to `upload_part_url` with the session's grant.

    def open_upload(self, filename: str, size: int, content_type: str, part_size: int) -> dict[str, Any]:
        body = {"filename": filename, "size": size, "content_type": content_type, "part_size": part_size}
        session: dict[str, Any] = self._request("POST", "/api/v1/uploads", json=body).json()
        return session

    def renew_upload_grant(self, upload_id: str) -> dict[str, Any]:
        grant: dict[str, Any] = self._request("POST", f"{self._upload_path(upload_id)}/grant").json()
        return grant

    def upload_part_url(self, upload_id: str, number: int) -> str:
        return f"{self.public_url}{self._upload_path(upload_id)}/parts/{number}"

    def upload_parts(self, upload_id: str) -> list[dict[str, Any]]:
        parts: list[dict[str, Any]] = self._request("GET", f"{self._upload_path(upload_id)}/parts").json()[
            "parts"
        ]
        return parts

    def complete_upload(self, upload_id: str, parts: list[dict[str, Any]]) -> dict[str, Any]:
        response = self._request("POST", f"{self._upload_path(upload_id)}/complete", json={"parts": parts})
        stored: dict[str, Any] = response.json()
        return stored

    def abort_upload(self, upload_id: str) -> None:
        self._request("DELETE", self._upload_path(upload_id), missing_ok=True)

    def _upload_path(self, upload_id: str) -> str:
        return f"/api/v1/uploads/{quote(upload_id, safe='')}"

    def check(self) -> str:
        response = self._request("GET", "/api/v1/health")
        return f"FileAPI at {self.base_url}: {response.json()['status']}"

    # HTTP

    def _download_path(self, name: str) -> str:
        return f"/api/v1/download-stream/{quote(name, safe='')}"

    def _download(self, name: str, offset: int) -> httpx.Response:
        """The file's bytes from `offset` on; FileAPI answers a Range with 206."""
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        response = self._request(
            "GET", self._download_path(name), headers=headers, stream=True, missing_ok=True
        )
        if response.status_code in self.MISSING_STATUSES:
            response.close()
            raise FileNotFoundError(f"FileAPI has no file {name!r}")
        if offset and response.status_code != 206:
            response.close()
            raise FileAPIError(
                _("FileAPI ignored a Range request (HTTP %(status)s)") % {"status": response.status_code}
            )
        return response

    def _metadata_path(self, name: str) -> str:
        return f"/api/v1/files/{quote(name, safe='')}"

    def _metadata(self, name: str) -> dict[str, Any] | None:
        response = self._request("GET", self._metadata_path(checked_name(name)), missing_ok=True)
        if response.status_code in self.MISSING_STATUSES:
            return None
        metadata: dict[str, Any] = response.json()
        return metadata

    def _required_metadata(self, name: str) -> dict[str, Any]:
        metadata = self._metadata(name)
        if metadata is None:
            raise FileNotFoundError(f"FileAPI has no file {name!r}")
        return metadata

    def _request(
        self,
        method: str,
        path: str,
        *,
        rewind: IO[bytes] | None = None,
        stream: bool = False,
        missing_ok: bool = False,
        **kwargs: Any,
    ) -> httpx.Response:
        """One request, retried on connection errors and 502/503/504; other errors raise FileAPIError."""
        # A retried upload starts again from the first byte, which a one-way stream cannot do.
        can_retry = rewind is None or rewind.seekable()
        for attempt in range(1, self.retries + 1):
            if rewind is not None and can_retry:
                rewind.seek(0)
            last_attempt = attempt == self.retries or not can_retry
            try:
                request = self.client.build_request(method, path, **kwargs)
                response = self.client.send(request, stream=stream)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if last_attempt:
                    raise FileAPIError(
                        _("FileAPI is unavailable at %(url)s: %(error)s")
                        % {"url": self.base_url, "error": exc}
                    ) from exc
            except httpx.TransportError as exc:
                raise FileAPIError(_("FileAPI did not answer in time: %(error)s") % {"error": exc}) from exc
            else:
                if response.status_code not in self.RETRY_STATUSES or last_attempt:
                    return self._checked(response, missing_ok)
                response.close()
            time.sleep(0.5 * 2 ** (attempt - 1))
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _checked(self, response: httpx.Response, missing_ok: bool) -> httpx.Response:
        if response.is_success or (missing_ok and response.status_code in self.MISSING_STATUSES):
            return response
        response.read()
        detail = _detail(response)
        response.close()
        if response.status_code == 401:
            raise FileAPIError(
                _("FileAPI refused the token (FILE_API_TOKEN): %(detail)s") % {"detail": detail}
            )
        if response.status_code >= 500:
            raise FileAPIError(
                _("FileAPI is unavailable (HTTP %(status)s): %(detail)s")
                % {"status": response.status_code, "detail": detail}
            )
        raise FileAPIError(
            _("FileAPI refused the file (HTTP %(status)s): %(detail)s")
            % {"status": response.status_code, "detail": detail}
        )


def check_storage(storage: Storage) -> str:
    """Describes the storage if it is reachable and usable; raises if it is not."""
    if isinstance(storage, FileSystemStorage):
        location = Path(storage.location)
        location.mkdir(parents=True, exist_ok=True)
        if not os.access(location, os.W_OK):
            raise PermissionError(f"{location} is not writable")
        return f"directory {location}"
    check: Callable[[], str] | None = getattr(storage, "check", None)
    if check is None:
        raise TypeError(f"no check for {type(storage).__name__}")
    return check()


def _body(response: httpx.Response) -> Body:
    return ChunksReader(response.iter_raw(READ_BUFFER_SIZE), response.close)


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail", response.text)
    except ValueError:
        detail = response.text
    return str(detail)[:500]
