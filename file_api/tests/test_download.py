"""GET and HEAD /api/v1/download-stream/{short_name}: headers, byte ranges, conditional requests.

Every test runs twice: against FileAPI directly (FileAPI streams the bytes) and through nginx (FileAPI
authorizes, nginx streams the bytes from S3 itself): both must answer the same.
"""

import os
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import shortuuid

from devstack.services import FileAPI, Nginx, SeaweedFS
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


@pytest.mark.parametrize("range_header", ["bytes=1000-", "bytes=5000-6000", "bytes=-0"])
def test_unsatisfiable_range_is_416(
    reader: httpx.Client, stored: dict[str, Any], link: str, range_header: str
) -> None:
    response = reader.get(link, headers={"Range": range_header})

    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{SIZE}"
    assert "beyond the end" in response.json()["detail"]


@pytest.mark.parametrize("range_header", ["bytes=abc", "bytes=9-2", "bytes=-", "bytes", "bytes=1-2-3"])
def test_malformed_range_is_400(
    reader: httpx.Client, stored: dict[str, Any], link: str, range_header: str
) -> None:
    response = reader.get(link, headers={"Range": range_header})

    assert response.status_code == 400
    assert response.json()["detail"].startswith("malformed Range header")


@pytest.mark.parametrize("range_header", ["items=0-5", "bytes=0-1,5-6"])
def test_range_this_server_does_not_serve_gets_the_whole_file(
    reader: httpx.Client, stored: dict[str, Any], link: str, range_header: str
) -> None:
    response = reader.get(link, headers={"Range": range_header})

    assert response.status_code == 200
    assert response.content == CONTENT


def test_head_sends_headers_without_body(reader: httpx.Client, stored: dict[str, Any], link: str) -> None:
    response = reader.head(link)

    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(SIZE)
    assert response.headers["etag"] == f'"{stored["sha256"]}"'
    assert response.headers["accept-ranges"] == "bytes"


def test_head_with_range_describes_the_part(reader: httpx.Client, stored: dict[str, Any], link: str) -> None:
    response = reader.head(link, headers={"Range": "bytes=10-19"})

    assert response.status_code == 206
    assert response.headers["content-range"] == f"bytes 10-19/{SIZE}"
    assert response.headers["content-length"] == "10"


@pytest.mark.parametrize("if_none_match", ["{etag}", "W/{etag}", '"other", {etag}', "*"])
def test_matching_if_none_match_is_304(
    reader: httpx.Client, stored: dict[str, Any], link: str, if_none_match: str
) -> None:
    etag = f'"{stored["sha256"]}"'

    response = reader.get(link, headers={"If-None-Match": if_none_match.format(etag=etag)})

    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag


@pytest.mark.parametrize(
    ("range_header", "status"), [("bytes=5000-", 416), ("bytes=9-2", 400), ("bytes=0-" + "9" * 300, 416)]
)
def test_refused_range_is_refused_even_when_the_copy_is_current(
    reader: httpx.Client, link: str, range_header: str, status: int
) -> None:
    """RFC 9110 §13.2.1: preconditions are ignored when the answer without them would not be a 2xx (the
    fuzzer found a 304 here)."""
    response = reader.get(link, headers={"If-None-Match": "*", "Range": range_header})

    assert response.status_code == status


def test_other_if_none_match_gets_the_file(reader: httpx.Client, link: str) -> None:
    response = reader.get(link, headers={"If-None-Match": '"something-else"'})

    assert response.status_code == 200
    assert response.content == CONTENT


def test_if_modified_since_after_upload_is_304(
    reader: httpx.Client, stored: dict[str, Any], link: str
) -> None:
    last_modified = reader.head(link).headers["last-modified"]

    response = reader.get(link, headers={"If-Modified-Since": last_modified})

    assert response.status_code == 304


def test_if_range_with_current_etag_gets_the_range(
    reader: httpx.Client, stored: dict[str, Any], link: str
) -> None:
    headers = {"Range": "bytes=0-3", "If-Range": f'"{stored["sha256"]}"'}

    response = reader.get(link, headers=headers)

    assert response.status_code == 206
    assert response.content == CONTENT[:4]


def test_if_range_with_stale_etag_gets_the_whole_file(
    reader: httpx.Client, stored: dict[str, Any], link: str
) -> None:
    response = reader.get(link, headers={"Range": "bytes=0-3", "If-Range": '"an-old-version"'})

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
    reader: httpx.Client, link: str, range_header: str
) -> None:
    """RFC 9110 §15.5.17: 416 also refuses ranges that are an attack or a broken client."""
    response = reader.get(link, headers={"Range": range_header})

    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{SIZE}"
    assert response.json() == {
        "detail": f"the Range header is longer than {MAX_RANGE_HEADER_LENGTH} characters ({SIZE} bytes)"
    }


def test_range_of_huge_numbers_within_the_limit_is_answered(reader: httpx.Client, link: str) -> None:
    digits = "9" * (MAX_RANGE_HEADER_LENGTH - len("bytes=0-"))

    whole_rest = reader.get(link, headers={"Range": f"bytes=0-{digits}"})
    beyond = reader.get(link, headers={"Range": f"bytes={digits[:-2]}-"})

    assert whole_rest.status_code == 206
    assert whole_rest.content == CONTENT
    assert beyond.status_code == 416


@pytest.mark.parametrize(
    "if_modified_since",
    ["Mon, 01 Jan 99999999999 00:00:00 GMT", "Mon, 99 Jan 2020 00:00:00 GMT", "yesterday", "x" * 5000],
)
def test_unreadable_if_modified_since_is_ignored(
    reader: httpx.Client, link: str, if_modified_since: str
) -> None:
    response = reader.get(link, headers={"If-Modified-Since": if_modified_since})

    assert response.status_code == 200
    assert response.content == CONTENT


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_unknown_short_name_is_404(reader: httpx.Client, auth: dict[str, str], method: str) -> None:
    unknown = shortuuid.uuid()

    response = reader.request(method, f"/api/v1/download-stream/{unknown}", headers=auth)

    assert response.status_code == 404
    if method == "GET":
        assert response.json() == {"detail": f"no file with short_name '{unknown}'"}


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
