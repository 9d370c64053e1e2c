"""Faults of FileAPI's dependencies, with the real processes of the harness: S3 stopped or hung (SIGSTOP),
Postgres stopped. Every request gets a JSON answer in bounded time (the clients' timeout is the bound),
nothing is stored half-way, and FileAPI recovers by itself when the dependency comes back.

The stack here is a module's own (its own Postgres, SeaweedFS, FileAPI and nginx): stopping its servers
disturbs no other test.
"""

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from devstack.services import FileAPI, Nginx, Postgres, SeaweedFS
from devstack.testing import running, throwaway

# Far above FileAPI's own S3 and database timeouts, far below a hang: a request that takes longer fails.
CLIENT_TIMEOUT = 90
STORAGE_DOWN = {"detail": "object storage is unavailable, try again later"}
DATABASE_DOWN = {"detail": "the database is unavailable, try again later"}


@dataclass
class FaultStack:
    postgres: Postgres
    s3: SeaweedFS
    file_api: FileAPI
    nginx: Nginx
    film: dict[str, Any]

    def client(self, via: str) -> httpx.Client:
        origin = self.nginx.base_url if via == "nginx" else self.file_api.base_url
        auth = {"Authorization": f"Bearer {self.file_api.token}"}
        return httpx.Client(base_url=origin, headers=auth, timeout=CLIENT_TIMEOUT)

    def rows(self) -> int:
        with self.postgres.connect(self.file_api.config.get("FILE_API_DB_NAME")) as db:
            row = db.execute("SELECT count(*) FROM stored_file").fetchone()
        return row[0] if row else 0

    def objects(self) -> set[str]:
        bucket = self.file_api.config.get("FILE_API_BUCKET")
        return {obj.object_name or "" for obj in self.s3.client.list_objects(bucket_name=bucket)}


@pytest.fixture(scope="module")
def stack() -> Iterator[FaultStack]:
    with (
        throwaway() as config,
        running(Postgres(config)) as postgres,
        running(SeaweedFS(config)) as s3,
        running(FileAPI(config)) as file_api,
        running(Nginx(config)) as nginx,
    ):
        faults = FaultStack(postgres, s3, file_api, nginx, film={})
        with faults.client("file_api") as client:
            response = client.post("/api/v1/", files={"file": ("film.mp4", os.urandom(3 * 1024**2))})
        assert response.status_code == 201, response.text
        faults.film = response.json()
        yield faults


def _download_path(stack: FaultStack) -> str:
    return str(httpx.URL(stack.film["url"]).copy_with(scheme=None, host=None, port=None))


def _upload(client: httpx.Client) -> httpx.Response:
    # Larger than one multipart part: the failure can come in the middle of the upload.
    return client.post("/api/v1/", files={"file": ("film.mp4", os.urandom(20 * 1024**2))})


@contextmanager
def _timed(label: str) -> Iterator[None]:
    # Printed, not asserted (machines here are noisy): `pytest -s` shows how long each failure took.
    started = time.monotonic()
    yield
    print(f"{label}: answered in {time.monotonic() - started:.1f} s")


def _assert_works(stack: FaultStack) -> None:
    with stack.client("nginx") as client:
        assert _upload(client).status_code == 201
        download = client.get(_download_path(stack), headers={"Range": "bytes=0-9"})
        assert download.status_code == 206
        assert len(download.content) == 10


@pytest.mark.parametrize("fault", ["stopped", "hung"])
def test_s3_failure_is_503_with_nothing_stored_and_recovers_without_restart(
    stack: FaultStack, fault: str
) -> None:
    rows, objects = stack.rows(), stack.objects()
    s3_pid = stack.s3.pid()
    assert s3_pid is not None
    if fault == "stopped":
        stack.s3.stop()
    else:
        os.kill(s3_pid, signal.SIGSTOP)
    try:
        for via in ("file_api", "nginx"):
            with stack.client(via) as client:
                with _timed(f"S3 {fault}, upload via {via}"):
                    upload = _upload(client)
                with _timed(f"S3 {fault}, download via {via}"):
                    download = client.get(_download_path(stack))

            assert (upload.status_code, upload.json()) == (503, STORAGE_DOWN)
            assert (download.status_code, download.json()) == (503, STORAGE_DOWN)
        assert stack.rows() == rows
    finally:
        if fault == "stopped":
            stack.s3.start()
        else:
            os.kill(s3_pid, signal.SIGCONT)

    assert stack.objects() == objects
    _assert_works(stack)


def test_postgres_stopped_is_503_with_no_object_left_and_recovers_without_restart(
    stack: FaultStack,
) -> None:
    objects = stack.objects()
    stack.postgres.stop()
    try:
        for via in ("file_api", "nginx"):
            with stack.client(via) as client:
                upload = _upload(client)
                metadata = client.get(f"/api/v1/files/{stack.film['short_name']}")
                download = client.get(_download_path(stack))

            assert (upload.status_code, upload.json()) == (503, DATABASE_DOWN)
            assert (metadata.status_code, metadata.json()) == (503, DATABASE_DOWN)
            assert (download.status_code, download.json()) == (503, DATABASE_DOWN)
        assert stack.objects() == objects
    finally:
        stack.postgres.start()

    _assert_works(stack)
