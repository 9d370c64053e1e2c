"""FileAPI started by file_api/start on the throwaway Postgres and S3."""

from __future__ import annotations

import httpx

from devstack.services import FileAPI

from .helpers import listening


def test_file_api_answers_its_health_check(file_api_server: FileAPI) -> None:
    response = httpx.get(f"{file_api_server.base_url}/api/v1/health")
    assert response.status_code == 200
    pid = file_api_server.pid()
    assert pid is not None
    assert listening(pid) == {("127.0.0.1", file_api_server.port)}
