"""GET and HEAD /api/v1/download-stream/{short_name} over real sockets: the file's bytes, whole and by ranges.

Every test runs twice: against FileAPI directly (FileAPI streams the bytes) and through nginx (FileAPI
authorizes, nginx streams the bytes from S3 itself): both must answer the same. What FileAPI decides
without sending the file's bytes (refusals, 304, HEAD) is tested case by case in-process, in
test_download_semantics.py.
"""

import hashlib
import os
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from devstack.services import FileAPI, Nginx, SeaweedFS

SIZE = 1000
CONTENT = os.urandom(SIZE)
ETAG = f'"{hashlib.sha256(CONTENT).hexdigest()}"'


@pytest.fixture(scope="module")
def stored(api: httpx.Client, auth: dict[str, str]) -> dict[str, Any]:
    """One file of 1000 bytes shared by the read-only tests of this module."""
    response = api.post(
        "/api/v1/", headers=auth, files={"file": ("Звёздные войны.mp4", CONTENT, "video/mp4")}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture(scope="module", params=["file_api", "nginx"])
def reader(request: pytest.FixtureRequest, file_api_server: FileAPI) -> Iterator[httpx.Client]:
    """A client that downloads from FileAPI itself, or through nginx."""
    if request.param == "nginx":
        nginx: Nginx = request.getfixturevalue("nginx_server")
        base_url = nginx.base_url
    else:
        base_url = file_api_server.base_url
    with httpx.Client(base_url=base_url, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def link(stored: dict[str, Any]) -> str:
    """The file's link without its origin, for either reader."""
    return str(httpx.URL(stored["url"]).copy_with(scheme=None, host=None, port=None))


def test_full_download_has_every_header(reader: httpx.Client, stored: dict[str, Any], link: str) -> None:
    response = reader.get(link)

    assert response.status_code == 200
    assert response.content == CONTENT
    assert response.headers["content-length"] == str(SIZE)
    assert response.headers["content-type"] == "video/mp4"
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["etag"] == f'"{stored["sha256"]}"'
    assert response.headers["last-modified"].endswith(" GMT")
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"________ _____.mp4\"; filename*=UTF-8''"
        "%D0%97%D0%B2%D1%91%D0%B7%D0%B4%D0%BD%D1%8B%D0%B5%20%D0%B2%D0%BE%D0%B9%D0%BD%D1%8B.mp4"
    )


@pytest.mark.parametrize(
    ("range_header", "start", "end"),
    [
        ("bytes=0-9", 0, 9),
        ("bytes=100-", 100, SIZE - 1),
        ("bytes=-10", SIZE - 10, SIZE - 1),
        ("bytes=990-5000", 990, SIZE - 1),  # an end past the file is cut to the file
        ("bytes=-5000", 0, SIZE - 1),  # a suffix longer than the file is the whole file
        ("bytes=999-999", 999, 999),
        ("BYTES = 5-6", 5, 6),
    ],
)
def test_range_is_206_with_exactly_those_bytes(
    reader: httpx.Client, stored: dict[str, Any], link: str, range_header: str, start: int, end: int
) -> None:
    response = reader.get(link, headers={"Range": range_header})

    assert response.status_code == 206
    assert response.content == CONTENT[start : end + 1]
    assert response.headers["content-range"] == f"bytes {start}-{end}/{SIZE}"
    assert response.headers["content-length"] == str(end - start + 1)


@pytest.mark.parametrize(
    ("method", "headers", "status", "body", "answer_headers"),
    [
        (
            "GET",
            {"Range": "bytes=5000-"},
            416,
            {"detail": f"the range starts beyond the end of the file ({SIZE} bytes)"},
            {"content-range": f"bytes */{SIZE}"},
        ),
        ("GET", {"Range": "bytes=9-2"}, 400, {"detail": "malformed Range header: 'bytes=9-2'"}, {}),
        ("GET", {"If-None-Match": "*"}, 304, None, {"etag": ETAG}),
        (
            "HEAD",
            {"Range": "bytes=10-19"},
            206,
            None,
            {"etag": ETAG, "content-range": f"bytes 10-19/{SIZE}", "content-length": "10"},
        ),
    ],
    ids=["416", "400", "304", "HEAD"],
)
def test_answers_without_the_files_bytes_arrive_as_file_api_made_them(
    reader: httpx.Client,
    link: str,
    method: str,
    headers: dict[str, str],
    status: int,
    body: dict[str, str] | None,
    answer_headers: dict[str, str],
) -> None:
    """FileAPI answers these itself, behind nginx too (test_download_semantics.py has every case)."""
    response = reader.request(method, link, headers=headers)

    assert response.status_code == status
    if body is None:
        assert response.content == b""
    else:
        assert response.json() == body
    assert {name: response.headers.get(name) for name in answer_headers} == answer_headers


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_row_without_object_is_404_not_a_broken_200(
    reader: httpx.Client,
    upload: Callable[..., dict[str, Any]],
    s3_server: SeaweedFS,
    bucket: str,
    method: str,
) -> None:
    lost = upload(b"frames")
    s3_server.client.remove_object(bucket_name=bucket, object_name=lost["short_name"])

    response = reader.request(method, httpx.URL(lost["url"]).raw_path.decode())

    assert response.status_code == 404
    if method == "GET":
        assert response.json() == {"detail": "the file's content is missing from storage"}
