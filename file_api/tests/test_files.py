"""Metadata, listing and deletion: /api/v1/files."""

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import shortuuid

from file_api.api.routes.files import MAX_LIST_OFFSET

NOT_AN_INTEGER = "Input should be a valid integer, unable to parse string as an integer"
OFFSET_TOO_LARGE = f"Input should be less than or equal to {MAX_LIST_OFFSET}"


def test_metadata_matches_the_upload_answer(
    api: httpx.Client, auth: dict[str, str], upload: Callable[..., dict[str, Any]]
) -> None:
    uploaded = upload(b"frames", "Solaris.mkv", "video/x-matroska")

    response = api.get(f"/api/v1/files/{uploaded['short_name']}", headers=auth)

    assert response.status_code == 200
    metadata = response.json()
    # The link is signed anew for every answer: the same file, a fresh expiry.
    assert urlsplit(metadata.pop("url")).path == urlsplit(uploaded.pop("url")).path
    assert metadata == uploaded


@pytest.mark.anyio
@pytest.mark.parametrize("method", ["GET", "DELETE"])
async def test_unknown_file_is_404(app_client: httpx.AsyncClient, auth: dict[str, str], method: str) -> None:
    unknown = shortuuid.uuid()

    response = await app_client.request(method, f"/api/v1/files/{unknown}", headers=auth)

    assert response.status_code == 404
    assert response.json() == {"detail": f"no file with short_name '{unknown}'"}


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", "Basic dXNlcjpwYXNz"])
@pytest.mark.parametrize("path", ["/api/v1/files", "/api/v1/files/{short_name}"])
@pytest.mark.anyio
async def test_reads_without_valid_token_are_401(
    app_client: httpx.AsyncClient, upload: Callable[..., dict[str, Any]], path: str, authorization: str | None
) -> None:
    """The listing hands out every short_name: without the token it would open every file."""
    uploaded = upload(b"frames")
    headers = {"Authorization": authorization} if authorization else {}

    response = await app_client.get(path.format(short_name=uploaded["short_name"]), headers=headers)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {"detail": "a valid bearer token is required"}


def test_list_is_newest_first_and_paginated(
    api: httpx.Client, auth: dict[str, str], upload: Callable[..., dict[str, Any]]
) -> None:
    names = [upload(f"cut {i}".encode(), f"cut-{i}.mp4")["short_name"] for i in range(3)]

    first_page = api.get("/api/v1/files", headers=auth, params={"limit": 2}).json()
    second_page = api.get("/api/v1/files", headers=auth, params={"limit": 2, "offset": 2}).json()

    assert [item["short_name"] for item in first_page["items"]] == names[::-1][:2]
    assert second_page["items"][0]["short_name"] == names[0]
    assert first_page["total"] == second_page["total"] >= 3
    assert (first_page["limit"], first_page["offset"]) == (2, 0)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"limit": 0}, "limit", "Input should be greater than or equal to 1"),
        ({"limit": 501}, "limit", "Input should be less than or equal to 500"),
        ({"limit": "many"}, "limit", NOT_AN_INTEGER),
        # more digits than int() takes
        ({"limit": "9" * 5000}, "limit", "Unable to parse input string as an integer, exceeded maximum size"),
        ({"offset": -1}, "offset", "Input should be greater than or equal to 0"),
        ({"offset": MAX_LIST_OFFSET + 1}, "offset", OFFSET_TOO_LARGE),
        # beyond Postgres's bigint: was a 500
        ({"offset": 2**63}, "offset", OFFSET_TOO_LARGE),
    ],
)
@pytest.mark.anyio
async def test_list_rejects_bad_paging(
    app_client: httpx.AsyncClient, auth: dict[str, str], query: dict[str, Any], field: str, message: str
) -> None:
    response = await app_client.get("/api/v1/files", headers=auth, params=query)

    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == f"invalid request: query.{field}: {message}"
    assert [(error["loc"], error["msg"]) for error in body["errors"]] == [(["query", field], message)]


@pytest.mark.anyio
async def test_list_past_the_end_is_an_empty_page(
    app_client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await app_client.get("/api/v1/files", headers=auth, params={"offset": MAX_LIST_OFFSET})

    assert response.status_code == 200
    page = response.json()
    assert (page["items"], page["limit"], page["offset"]) == ([], 50, MAX_LIST_OFFSET)


def test_delete_removes_row_and_object(
    api: httpx.Client, auth: dict[str, str], upload: Callable[..., dict[str, Any]], object_keys: Any
) -> None:
    uploaded = upload(b"frames")

    response = api.delete(f"/api/v1/files/{uploaded['short_name']}", headers=auth)

    assert response.status_code == 204
    assert api.get(f"/api/v1/files/{uploaded['short_name']}", headers=auth).status_code == 404
    assert api.get(uploaded["url"]).status_code == 404  # the signed link outlives the file: still 404
    assert uploaded["short_name"] not in object_keys()


def test_delete_needs_the_token(
    api: httpx.Client, upload: Callable[..., dict[str, Any]], object_keys: Any
) -> None:
    uploaded = upload(b"frames")

    response = api.delete(f"/api/v1/files/{uploaded['short_name']}", headers={"Authorization": "Bearer nope"})

    assert response.status_code == 401
    assert response.json() == {"detail": "a valid bearer token is required"}
    assert api.get(uploaded["url"]).content == b"frames"
    assert uploaded["short_name"] in object_keys()


@pytest.mark.anyio
async def test_openapi_describes_the_api(app_client: httpx.AsyncClient) -> None:
    schema = (await app_client.get("/api/openapi.json")).json()

    assert {"/api/v1/", "/api/v1/download-stream/{short_name}", "/api/v1/files", "/api/v1/health"} <= set(
        schema["paths"]
    )
    upload_body = schema["paths"]["/api/v1/"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert upload_body["schema"]["required"] == ["file"]


@pytest.mark.anyio
async def test_docs_page_loads_swagger_ui_from_fileapi_itself(app_client: httpx.AsyncClient) -> None:
    page = (await app_client.get("/api/docs")).text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)

    assert "/api/openapi.json" in page
    assert sorted(assets) == [
        "/api/docs-static/favicon.png",
        "/api/docs-static/swagger-ui-bundle.js",
        "/api/docs-static/swagger-ui.css",
    ]
    for asset in assets:
        served = await app_client.get(asset)
        assert served.status_code == 200, asset
        assert len(served.content) > 1000, asset
