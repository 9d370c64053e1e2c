"""Uploads that fail leave nothing behind: no thread, no memory, no row, no object, no S3 upload."""

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from typing import Any

import httpx
import psutil
import pytest

from devstack import broken_uploads
from devstack.services import FileAPI
from devstack.services import wait_for as wait_until
from file_api.storage import PART_SIZE, IncompleteUpload, ObjectStore

MiB = 1024**2
MB = 1000**2
# Three parts: a cut can fall in the form's head, in the first part, between parts, in the last one.
LIMIT = 2 * PART_SIZE + MiB
EACH_KIND = 8


@pytest.fixture(scope="module")
def limited_file_api(start_file_api: Callable[..., AbstractContextManager[FileAPI]]) -> Iterator[FileAPI]:
    """A FileAPI process of its own with a limit of three parts, so an upload over it is 413 after two
    parts went to S3 (the session's FileAPI accepts 20 GiB)."""
    with start_file_api("aborts", FILE_API_MAX_UPLOAD_BYTES=str(LIMIT)) as server:
        yield server


def test_aborted_uploads_leave_no_thread_memory_row_object_or_upload(
    limited_file_api: FileAPI, store_of: Callable[[FileAPI], ObjectStore]
) -> None:
    port, token = limited_file_api.port, limited_file_api.token
    process = psutil.Process(limited_file_api.pid())
    store = store_of(limited_file_api)
    with httpx.Client(base_url=limited_file_api.base_url, timeout=120) as client:
        # One complete upload first: the idle numbers then include what any upload loads.
        stored = client.post(
            "/api/v1/", headers={"Authorization": f"Bearer {token}"}, files={"file": os.urandom(LIMIT)}
        )
        assert stored.status_code == 201, stored.text
        assert client.get("/api/v1/health").status_code == 200
        idle_threads, idle_rss = process.num_threads(), process.memory_info().rss

        # Cut points spread over the whole body, from inside the form's head to the last part.
        points = [LIMIT * n // (EACH_KIND - 1) for n in range(EACH_KIND)]
        with ThreadPoolExecutor(6) as clients:
            hung_up = clients.map(
                lambda cut_at: broken_uploads.disconnect(port, token, LIMIT, cut_at), points
            )
            over_limit = clients.map(lambda _: broken_uploads.over_limit(port, token, LIMIT), points)
            truncated = clients.map(lambda length: broken_uploads.truncated(port, token, length), points)
            assert (list(hung_up), list(over_limit), list(truncated)) == (
                [None] * EACH_KIND,
                [413] * EACH_KIND,
                [400] * EACH_KIND,
            )

        def back_to_idle() -> bool:
            # anyio keeps a worker thread 10 s after its last task, and retires it only when another task
            # needs a thread: the health check is that task (it runs in a worker thread).
            client.get("/api/v1/health")
            return process.num_threads() <= idle_threads

        assert wait_until(back_to_idle, timeout=60, interval=0.5), (
            f"{process.num_threads()} threads, {idle_threads} when idle"
        )

    assert process.memory_info().rss - idle_rss < 30 * MB
    assert [stored.key for stored in store.list_objects()] == [stored.json()["short_name"]]
    assert list(store.list_incomplete_uploads()) == []
    files = httpx.get(
        f"{limited_file_api.base_url}/api/v1/files", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert files["total"] == 1


def test_upload_refused_by_s3_mid_way_is_503_and_leaves_nothing(
    api: httpx.Client,
    auth: dict[str, str],
    store_of: Callable[[FileAPI], ObjectStore],
    file_api_server: FileAPI,
    object_keys: Any,
    row_count: Any,
    incomplete_uploads: Callable[[], set[IncompleteUpload]],
) -> None:
    store = store_of(file_api_server)
    keys_before, rows_before, uploads_before = object_keys(), row_count(), incomplete_uploads()

    def film_refused_after_two_parts() -> Iterator[bytes]:
        yield b'--B\r\nContent-Disposition: form-data; name="file"; filename="refused.mp4"\r\n\r\n'
        for _ in range(2 * PART_SIZE // MiB):
            yield os.urandom(MiB)
        # FileAPI is uploading: S3 now drops the upload, so it refuses every part that comes next.
        assert wait_until(lambda: bool(incomplete_uploads() - uploads_before), timeout=60)
        (started,) = incomplete_uploads() - uploads_before
        store.abort_upload(started.key, started.upload_id)
        for _ in range(2 * PART_SIZE // MiB):
            yield os.urandom(MiB)
        yield b"\r\n--B--\r\n"

    response = api.post(
        "/api/v1/",
        headers=auth | {"Content-Type": "multipart/form-data; boundary=B"},
        content=film_refused_after_two_parts(),
    )

    assert response.status_code == 503
    assert response.json() == {"detail": "object storage is unavailable, try again later"}
    assert (object_keys(), row_count(), incomplete_uploads()) == (keys_before, rows_before, uploads_before)
