"""POST /api/v1/: streaming multipart upload into S3, with its row written only for a stored object."""

import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest

from file_api.config import Settings
from file_api.storage import PART_SIZE

MiB = 1024**2


def test_upload_answers_201_with_metadata(upload: Callable[..., dict[str, Any]], object_keys: Any) -> None:
    content = os.urandom(100_000)
    body = upload(content, "film.mp4", "video/mp4")

    assert set(body) == {
        "id",
        "short_name",
        "filename",
        "size",
        "content_type",
        "sha256",
        "created_at",
        "url",
    }
    assert body["filename"] == "film.mp4"
    assert body["size"] == len(content)
    assert body["content_type"] == "video/mp4"
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    url = urlsplit(body["url"])
    assert url.path == f"/api/v1/download-stream/{body['short_name']}"
    assert set(parse_qs(url.query)) == {"expires", "signature"}  # FILE_API_SIGNED_URLS is on
    assert 20 <= len(body["short_name"]) <= 32
    assert body["short_name"] in object_keys()


def test_uploaded_bytes_download_unchanged(upload: Callable[..., dict[str, Any]], api: httpx.Client) -> None:
    content = os.urandom(3 * MiB + 17)
    body = upload(content)

    response = api.get(body["url"])

    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == hashlib.sha256(content).hexdigest()


@pytest.mark.slow
def test_200_mb_file_round_trip_streamed(api: httpx.Client, auth: dict[str, str], tmp_path: Path) -> None:
    size = 200 * MiB
    source = tmp_path / "big film.mkv"
    written = hashlib.sha256()
    with source.open("wb") as out:
        for _ in range(size // MiB):
            block = os.urandom(MiB)
            written.update(block)
            out.write(block)

    with source.open("rb") as stream:  # httpx streams a file object in chunks
        response = api.post(
            "/api/v1/", headers=auth, files={"file": (source.name, stream, "video/x-matroska")}
        )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["size"] == size
    assert body["sha256"] == written.hexdigest()

    read = hashlib.sha256()
    received = 0
    with api.stream("GET", body["url"]) as download:
        assert download.headers["content-length"] == str(size)
        for chunk in download.iter_bytes():
            read.update(chunk)
            received += len(chunk)
    assert received == size
    assert read.hexdigest() == written.hexdigest()


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("Звёздные войны.mp4", "Звёздные войны.mp4"),
        ("my summer film (2024) final.mkv", "my summer film (2024) final.mkv"),
        ('He said "action".mp4', 'He said "action".mp4'),
        ("x" * 300 + ".mp4", "x" * 251 + ".mp4"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\film.avi", "film.avi"),
        ("tab\there.mp4", "tabhere.mp4"),
    ],
)
def test_filename_is_kept_readable_and_safe(
    upload: Callable[..., dict[str, Any]], api: httpx.Client, sent: str, stored: str
) -> None:
    body = upload(b"frames", sent)
    assert body["filename"] == stored

    response = api.get(body["url"])
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="')
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == stored
    assert disposition.isascii()


@pytest.mark.parametrize(
    ("filename", "declared", "stored"),
    [
        ("film.webm", "video/webm", "video/webm"),
        ("film.mp4", "application/octet-stream", "video/mp4"),  # what curl sends: the name says more
        ("film.unknown-extension", "application/octet-stream", "application/octet-stream"),
        ("film.mp4", "not a type", "video/mp4"),
        ("notes.txt", "text/plain; charset=utf-8", "text/plain"),
    ],
)
def test_content_type_is_the_declared_one_or_guessed_from_the_name(
    upload: Callable[..., dict[str, Any]], api: httpx.Client, filename: str, declared: str, stored: str
) -> None:
    body = upload(b"frames", filename, declared)

    assert body["content_type"] == stored
    assert api.get(body["url"]).headers["content-type"] == stored


def test_key_is_chosen_by_the_server(upload: Callable[..., dict[str, Any]], object_keys: Any) -> None:
    body = upload(b"frames", "../../films/other.mp4")
    assert body["short_name"] in object_keys()
    assert not any("other" in key or "/" in key for key in object_keys())


def test_same_filename_twice_is_two_files(upload: Callable[..., dict[str, Any]], api: httpx.Client) -> None:
    first = upload(b"first cut", "film.mp4")
    second = upload(b"second cut", "film.mp4")

    assert first["short_name"] != second["short_name"]
    assert api.get(first["url"]).content == b"first cut"
    assert api.get(second["url"]).content == b"second cut"


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", "Basic dXNlcjpwYXNz", "Bearer"])
def test_upload_without_valid_token_is_401_and_stores_nothing(
    api: httpx.Client, object_keys: Any, row_count: Any, authorization: str | None
) -> None:
    keys_before, rows_before = object_keys(), row_count()
    headers = {"Authorization": authorization} if authorization else {}

    response = api.post("/api/v1/", headers=headers, files={"file": ("film.mp4", b"frames")})

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {"detail": "a valid bearer token is required"}
    assert (object_keys(), row_count()) == (keys_before, rows_before)


