"""Fixtures of the end-to-end suite: the running system from the outside, through nginx only."""

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from admin_site import AdminSite
from e2e_settings import CHROMIUM_FLAGS, E2ESettings
from playwright.sync_api import Browser, Page
from playwright.sync_api import Cookie as BrowserCookie


@pytest.fixture(scope="session")
def e2e() -> E2ESettings:
    return E2ESettings.from_environment()


@pytest.fixture(scope="session")
def base_url(e2e: E2ESettings) -> str:
    """Where page.goto() paths lead. (Replaces pytest-base-url's fixture, which pytest 9 warns about.)"""
    return e2e.base_url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any], e2e: E2ESettings) -> dict[str, Any]:
    """Debian's Chromium, never a downloaded browser (`playwright install` cannot work here)."""
    return {**browser_type_launch_args, "executable_path": e2e.chromium, "args": CHROMIUM_FLAGS}


@pytest.fixture(scope="session")
def site(e2e: E2ESettings) -> Iterator[httpx.Client]:
    """HTTP to the system, as a client service or a browser's download gets it."""
    with httpx.Client(base_url=e2e.base_url, timeout=300) as client:
        yield client


@pytest.fixture(scope="session")
def backend(e2e: E2ESettings) -> str:
    """The storage backend the admin runs with (its health URL no longer tells the public)."""
    return e2e.backend


@pytest.fixture(scope="session")
def admin_session(browser: Browser, e2e: E2ESettings, backend: str) -> list[BrowserCookie]:
    """The cookies of one login, shared by every test's browser: nginx takes 5 quick login attempts per
    address, then one every 10 s, and a login per test would run into that limit."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(60_000)
        AdminSite(page, e2e.base_url, e2e.artifacts / backend).log_in(e2e.username, e2e.password)
        page.wait_for_url(f"{e2e.base_url}/admin/")
        return context.cookies()
    finally:
        context.close()


@pytest.fixture
def admin(page: Page, e2e: E2ESettings, backend: str, admin_session: list[BrowserCookie]) -> AdminSite:
    """The admin in the browser, logged in."""
    page.set_default_timeout(60_000)
    page.context.add_cookies(admin_session)  # type: ignore[arg-type]
    return AdminSite(page, e2e.base_url, e2e.artifacts / backend, e2e.docs_screenshots)


@dataclass(frozen=True)
class Film:
    path: Path
    sha256: str
    size: int


@pytest.fixture
def make_film(tmp_path: Path) -> Any:
    """Writes a file of random bytes under a name; returns it with its sha256."""

    def make(name: str, size: int) -> Film:
        path = tmp_path / name
        digest = hashlib.sha256()
        with path.open("wb") as out:
            remaining = size
            while remaining:
                block = os.urandom(min(remaining, 4 * 1024 * 1024))
                digest.update(block)
                out.write(block)
                remaining -= len(block)
        return Film(path, digest.hexdigest(), size)

    return make


@pytest.fixture
def unique() -> str:
    """A suffix that keeps this test's rows apart from the demo data and from earlier runs."""
    return os.urandom(4).hex()
