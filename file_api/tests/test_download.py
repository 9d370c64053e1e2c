"""GET and HEAD /api/v1/download-stream/{short_name}: headers, byte ranges, conditional requests."""

import os
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import shortuuid

from devstack.services import SeaweedFS
from file_api.downloads import MAX_RANGE_HEADER_LENGTH

SIZE = 1000
CONTENT = os.urandom(SIZE)


@pytest.fixture(scope="module")
def stored(api: httpx.Client, auth: dict[str, str]) -> dict[str, Any]:
    """One file of 1000 bytes shared by the read-only tests of this module."""
    response = api.post(
        "/api/v1/", headers=auth, files={"file": ("Звёздные войны.mp4", CONTENT, "video/mp4")}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_full_download_has_every_header(api: httpx.Client, stored: dict[str, Any]) -> None:
    response = api.get(stored["url"])

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
    api: httpx.Client, stored: dict[str, Any], range_header: str, start: int, end: int
) -> None:
    response = api.get(stored["url"], headers={"Range": range_header})

    assert response.status_code == 206
    assert response.content == CONTENT[start : end + 1]
    assert response.headers["content-range"] == f"bytes {start}-{end}/{SIZE}"
    assert response.headers["content-length"] == str(end - start + 1)


@pytest.mark.parametrize("range_header", ["bytes=1000-", "bytes=5000-6000", "bytes=-0"])
def test_unsatisfiable_range_is_416(api: httpx.Client, stored: dict[str, Any], range_header: str) -> None:
    response = api.get(stored["url"], headers={"Range": range_header})

    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{SIZE}"
    assert "beyond the end" in response.json()["detail"]


@pytest.mark.parametrize("range_header", ["bytes=abc", "bytes=9-2", "bytes=-", "bytes", "bytes=1-2-3"])
def test_malformed_range_is_400(api: httpx.Client, stored: dict[str, Any], range_header: str) -> None:
    response = api.get(stored["url"], headers={"Range": range_header})

    assert response.status_code == 400
    assert response.json()["detail"].startswith("malformed Range header")


@pytest.mark.parametrize("range_header", ["items=0-5", "bytes=0-1,5-6"])
def test_range_this_server_does_not_serve_gets_the_whole_file(
    api: httpx.Client, stored: dict[str, Any], range_header: str
) -> None:
    response = api.get(stored["url"], headers={"Range": range_header})

    assert response.status_code == 200
    assert response.content == CONTENT


def test_head_sends_headers_without_body(api: httpx.Client, stored: dict[str, Any]) -> None:
    response = api.head(stored["url"])

    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(SIZE)
    assert response.headers["etag"] == f'"{stored["sha256"]}"'
    assert response.headers["accept-ranges"] == "bytes"


def test_head_with_range_describes_the_part(api: httpx.Client, stored: dict[str, Any]) -> None:
    response = api.head(stored["url"], headers={"Range": "bytes=10-19"})

    assert response.status_code == 206
    assert response.headers["content-range"] == f"bytes 10-19/{SIZE}"
    assert response.headers["content-length"] == "10"


@pytest.mark.parametrize("if_none_match", ["{etag}", "W/{etag}", '"other", {etag}', "*"])
def test_matching_if_none_match_is_304(api: httpx.Client, stored: dict[str, Any], if_none_match: str) -> None:
    etag = f'"{stored["sha256"]}"'

    response = api.get(stored["url"], headers={"If-None-Match": if_none_match.format(etag=etag)})

    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag


@pytest.mark.parametrize(
    ("range_header", "status"), [("bytes=5000-", 416), ("bytes=9-2", 400), ("bytes=0-" + "9" * 300, 416)]
)
def test_refused_range_is_refused_even_when_the_copy_is_current(
    api: httpx.Client, stored: dict[str, Any], range_header: str, status: int
) -> None:
    """RFC 9110 §13.2.1: preconditions are ignored when the answer without them would not be a 2xx (the
    fuzzer found a 304 here)."""
    response = api.get(stored["url"], headers={"If-None-Match": "*", "Range": range_header})

    assert response.status_code == status