def test_empty_file_is_stored_and_downloaded_empty(
    upload: Callable[..., dict[str, Any]], api: httpx.Client, object_keys: Any
) -> None:
    body = upload(b"", "empty.txt", "text/plain")

    assert body["size"] == 0
    assert body["sha256"] == hashlib.sha256(b"").hexdigest()
    assert body["short_name"] in object_keys()
    response = api.get(body["url"])
    assert response.status_code == 200
    assert response.headers["content-length"] == "0"
    assert response.content == b""
    assert api.head(body["url"]).headers["content-length"] == "0"
    # An empty file has no byte to give: every range is unsatisfiable.
    for range_header in ("bytes=0-", "bytes=-1"):
        ranged = api.get(body["url"], headers={"Range": range_header})
        assert (ranged.status_code, ranged.headers["content-range"]) == (416, "bytes */0")


def test_form_without_file_field_is_422(api: httpx.Client, auth: dict[str, str]) -> None:
    response = api.post("/api/v1/", headers=auth, files={"video": ("film.mp4", b"frames")}, data={"x": "1"})

    assert response.status_code == 422
    assert response.json() == {
        "detail": "invalid request: body.file: the form has no field 'file'",
        "errors": [{"loc": ["body", "file"], "msg": "the form has no field 'file'", "type": "missing"}],
    }


def test_body_that_is_not_a_form_is_422(api: httpx.Client, auth: dict[str, str]) -> None:
    response = api.post(
        "/api/v1/",
        headers=auth,
        content=b"frames",
    )

    assert response.status_code == 422
    assert "multipart/form-data" in response.json()["detail"]


def test_truncated_multipart_body_is_400_and_stores_nothing(
    api: httpx.Client, auth: dict[str, str], object_keys: Any, row_count: Any
) -> None:
    keys_before, rows_before = object_keys(), row_count()
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="cut.mp4"\r\n\r\nframes without end'
    )

    response = api.post(
        "/api/v1/", headers=auth | {"Content-Type": "multipart/form-data; boundary=XyZ"}, content=body
    )

    assert response.status_code == 400
    assert response.json()["detail"] == "the request body ended in the middle of the file"
    assert (object_keys(), row_count()) == (keys_before, rows_before)


def test_fields_around_the_file_are_ignored(api: httpx.Client, auth: dict[str, str]) -> None:
    response = api.post(
        "/api/v1/", headers=auth, data={"title": "Solaris"}, files={"file": ("solaris.mkv", b"frames")}
    )

    assert response.status_code == 201
    assert api.get(response.json()["url"]).content == b"frames"


class TestSizeLimit:
    """FILE_API_MAX_UPLOAD_BYTES, enforced from the declared length and again while streaming."""

    LIMIT = 2 * PART_SIZE + MiB  # more than a part, so the streaming case aborts a real multipart upload

    def test_declared_length_over_limit_is_413_before_reading(
        self, file_api_settings: Callable[..., Settings], in_process_api: Any, object_keys: Any
    ) -> None:
        keys_before = object_keys()
        with in_process_api(file_api_settings(file_api_max_upload_bytes=self.LIMIT)) as client:
            response = client.post(
                "/api/v1/", files={"file": ("big.mp4", os.urandom(self.LIMIT + 128 * 1024))}
            )

        assert response.status_code == 413
        assert response.json() == {"detail": f"the file is larger than the limit of {self.LIMIT} bytes"}
        assert object_keys() == keys_before

    def test_streamed_body_over_limit_is_413_and_nothing_kept(
        self,
        file_api_settings: Callable[..., Settings],
        in_process_api: Any,
        object_keys: Any,
        row_count: Any,
    ) -> None:
        keys_before, rows_before = object_keys(), row_count()

        def chunked_form() -> Iterator[bytes]:  # no Content-Length: only the stream shows the size
            yield b'--B\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\n\r\n'
            for _ in range(self.LIMIT // MiB + 2):
                yield os.urandom(MiB)
            yield b"\r\n--B--\r\n"

        with in_process_api(file_api_settings(file_api_max_upload_bytes=self.LIMIT)) as client:
            response = client.post(
                "/api/v1/",
                headers={"Content-Type": "multipart/form-data; boundary=B"},
                content=chunked_form(),
            )

        assert response.status_code == 413
        assert (object_keys(), row_count()) == (keys_before, rows_before)

    def test_file_of_exactly_the_limit_is_accepted(
        self, file_api_settings: Callable[..., Settings], in_process_api: Any
    ) -> None:
        content = os.urandom(self.LIMIT)
        with in_process_api(file_api_settings(file_api_max_upload_bytes=self.LIMIT)) as client:
            response = client.post("/api/v1/", files={"file": ("exact.mp4", content)})

        assert response.status_code == 201
        assert response.json()["sha256"] == hashlib.sha256(content).hexdigest()
