"""/health/live and /health/ready: short timeouts, a cached verdict, status words to the public only."""

import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx
import pytest
from django.core.files.storage import Storage
from django.http import JsonResponse
from django.test import Client, RequestFactory
from pytest_django.fixtures import Settings

from devstack.services import AdminPanel, SeaweedFS
from file_storage import views

pytestmark = pytest.mark.django_db

# HEALTH_CHECK_TIMEOUT_SECONDS (2 s) and room for a slow, shared machine; the storages' own timeouts
# (botocore 60 s with retries, FileAPI 30 s) are far beyond it.
READY_BOUND_SECONDS = 5.0


class SilentServer:
    """A TCP server that accepts connections and never answers: a hung S3 or FileAPI."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _address = self._socket.accept()
            except OSError:  # closed
                return
            self.connections.append(connection)

    def close(self) -> None:
        self._socket.close()
        for connection in self.connections:
            connection.close()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def fresh_verdicts(settings: Settings) -> None:
    """Every test starts without a cached verdict (a settings change clears it)."""
    settings.HEALTH_CHECK_CACHE_SECONDS = 5.0


def timed_get(client: Client, path: str) -> tuple[JsonResponse, float]:
    started = time.monotonic()
    response = client.get(path)
    return response, time.monotonic() - started


def test_ready_is_ok_with_database_and_storage(film_storage: Storage, client: Client) -> None:
    response = client.get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "storage": "ok"}}
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.parametrize("backend", ["s3", "minio", "file_api"])
def test_ready_gives_up_fast_on_a_hung_storage(
    backend: str,
    use_film_storages: Callable[..., Storage],
    silent_server: SilentServer,
    client: Client,
    caplog: pytest.LogCaptureFixture,
) -> None:
    use_film_storages(backend, S3_ENDPOINT_URL=silent_server.url, FILE_API_URL=silent_server.url)

    response, seconds = timed_get(client, "/health/ready")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "ok", "storage": "failed"}}
    assert seconds < READY_BOUND_SECONDS
    assert len(silent_server.connections) == 1  # no retry
    # What failed and why is in the log, not in the answer.
    assert "readiness: the storage check failed" in caplog.text
    assert "timed out" in caplog.text.lower() or "timeout" in caplog.text.lower()


@pytest.mark.parametrize("backend", ["s3", "minio"])
def test_ready_is_503_when_s3_stops_and_live_stays_200(
    backend: str,
    use_film_storages: Callable[..., Storage],
    temporary_s3_server: SeaweedFS,
    client: Client,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings.HEALTH_CHECK_CACHE_SECONDS = 0  # every probe checks
    use_film_storages(
        backend,
        S3_ENDPOINT_URL=temporary_s3_server.endpoint_url,
        ADMIN_S3_ACCESS_KEY=temporary_s3_server.access_key,
        ADMIN_S3_SECRET_KEY=temporary_s3_server.secret_key,
    )
    assert client.get("/health/ready").status_code == 200

    temporary_s3_server.stop()
    response, seconds = timed_get(client, "/health/ready")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "ok", "storage": "failed"}}
    assert seconds < READY_BOUND_SECONDS
    # The address and the error are in the log (the whole traceback), not in the answer.
    port = str(urlsplit(temporary_s3_server.endpoint_url).port)
    assert port not in response.content.decode()
    assert port in caplog.text
    live = client.get("/health/live")
    assert live.status_code == 200
    assert live.json() == {"status": "ok"}


def test_concurrent_probes_make_one_check(
    use_film_storages: Callable[..., Storage],
    silent_server: SilentServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    use_film_storages("s3", S3_ENDPOINT_URL=silent_server.url)
    probe = RequestFactory().get("/health/ready")

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: views.ready(probe).status_code, range(8)))

    assert statuses == [503] * 8
    assert len(silent_server.connections) == 1
    failures = [r for r in caplog.records if r.getMessage() == "readiness: the storage check failed"]
    assert len(failures) == 1


@pytest.mark.parametrize("path", ["/health/ready", "/health/live"])
def test_health_refuses_a_post_and_names_get(client: Client, path: str) -> None:
    response = client.post(path)

    assert response.status_code == 405
    assert response["Allow"] == "GET"


def test_the_admin_process_answers_its_health_urls(admin_server: AdminPanel) -> None:
    ready = httpx.get(f"{admin_server.base_url}/health/ready")
    assert ready.json() == {"status": "ok", "checks": {"database": "ok", "storage": "ok"}}
    assert httpx.get(f"{admin_server.base_url}/health/live").json() == {"status": "ok"}
