"""Metadata, listing and deletion: /api/v1/files."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest


def test_metadata_matches_the_upload_answer(api: httpx.Client, upload: Callable[..., dict[str, Any]]) -> None:
    uploaded = upload(b"frames", "Solaris.mkv", "video/x-matroska")

    response = api.get(f"/api/v1/files/{uploaded['short_name']}")

    assert response.status_code == 200
    assert response.json() == uploaded


def test_metadata_of_unknown_file_is_404(api: httpx.Client) -> None:
    response = api.get("/api/v1/files/NoSuchFile")

    assert response.status_code == 404
    assert response.json() == {"detail": "no file with short_name 'NoSuchFile'"}


def test_list_is_newest_first_and_paginated(api: httpx.Client, upload: Callable[..., dict[str, Any]]) -> None:
    names = [upload(f"cut {i}".encode(), f"cut-{i}.mp4")["short_name"] for i in range(3)]

    first_page = api.get("/api/v1/files", params={"limit": 2}).json()
    second_page = api.get("/api/v1/files", params={"limit": 2, "offset": 2}).json()

    assert [item["short_name"] for item in first_page["items"]] == names[::-1][:2]
    assert second_page["items"][0]["short_name"] == names[0]
    assert first_page["total"] == second_page["total"] >= 3
    assert (first_page["limit"], first_page["offset"]) == (2, 0)


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 501}, {"offset": -1}, {"limit": "many"}])
def test_list_rejects_bad_paging(api: httpx.Client, query: dict[str, Any]) -> None:
    response = api.get("/api/v1/files", params=query)

    assert response.status_code == 422
    assert response.json()["detail"]


def test_delete_removes_row_and_object(
    api: httpx.Client, auth: dict[str, str], upload: Callable[..., dict[str, Any]], object_keys: Any
) -> None:
    uploaded = upload(b"frames")

    response = api.delete(f"/api/v1/files/{uploaded['short_name']}", headers=auth)

    assert response.status_code == 204
    assert api.get(f"/api/v1/files/{uploaded['short_name']}").status_code == 404
    assert api.get(uploaded["url"]).status_code == 404
    assert uploaded["short_name"] not in object_keys()


def test_delete_of_unknown_file_is_404(api: httpx.Client, auth: dict[str, str]) -> None:
    response = api.delete("/api/v1/files/NoSuchFile", headers=auth)

    assert response.status_code == 404


def test_delete_needs_the_token(
    api: httpx.Client, upload: Callable[..., dict[str, Any]], object_keys: Any
) -> None:
    uploaded = upload(b"frames")

    response = api.delete(f"/api/v1/files/{uploaded['short_name']}", headers={"Authorization": "Bearer nope"})

    assert response.status_code == 401
    assert api.get(uploaded["url"]).content == b"frames"
    assert uploaded["short_name"] in object_keys()


def test_openapi_describes_the_api(api: httpx.Client) -> None:
    schema = api.get("/api/openapi.json").json()

    assert {"/api/v1/", "/api/v1/download-stream/{short_name}", "/api/v1/files", "/api/v1/health"} <= set(
        schema["paths"]
    )
    upload_body = schema["paths"]["/api/v1/"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert upload_body["schema"]["required"] == ["file"]
    assert api.get("/api/docs").status_code == 200
