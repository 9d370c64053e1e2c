"""Signed download links (FILE_API_SIGNED_URLS, on in .env.example and so in the session's FileAPI)."""

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from file_api.config import Settings
from signed_links import signature

MINUTE = 60
NEEDS_A_SIGNED_LINK = {
    "detail": "this download needs a signed link (expires and signature) or the bearer token"
}


def plain(url: str) -> str:
    """The link without its query: the course's unsigned download-stream link."""
    return url.split("?", 1)[0]


def with_query(url: str, **params: Any) -> str:
    return f"{plain(url)}?{urlencode(params)}"


def query_of(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


@pytest.fixture(scope="module")
def film(api: httpx.Client, auth: dict[str, str]) -> dict[str, Any]:
    response = api.post("/api/v1/", headers=auth, files={"file": ("solaris.mp4", b"frames", "video/mp4")})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture(scope="session")
def signing_key(stack_settings: dict[str, str]) -> str:
    return stack_settings["FILE_API_URL_SIGNING_KEY"]


def test_links_fileapi_hands_out_are_signed_for_the_configured_lifetime(
    api: httpx.Client, auth: dict[str, str], film: dict[str, Any], stack_settings: dict[str, str]
) -> None:
    lifetime = int(stack_settings["FILE_API_SIGNED_URL_LIFETIME"])

    listed = api.get("/api/v1/files", headers=auth).json()["items"]
    metadata = api.get(f"/api/v1/files/{film['short_name']}", headers=auth).json()

    for url in [
        film["url"],
        metadata["url"],
        next(f["url"] for f in listed if f["short_name"] == film["short_name"]),
    ]:
        query = query_of(url)
        assert set(query) == {"expires", "signature"}
        assert abs(int(query["expires"]) - (time.time() + lifetime)) < MINUTE


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_signed_link_downloads_without_token(film: dict[str, Any], method: str) -> None:
    response = httpx.request(method, film["url"])

    assert response.status_code == 200
    assert response.headers["content-length"] == "6"


def test_signed_link_serves_ranges(film: dict[str, Any]) -> None:
    response = httpx.get(film["url"], headers={"Range": "bytes=1-3"})

    assert response.status_code == 206
    assert response.content == b"ram"


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.anyio
async def test_unsigned_link_is_403(app_client: httpx.AsyncClient, film: dict[str, Any], method: str) -> None:
    response = await app_client.request(method, plain(film["url"]))

    assert response.status_code == 403
    if method == "GET":
        assert response.json() == NEEDS_A_SIGNED_LINK


@pytest.mark.parametrize("missing", ["expires", "signature"])
@pytest.mark.anyio
async def test_half_a_signature_is_403(
    app_client: httpx.AsyncClient, film: dict[str, Any], missing: str
) -> None:
    query = query_of(film["url"])
    del query[missing]

    response = await app_client.get(with_query(film["url"], **query))

    assert response.status_code == 403
    assert response.json() == NEEDS_A_SIGNED_LINK


@pytest.mark.anyio
async def test_tampered_links_are_403(
    app_client: httpx.AsyncClient, film: dict[str, Any], upload: Callable[..., dict[str, Any]]
) -> None:
    query = query_of(film["url"])
    other = upload(b"another film")
    flipped = query["signature"][:-1] + ("0" if query["signature"][-1] != "0" else "1")
    tampered = [
        with_query(film["url"], expires=query["expires"], signature=flipped),
        with_query(film["url"], expires=int(query["expires"]) + 1, signature=query["signature"]),  # later
        with_query(other["url"], **query),  # another file's link with this file's signature
    ]

    for url in tampered:
        response = await app_client.get(url)
        assert response.status_code == 403, url
        assert response.json() == {"detail": "the link's signature is not valid"}


@pytest.mark.anyio
async def test_expired_link_is_403(
    app_client: httpx.AsyncClient, film: dict[str, Any], signing_key: str
) -> None:
    expired = int(time.time()) - 1

    response = await app_client.get(
        with_query(
            film["url"], expires=expired, signature=signature(film["short_name"], expired, signing_key)
        )
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "the link has expired: ask for a new one"}


@pytest.mark.anyio
async def test_link_signed_with_another_key_is_403(
    app_client: httpx.AsyncClient, film: dict[str, Any]
) -> None:
    expires = int(time.time()) + MINUTE
    forged = signature(film["short_name"], expires, "an-attackers-own-key-of-32-characters")

    response = await app_client.get(with_query(film["url"], expires=expires, signature=forged))

    assert response.status_code == 403
    assert response.json() == {"detail": "the link's signature is not valid"}


def test_token_downloads_without_signature(film: dict[str, Any], auth: dict[str, str]) -> None:
    """The admin's server-side reads (FileAPIStorage.open) send the token instead of signing."""
    response = httpx.get(plain(film["url"]), headers=auth)

    assert response.status_code == 200
    assert response.content == b"frames"


@pytest.mark.anyio
async def test_wrong_token_does_not_replace_the_signature(
    app_client: httpx.AsyncClient, film: dict[str, Any]
) -> None:
    response = await app_client.get(plain(film["url"]), headers={"Authorization": "Bearer not-the-token"})

    assert response.status_code == 403
    assert response.json() == NEEDS_A_SIGNED_LINK


@pytest.mark.parametrize(
    ("query", "malformed"),
    [
        ({"expires": "tomorrow", "signature": "0" * 64}, "expires"),
        ({"expires": "9" * 5000, "signature": "0" * 64}, "expires"),
        ({"expires": "-1", "signature": "0" * 64}, "expires"),
        ({"expires": "1", "signature": "not-hex"}, "signature"),
        ({"expires": "1", "signature": "0" * 65}, "signature"),
    ],
)
@pytest.mark.anyio
async def test_malformed_signature_parameters_are_422(
    app_client: httpx.AsyncClient, film: dict[str, Any], query: dict[str, str], malformed: str
) -> None:
    response = await app_client.get(with_query(film["url"], **query))

    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["errors"]] == [["query", malformed]]


def test_with_signing_off_the_plain_link_works(
    file_api_settings: Callable[..., Settings], in_process_api: Any
) -> None:
    """The course's contract: `url` is download-stream/{short_name}, and it opens without anything else."""
    settings = file_api_settings(file_api_signed_urls=False, file_api_url_signing_key="")
    with in_process_api(settings) as client:
        uploaded = client.post("/api/v1/", files={"file": ("film.mp4", b"frames")}).json()
        listed = client.get("/api/v1/files").json()["items"]

        assert uploaded["url"] == f"{client.base_url}/api/v1/download-stream/{uploaded['short_name']}"
        assert all("?" not in item["url"] for item in listed)
        assert httpx.get(uploaded["url"]).content == b"frames"


def test_lifetime_is_configurable(file_api_settings: Callable[..., Settings], in_process_api: Any) -> None:
    with in_process_api(file_api_settings(file_api_signed_url_lifetime=MINUTE)) as client:
        uploaded = client.post("/api/v1/", files={"file": ("film.mp4", b"frames")}).json()

    assert abs(int(query_of(uploaded["url"])["expires"]) - (time.time() + MINUTE)) < 5
