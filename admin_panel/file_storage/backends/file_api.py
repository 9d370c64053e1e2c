"""`file_api`: FileAPIStorage, this project's own client of FileAPI, over httpx."""

import mimetypes
import time
import weakref
from datetime import datetime
from pathlib import PurePosixPath
from typing import IO, Any
from urllib.parse import quote, urlencode

import httpx
from django.core.files import File
from django.core.files.storage import Storage
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _

from file_storage.backends.common import checked_name, name_to_delete, storage_time
from file_storage.remote_files import (
    READ_BUFFER_SIZE,
    Body,
    ChunksReader,
    RemoteFile,
    read_only,
    upload_stream,
)
from file_storage.signing import signed_query


class FileAPIError(Exception):
    """FileAPI refused a request or could not be reached; the message is meant for the admin's user."""


@deconstructible
class FileAPIStorage(Storage):
    """Keeps files in FileAPI: a name in the database is the `short_name` FileAPI chose for the file.

    Uploads stream from the upload's temporary file (httpx reads a file object in 64 KiB chunks; plain
    `requests` with `files=` would read it whole into memory). A request is tried `retries` times in all:
    httpx's transport tries a failed connection again (`retries`), and `_request` a 502/503/504 answer,
    which httpx does not retry.

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
                # A connection that fails (refused, timed out) is tried again before any byte is sent,
                # after 0 s, 0.5 s, 1 s...: httpcore's pauses.
                transport=httpx.HTTPTransport(retries=self.retries - 1),
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
        """One request; a 502/503/504 answer is tried again after a pause (0.5 s, 1 s...), a failed
        connection by the transport (see `client`). Other errors raise FileAPIError."""
        # A retried upload starts again from the first byte, which a one-way stream cannot do.
        rewindable = rewind is not None and rewind.seekable()
        attempts = self.retries if rewind is None or rewindable else 1
        for attempt in range(1, attempts + 1):
            if rewind is not None and rewindable:
                rewind.seek(0)
            try:
                response = self.client.send(self.client.build_request(method, path, **kwargs), stream=stream)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                raise FileAPIError(
                    _("FileAPI is unavailable at %(url)s: %(error)s") % {"url": self.base_url, "error": exc}
                ) from exc
            except httpx.TransportError as exc:
                raise FileAPIError(_("FileAPI did not answer in time: %(error)s") % {"error": exc}) from exc
            if response.status_code not in self.RETRY_STATUSES or attempt == attempts:
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


def _body(response: httpx.Response) -> Body:
    return ChunksReader(response.iter_raw(READ_BUFFER_SIZE), response.close)


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail", response.text)
    except ValueError:
        detail = response.text
    return str(detail)[:500]
