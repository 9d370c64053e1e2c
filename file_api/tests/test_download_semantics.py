"""What FileAPI decides about a download, in-process (no socket): byte ranges refused or served, conditional
requests, HEAD, an unknown file. The file is real (Postgres and SeaweedFS); test_download.py streams the
bytes over real sockets, from FileAPI and through nginx."""

import os
from typing import Any

import httpx
import pytest
import shortuuid

from file_api.downloads import MAX_RANGE_HEADER_LENGTH

# Every test here awaits the app in-process (conftest.py, app_client).
pytestmark = pytest.mark.anyio

SIZE = 1000
CONTENT = os.urandom(SIZE)
BEYOND_THE_END = f"the range starts beyond the end of the file ({SIZE} bytes)"
TOO_LONG = f"the Range header is longer than {MAX_RANGE_HEADER_LENGTH} characters ({SIZE} bytes)"


@pytest.fixture(scope="module")
async def stored(app_client: httpx.AsyncClient, auth: dict[str, str]) -> dict[str, Any]:
    """One file of 1000 bytes shared by the read-only tests of this module."""
    response = await app_client.post(
        "/api/v1/", headers=auth, files={"file": ("film.mp4", CONTENT, "video/mp4")}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture(scope="module")
def link(stored: dict[str, Any]) -> str:
    """The file's signed link without its origin."""
    return str(httpx.URL(stored["url"]).copy_with(scheme=None, host=None, port=None))


@pytest.fixture(scope="module")
def etag(stored: dict[str, Any]) -> str:
    return f'"{stored["sha256"]}"'


@pytest.mark.parametrize(
    ("range_header", "detail"),
    [
        ("bytes=1000-", BEYOND_THE_END),
        ("bytes=5000-6000", BEYOND_THE_END),
        ("bytes=-0", BEYOND_THE_END),
        # RFC 9110 §15.5.17: 416 also refuses ranges that are an attack or a broken client.
        ("bytes=0-" + "9" * 5000, TOO_LONG),  # more digits than int() takes: was a 500
        ("bytes=" + "9" * 5000 + "-", TOO_LONG),
        ("bytes=-" + "9" * 5000, TOO_LONG),
        ("bytes=" + ",".join(["0-1"] * 100), TOO_LONG),  # many small ranges
        ("bytes=" + " " * MAX_RANGE_HEADER_LENGTH + "0-1", TOO_LONG),
    ],
)
async def test_unsatisfiable_range_is_416_with_the_files_size(
    app_client: httpx.AsyncClient, link: str, range_header: str, detail: str
) -> None:
    """Beyond the end of the file, or a header longer than any one range needs."""
    response = await app_client.get(link, headers={"Range": range_header})

    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{SIZE}"
    assert response.json() == {"detail": detail}


@pytest.mark.parametrize("range_header", ["bytes=abc", "bytes=9-2", "bytes=-", "bytes", "bytes=1-2-3"])
async def test_malformed_range_is_400(app_client: httpx.AsyncClient, link: str, range_header: str) -> None:
    response = await app_client.get(link, headers={"Range": range_header})

    assert response.status_code == 400
    assert response.json() == {"detail": f"malformed Range header: {range_header!r}"}


@pytest.mark.parametrize(
    "headers",
    [
        {"Range": "items=0-5"},  # another unit
        {"Range": "bytes=0-1,5-6"},  # several ranges
        {"If-None-Match": '"something-else"'},
        {"Range": "bytes=0-3", "If-Range": '"an-old-version"'},  # the client's copy is stale
        {"If-Modified-Since": "Mon, 01 Jan 99999999999 00:00:00 GMT"},  # unreadable dates are ignored
        {"If-Modified-Since": "Mon, 99 Jan 2020 00:00:00 GMT"},
        {"If-Modified-Since": "yesterday"},
        {"If-Modified-Since": "x" * 5000},
    ],
    ids=[
        "another unit",
        "several ranges",
        "other If-None-Match",
        "stale If-Range",
        "If-Modified-Since year overflow",
        "If-Modified-Since impossible date",
        "If-Modified-Since word",
        "If-Modified-Since 5000 characters",
    ],
)
async def test_range_or_condition_that_does_not_apply_gets_the_whole_file(
    app_client: httpx.AsyncClient, link: str, headers: dict[str, str]
) -> None:
    response = await app_client.get(link, headers=headers)

    assert response.status_code == 200
    assert response.content == CONTENT
    assert "content-range" not in response.headers


async def test_head_sends_headers_without_body(app_client: httpx.AsyncClient, link: str, etag: str) -> None:
    response = await app_client.head(link)

    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(SIZE)
    assert response.headers["etag"] == etag
    assert response.headers["accept-ranges"] == "bytes"


async def test_head_with_range_describes_the_part(app_client: httpx.AsyncClient, link: str) -> None:
    response = await app_client.head(link, headers={"Range": "bytes=10-19"})

    assert response.status_code == 206
    assert response.content == b""
    assert response.headers["content-range"] == f"bytes 10-19/{SIZE}"
    assert response.headers["content-length"] == "10"


@pytest.mark.parametrize("if_none_match", ["{etag}", "W/{etag}", '"other", {etag}', "*"])
async def test_matching_if_none_match_is_304(
    app_client: httpx.AsyncClient, link: str, etag: str, if_none_match: str
) -> None:
    response = await app_client.get(link, headers={"If-None-Match": if_none_match.format(etag=etag)})

    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag


@pytest.mark.parametrize(
    ("range_header", "status", "detail"),
    [
        ("bytes=5000-", 416, BEYOND_THE_END),
        ("bytes=9-2", 400, "malformed Range header: 'bytes=9-2'"),
        ("bytes=0-" + "9" * 300, 416, TOO_LONG),
    ],
)
async def test_refused_range_is_refused_even_when_the_copy_is_current(
    app_client: httpx.AsyncClient, link: str, range_header: str, status: int, detail: str
) -> None:
    """RFC 9110 §13.2.1: preconditions are ignored when the answer without them would not be a 2xx (the
    fuzzer found a 304 here)."""
    response = await app_client.get(link, headers={"If-None-Match": "*", "Range": range_header})

    assert response.status_code == status
    assert response.json() == {"detail": detail}


async def test_if_modified_since_the_upload_is_304(app_client: httpx.AsyncClient, link: str) -> None:
    last_modified = (await app_client.head(link)).headers["last-modified"]

    response = await app_client.get(link, headers={"If-Modified-Since": last_modified})

    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["last-modified"] == last_modified


async def test_if_range_with_current_etag_gets_the_range(
    app_client: httpx.AsyncClient, link: str, etag: str
) -> None:
    response = await app_client.get(link, headers={"Range": "bytes=0-3", "If-Range": etag})

    assert response.status_code == 206
    assert response.content == CONTENT[:4]
    assert response.headers["content-range"] == f"bytes 0-3/{SIZE}"


async def test_range_of_huge_numbers_within_the_limit_is_answered(
    app_client: httpx.AsyncClient, link: str
) -> None:
    digits = "9" * (MAX_RANGE_HEADER_LENGTH - len("bytes=0-"))

    whole_rest = await app_client.get(link, headers={"Range": f"bytes=0-{digits}"})
    beyond = await app_client.get(link, headers={"Range": f"bytes={digits[:-2]}-"})

    assert whole_rest.status_code == 206
    assert whole_rest.content == CONTENT
    assert whole_rest.headers["content-range"] == f"bytes 0-{SIZE - 1}/{SIZE}"
    assert beyond.status_code == 416
    assert beyond.json() == {"detail": BEYOND_THE_END}


@pytest.mark.parametrize("method", ["GET", "HEAD"])
async def test_unknown_short_name_is_404(
    app_client: httpx.AsyncClient, auth: dict[str, str], method: str
) -> None:
    unknown = shortuuid.uuid()

    response = await app_client.request(method, f"/api/v1/download-stream/{unknown}", headers=auth)

    assert response.status_code == 404
    if method == "GET":
        assert response.json() == {"detail": f"no file with short_name '{unknown}'"}
