"""FileAPI as a client service meets it, through nginx: the token is required, links are signed, ranges
are served."""

import os

import httpx
from e2e_settings import E2ESettings


def test_upload_without_token_is_refused(site: httpx.Client) -> None:
    response = site.post("/api/v1/", files={"file": ("film.mp4", b"frames")})

    assert response.status_code == 401
    assert response.json() == {"detail": "a valid bearer token is required"}


def test_upload_and_seek_through_nginx(site: httpx.Client, e2e: E2ESettings) -> None:
    content = os.urandom(2 * 1024 * 1024)
    headers = {"Authorization": f"Bearer {e2e.file_api_token}"}

    uploaded = site.post(
        "/api/v1/", headers=headers, files={"file": ("Звёздные войны.mp4", content, "video/mp4")}
    )

    assert uploaded.status_code == 201, uploaded.text
    url = uploaded.json()["url"]
    assert url.startswith(f"{e2e.base_url}/api/v1/download-stream/")
    head = site.head(url)
    assert head.headers["content-length"] == str(len(content))
    assert "filename*=UTF-8''%D0%97" in head.headers["content-disposition"]
    for first, last in [(0, 99), (1_000_000, 1_048_575), (len(content) - 10, len(content) - 1)]:
        part = site.get(url, headers={"Range": f"bytes={first}-{last}"})
        assert part.status_code == 206
        assert part.content == content[first : last + 1]
    short_name = uploaded.json()["short_name"]
    assert site.get(f"/api/v1/files/{short_name}").status_code == 401
    assert site.get(f"/api/v1/files/{short_name}", headers=headers).json()["size"] == len(content)
    assert site.get(url.split("?")[0]).status_code == 403  # the link is signed; without it, refused
    assert site.delete(f"/api/v1/files/{short_name}", headers=headers).status_code == 204


def test_listing_needs_the_token(site: httpx.Client) -> None:
    response = site.get("/api/v1/files", params={"limit": 500})

    assert response.status_code == 401
    assert response.json() == {"detail": "a valid bearer token is required"}
