"""The Compose stack keeps its films across `docker compose restart` and `down` + `up` (the volumes of
Postgres, S3 and the admin's media), and is healthy again. Compose only: these tests carry the marker
`compose`, which `make e2e` leaves out; `make compose-test` runs them in the Docker sandbox."""

import os
import subprocess
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from admin_site import AdminSite
from downloads import sha256_of
from e2e_settings import E2ESettings

pytestmark = pytest.mark.compose

MiB = 1024 * 1024


@pytest.fixture
def compose(e2e: E2ESettings) -> Callable[..., None]:
    if not e2e.compose_command:
        pytest.fail("set E2E_COMPOSE to the command that drives the stack under test, e.g. 'docker compose'")

    def run(*args: str) -> None:
        subprocess.run([*e2e.compose_command, *args], check=True, timeout=600)

    return run


@pytest.mark.parametrize("interruption", [["restart"], ["down"]], ids=["restart", "down-up"])
def test_films_survive(
    interruption: list[str],
    compose: Callable[..., None],
    admin: AdminSite,
    site: httpx.Client,
    e2e: E2ESettings,
    make_film: Any,
    unique: str,
) -> None:
    film = make_film("Солярис.mp4", 2 * MiB)
    change_url = admin.add_film(f"Survivor {unique}", film.path)
    content = os.urandom(MiB)
    token = {"Authorization": f"Bearer {e2e.file_api_token}"}
    uploaded = site.post("/api/v1/", headers=token, files={"file": ("trailer.mp4", content)})
    assert uploaded.status_code == 201, uploaded.text

    compose(*interruption)
    compose("up", "--detach", "--wait")

    assert site.get("/health/ready").json()["status"] == "ok"
    assert site.get("/api/v1/health").json()["status"] == "ok"
    # The browser's session was kept in Postgres too: no new login.
    assert sha256_of(admin.file_link(change_url), site, e2e) == film.sha256
    assert site.get(uploaded.json()["url"]).content == content
