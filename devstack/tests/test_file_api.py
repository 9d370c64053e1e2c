"""FileAPI started by file_api/start on the throwaway Postgres and S3."""

from __future__ import annotations

import httpx

from devstack.services import FileAPI

from .helpers import listening


def test_file_api_reaches_the_throwaway_postgres_and_s3(file_api_server: FileAPI) -> None:
    response = httpx.get(f"{file_api_server.base_url}/api/v1/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"postgres": "ok", "s3": "ok"}}


def test_file_api_listens_on_loopback_only(file_api_server: FileAPI) -> None:
    pid = file_api_server.pid()
    assert pid is not None
    assert listening(pid) == {("127.0.0.1", file_api_server.port)}
