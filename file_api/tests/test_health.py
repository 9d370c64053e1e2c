"""GET /api/v1/health: 200 only when Postgres and S3 both answer."""

from collections.abc import Callable
from typing import Any

import httpx

from devstack.services import SeaweedFS
from file_api.config import Settings


def test_health_is_ok_when_both_answer(api: httpx.Client) -> None:
    response = api.get("/api/v1/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"postgres": "ok", "s3": "ok"}}


def test_health_is_503_when_s3_stops(
    file_api_settings: Callable[..., Settings], in_process_api: Any, temporary_s3_server: SeaweedFS
) -> None:
    settings = file_api_settings(s3_endpoint_url=temporary_s3_server.endpoint_url)
    with in_process_api(settings) as client:
        assert client.get("/api/v1/health").status_code == 200
        temporary_s3_server.stop()

        response = client.get("/api/v1/health")

    assert_unavailable(response, failed="s3", error="StorageUnavailable", working="postgres")


def test_health_is_503_when_postgres_is_unreachable(
    file_api_settings: Callable[..., Settings], in_process_api: Any, unused_tcp_port: int
) -> None:
    with in_process_api(file_api_settings(postgres_port=unused_tcp_port)) as client:
        response = client.get("/api/v1/health")

    assert_unavailable(response, failed="postgres", error="OperationalError", working="s3")


def assert_unavailable(response: httpx.Response, *, failed: str, error: str, working: str) -> None:
    """A 503 that names the dependency that failed and why, and reports the other one as ok."""
    assert response.status_code == 503
    body = response.json()
    assert set(body) == {"detail", "checks"}
    assert body["detail"] == f"unavailable: {failed}"
    assert body["checks"][working] == "ok"
    assert body["checks"][failed].startswith(f"error: {error}: ")