def test_other_if_none_match_gets_the_file(api: httpx.Client, stored: dict[str, Any]) -> None:
    response = api.get(stored["url"], headers={"If-None-Match": '"something-else"'})

    assert response.status_code == 200
    assert response.content == CONTENT


def test_if_modified_since_after_upload_is_304(api: httpx.Client, stored: dict[str, Any]) -> None:
    last_modified = api.head(stored["url"]).headers["last-modified"]

    response = api.get(stored["url"], headers={"If-Modified-Since": last_modified})

    assert response.status_code == 304


def test_if_range_with_current_etag_gets_the_range(api: httpx.Client, stored: dict[str, Any]) -> None:
    headers = {"Range": "bytes=0-3", "If-Range": f'"{stored["sha256"]}"'}

    response = api.get(stored["url"], headers=headers)

    assert response.status_code == 206
    assert response.content == CONTENT[:4]


def test_if_range_with_stale_etag_gets_the_whole_file(api: httpx.Client, stored: dict[str, Any]) -> None:
    response = api.get(stored["url"], headers={"Range": "bytes=0-3", "If-Range": '"an-old-version"'})

    assert response.status_code == 200
    assert response.content == CONTENT


@pytest.mark.parametrize(
    "range_header",
    [
        "bytes=0-" + "9" * 5000,  # more digits than int() takes: was a 500
        "bytes=" + "9" * 5000 + "-",
        "bytes=-" + "9" * 5000,
        "bytes=" + ",".join(["0-1"] * 100),  # many small ranges
        "bytes=" + " " * MAX_RANGE_HEADER_LENGTH + "0-1",
    ],
)
def test_range_header_longer_than_the_limit_is_416(
    api: httpx.Client, stored: dict[str, Any], range_header: str
) -> None:
    """RFC 9110 §15.5.17: 416 also refuses ranges that are an attack or a broken client."""
    response = api.get(stored["url"], headers={"Range": range_header})

    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{SIZE}"
    assert response.json() == {
        "detail": f"the Range header is longer than {MAX_RANGE_HEADER_LENGTH} characters ({SIZE} bytes)"
    }


def test_range_of_huge_numbers_within_the_limit_is_answered(
    api: httpx.Client, stored: dict[str, Any]
) -> None:
    digits = "9" * (MAX_RANGE_HEADER_LENGTH - len("bytes=0-"))

    whole_rest = api.get(stored["url"], headers={"Range": f"bytes=0-{digits}"})
    beyond = api.get(stored["url"], headers={"Range": f"bytes={digits[:-2]}-"})

    assert whole_rest.status_code == 206
    assert whole_rest.content == CONTENT
    assert beyond.status_code == 416


@pytest.mark.parametrize(
    "if_modified_since",
    ["Mon, 01 Jan 99999999999 00:00:00 GMT", "Mon, 99 Jan 2020 00:00:00 GMT", "yesterday", "x" * 5000],
)
def test_unreadable_if_modified_since_is_ignored(
    api: httpx.Client, stored: dict[str, Any], if_modified_since: str
) -> None:
    response = api.get(stored["url"], headers={"If-Modified-Since": if_modified_since})

    assert response.status_code == 200
    assert response.content == CONTENT


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_unknown_short_name_is_404(api: httpx.Client, auth: dict[str, str], method: str) -> None:
    unknown = shortuuid.uuid()

    response = api.request(method, f"/api/v1/download-stream/{unknown}", headers=auth)

    assert response.status_code == 404
    if method == "GET":
        assert response.json() == {"detail": f"no file with short_name '{unknown}'"}


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_row_without_object_is_404_not_a_broken_200(
    api: httpx.Client,
    upload: Callable[..., dict[str, Any]],
    s3_server: SeaweedFS,
    bucket: str,
    method: str,
) -> None:
    lost = upload(b"frames")
    s3_server.client.remove_object(bucket_name=bucket, object_name=lost["short_name"])

    response = api.request(method, lost["url"])

    assert response.status_code == 404
    if method == "GET":
        assert response.json() == {"detail": "the file's content is missing from storage"}
