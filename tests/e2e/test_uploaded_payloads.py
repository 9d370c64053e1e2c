"""Uploaded bytes never run as a page of the admin's origin, for whichever backend the stack runs.

A script in a file served from the admin's host and port would run with the editors' cookies and could
take the admin over. An attacker who may add films tries the admin's form (which refuses pages and
images), then a payload the form cannot tell from a video (binary first, HTML after); a client service
with FileAPI's token stores real `.html` and `.svg` files. Each link is opened in Chromium: the browser
downloads it (attachment, nosniff, CSP sandbox) and the payload's script never runs, which it would show
by setting the title and requesting a beacon URL of this site.
"""

import contextlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from admin_site import AdminSite
from e2e_settings import E2ESettings
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Request, expect


def payloads(beacon: str) -> dict[str, tuple[bytes, str]]:
    """File name -> (content, type): a page and an SVG image whose script reports that it ran."""
    script = f"document.title = 'pwned'; fetch('{beacon}')"
    return {
        "page.html": (
            f"<!DOCTYPE html><html><body><script>{script}</script></body></html>".encode(),
            "text/html",
        ),
        "image.svg": (
            f'<svg xmlns="http://www.w3.org/2000/svg" onload="{script}"><circle r="5"/></svg>'.encode(),
            "image/svg+xml",
        ),
    }


@pytest.fixture
def beacon(unique: str) -> str:
    return f"/e2e-beacon-{unique}"


@pytest.fixture
def beacon_requests(page: Page, beacon: str) -> Iterator[list[str]]:
    """Every request of the browser to the beacon: a payload's script ran if there is one."""
    seen: list[str] = []

    def record(request: Request) -> None:
        if beacon in request.url:
            seen.append(request.url)

    page.context.on("request", record)
    yield seen
    page.context.remove_listener("request", record)


def open_as_a_browser_would(page: Page, url: str) -> str:
    """Navigates to the link; returns the name the browser saves it under (it must be a download)."""
    with page.expect_download() as download, contextlib.suppress(PlaywrightError):
        page.goto(url)  # raises: a navigation that turns into a download is aborted
    return download.value.suggested_filename


def assert_runs_no_script(page: Page, url: str, beacon_requests: list[str], site: httpx.Client) -> str:
    saved_as = open_as_a_browser_would(page, url)
    page.wait_for_timeout(500)  # time for a script that did run to report
    assert beacon_requests == []
    assert page.title() != "pwned"

    response = site.get(url)
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == "sandbox"
    return saved_as


@pytest.mark.parametrize("name", ["page.html", "image.svg", "page.mp4", "image.mp4"])
def test_admin_refuses_pages_and_images_as_films(
    admin: AdminSite, tmp_path: Path, beacon: str, unique: str, name: str
) -> None:
    kind = "page.html" if name.startswith("page") else "image.svg"
    content, _type = payloads(beacon)[kind]
    upload = tmp_path / name
    upload.write_bytes(content)
    page = admin.page

    page.goto(f"{admin.base_url}/admin/movies/filmwork/add/")
    page.fill("#id_title", f"Payload {unique}")
    page.select_option("#id_type", "movie")
    page.set_input_files("#id_file", upload)
    page.click("input[name=_save]")

    expect(page.locator(".errorlist")).to_contain_text(name)
    page.goto(f"{admin.base_url}/admin/movies/filmwork/?q={unique}")
    expect(page.locator("#result_list")).to_have_count(0)


@pytest.mark.parametrize("kind", ["page.html", "image.svg"])
def test_a_payload_the_form_takes_for_a_video_downloads_and_runs_nothing(
    admin: AdminSite,
    site: httpx.Client,
    tmp_path: Path,
    beacon: str,
    beacon_requests: list[str],
    unique: str,
    kind: str,
) -> None:
    """The form sniffs the start of a file only: a payload after a binary byte gets through, is stored by
    the backend, and its link is the admin's own."""
    content, _type = payloads(beacon)[kind]
    upload = tmp_path / f"trailer {unique}.mp4"
    upload.write_bytes(b"\x00" + content)
    csp_violations: list[str] = []
    admin.page.on(
        "console",
        lambda message: (
            csp_violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )

    change_url = admin.add_film(f"Polyglot {unique}", upload)
    link = admin.file_link(change_url)

    assert csp_violations == []  # the admin's own pages work under their CSP
    assert link.startswith(admin.base_url)  # the admin's origin: the case that matters
    saved_as = assert_runs_no_script(admin.page, link, beacon_requests, site)
    assert saved_as.endswith(".mp4")


@pytest.mark.parametrize("kind", ["page.html", "image.svg"])
def test_a_page_stored_through_file_api_downloads_and_runs_nothing(
    page: Page,
    site: httpx.Client,
    e2e: E2ESettings,
    beacon: str,
    beacon_requests: list[str],
    kind: str,
) -> None:
    """FileAPI stores any file a token holder sends, under its own name and type; its link is on the
    admin's host too."""
    content, content_type = payloads(beacon)[kind]
    stored = site.post(
        "/api/v1/",
        headers={"Authorization": f"Bearer {e2e.file_api_token}"},
        files={"file": (kind, content, content_type)},
    )
    assert stored.status_code == 201, stored.text
    link = stored.json()["url"]
    assert link.startswith(e2e.base_url)
    # The admin is open in the same browser: a script that ran would have its cookies.
    page.goto(f"{e2e.base_url}/admin/login/")

    assert assert_runs_no_script(page, link, beacon_requests, site) == kind
