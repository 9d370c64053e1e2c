"""What a download holds while its bytes flow: no database connection, and through nginx not even FileAPI."""

import os
import threading
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import Engine, text

from devstack.services import FileAPI, Nginx, Postgres, wait_for
from file_api.config import Settings

MiB = 1024**2
# Larger than what loopback socket buffers absorb, so a download that is not read stays in progress.
FILM = os.urandom(32 * MiB)
NGINX_LOCATION = "/_file_api_s3/"


@pytest.fixture(scope="module")
def film(api: httpx.Client, auth: dict[str, str]) -> dict[str, Any]:
    response = api.post("/api/v1/", headers=auth, files={"file": ("film.mp4", FILM, "video/mp4")})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _idle_in_transaction(file_api_db: Engine, database: str) -> int:
    with file_api_db.connect() as connection:
        count = connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = :db AND state = 'idle in transaction'"
            ),
            {"db": database},
        )
    return int(count or 0)


def test_streaming_downloads_hold_no_database_connection(
    file_api_server: FileAPI,
    film: dict[str, Any],
    auth: dict[str, str],
    file_api_db: Engine,
    stack_settings: dict[str, str],
) -> None:
    # More downloads in progress than the pool has connections (5 + 10 overflow by default).
    downloads = 20
    with ExitStack() as in_progress, httpx.Client(base_url=file_api_server.base_url, timeout=30) as client:
        for _ in range(downloads):
            response = in_progress.enter_context(client.stream("GET", film["url"]))
            assert response.status_code == 200
            next(response.iter_raw(64 * 1024))  # started, then left unread

        with file_api_db.connect() as c:
            print(
                "STATES",
                c.execute(text("select datname, state, left(query, 60) from pg_stat_activity")).fetchall(),
            )
        assert _idle_in_transaction(file_api_db, stack_settings["FILE_API_DB_NAME"]) == 0
        assert client.get(f"/api/v1/files/{film['short_name']}", headers=auth).status_code == 200
        assert client.get("/api/v1/health").status_code == 200


def test_a_request_that_waits_too_long_for_a_connection_gets_503(
    file_api_settings: Callable[..., Settings],
    in_process_api: Any,
    film: dict[str, Any],
    postgres_server: Postgres,
    stack_settings: dict[str, str],
    file_api_db: Engine,
) -> None:
    settings = file_api_settings(
        file_api_db_pool_size=1, file_api_db_max_overflow=0, file_api_db_pool_timeout=0.5
    )
    metadata = f"/api/v1/files/{film['short_name']}"
    with (
        in_process_api(settings) as client,
        postgres_server.connect(stack_settings["FILE_API_DB_NAME"]) as db,
    ):
        # The one pooled connection gets stuck behind a lock, inside a request.
        db.execute("BEGIN")
        db.execute("LOCK TABLE stored_file IN ACCESS EXCLUSIVE MODE")
        stuck: list[httpx.Response] = []
        holder = threading.Thread(target=lambda: stuck.append(client.get(metadata)))
        holder.start()
        try:
            assert _wait_for_lock_waiter(file_api_db), "the first request never reached the database"

            response = client.get(metadata)

            assert response.status_code == 503
            assert response.headers["retry-after"] == "1"
            assert response.json() == {"detail": "the service is busy, try again shortly"}
        finally:
            db.execute("ROLLBACK")
            holder.join(timeout=30)
        assert stuck[0].status_code == 200


def _wait_for_lock_waiter(file_api_db: Engine) -> bool:
    def waiting() -> bool:
        # From a connection of its own: inside the locking transaction, pg_stat_activity stays a snapshot.
        with file_api_db.connect() as connection:
            query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            return bool(connection.scalar(text(query)))

    return wait_for(waiting, timeout=10)


def test_file_api_hands_the_bytes_to_nginx_when_nginx_asks(
    api: httpx.Client, film: dict[str, Any], stack_settings: dict[str, str], bucket: str
) -> None:
    response = api.get(film["url"], headers={"X-Accel-S3-Location": NGINX_LOCATION, "Range": "bytes=5-9"})

    assert response.status_code == 200
    assert response.content == b""
    target = urlsplit(response.headers["x-accel-redirect"])
    assert target.path == f"{NGINX_LOCATION}{bucket}/{film['short_name']}"
    assert "X-Amz-Signature=" in target.query
    assert response.headers["x-s3-host"] == f"127.0.0.1:{stack_settings['S3_PORT']}"
    assert response.headers["x-s3-range"] == "bytes=5-9"
    assert response.headers["etag"] == f'"{film["sha256"]}"'
    assert "content-length" not in response.headers or response.headers["content-length"] == "0"


@pytest.mark.parametrize("location", ["http://elsewhere.example/", "/no-trailing-slash", "/a b/"])
def test_anything_else_in_that_header_gets_the_bytes_from_file_api(
    api: httpx.Client, film: dict[str, Any], location: str
) -> None:
    response = api.get(film["url"], headers={"X-Accel-S3-Location": location, "Range": "bytes=0-3"})

    assert response.status_code == 206
    assert response.content == FILM[:4]
    assert "x-accel-redirect" not in response.headers


def test_through_nginx_nothing_internal_reaches_the_client(nginx_server: Nginx, film: dict[str, Any]) -> None:
    path = str(httpx.URL(film["url"]).copy_with(scheme=None, host=None, port=None))
    with httpx.Client(base_url=nginx_server.base_url, timeout=60) as client:
        response = client.get(path, headers={"Authorization": "Bearer something", "Cookie": "a=b"})

    assert response.status_code == 200
    assert response.content == FILM
    leaked = {name for name in response.headers if name.startswith(("x-accel", "x-s3", "x-amz"))}
    assert leaked == set()
    assert response.headers["x-content-type-options"] == "nosniff"
