"""What a FileAPI killed mid-upload leaves, and `python -m file_api.reconcile`, which finds and cleans it."""

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import boto3
import httpx
import pytest

from devstack.services import FileAPI
from devstack.services import wait_for as wait_until
from file_api.storage import ObjectStore

MiB = 1024**2
FILM_SIZE = 300 * MiB


@pytest.fixture
def file_api(start_file_api: Callable[..., AbstractContextManager[FileAPI]]) -> Iterator[FileAPI]:
    """A FileAPI process of its own, with its own bucket and database: reconcile sees only this test's."""
    with start_file_api("reconcile") as server:
        yield server


def reconcile(file_api: FileAPI, *args: str) -> subprocess.CompletedProcess[str]:
    """The command as an operator runs it, with the settings of that FileAPI."""
    command = [sys.executable, "-m", "file_api.reconcile", *args]
    return subprocess.run(
        command, env=file_api.environment(), capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.slow
def test_upload_cut_by_sigkill_leaves_no_file_and_reconcile_aborts_its_s3_upload(
    file_api: FileAPI, store_of: Callable[[FileAPI], ObjectStore]
) -> None:
    store = store_of(file_api)
    pid = file_api.pid()
    assert pid is not None

    def film_killed_mid_way() -> Iterator[bytes]:
        yield b'--B\r\nContent-Disposition: form-data; name="file"; filename="killed.mp4"\r\n\r\n'
        for sent in range(FILM_SIZE // MiB):
            yield os.urandom(MiB)
            if sent == FILM_SIZE // MiB // 2:  # half-way, with parts in S3 already
                assert wait_until(lambda: any(store.list_incomplete_uploads()), timeout=60)
                os.kill(pid, signal.SIGKILL)
        yield b"\r\n--B--\r\n"

    with pytest.raises(httpx.TransportError):
        httpx.post(
            f"{file_api.base_url}/api/v1/",
            headers={
                "Authorization": f"Bearer {file_api.token}",
                "Content-Type": "multipart/form-data; boundary=B",
            },
            content=film_killed_mid_way(),
            timeout=120,
        )
    assert wait_until(lambda: file_api.pid() is None, timeout=30)  # killed, and reaped
    file_api.start()

    auth = {"Authorization": f"Bearer {file_api.token}"}
    assert httpx.get(f"{file_api.base_url}/api/v1/files", headers=auth).json()["total"] == 0
    assert list(store.list_objects()) == []
    (left,) = store.list_incomplete_uploads()

    found = reconcile(file_api, "--older-than", "0")
    assert found.returncode == 1, found.stderr
    assert "incomplete multipart uploads: 1" in found.stdout
    assert left.upload_id in found.stdout

    fixed = reconcile(file_api, "--older-than", "0", "--fix")
    assert fixed.returncode == 0, fixed.stderr
    assert f"aborted  {left.key}  upload {left.upload_id}" in fixed.stdout
    assert list(store.list_incomplete_uploads()) == []


def test_reconcile_reports_and_fixes_only_what_is_older_than_the_threshold(
    file_api: FileAPI, store_of: Callable[[FileAPI], ObjectStore]
) -> None:
    store = store_of(file_api)
    settings = file_api.environment()
    s3 = boto3.client(
        "s3",
        endpoint_url=settings["S3_ENDPOINT_URL"],
        aws_access_key_id=settings["S3_ACCESS_KEY"],
        aws_secret_access_key=settings["S3_SECRET_KEY"],
        region_name=settings["S3_REGION"],
    )
    token = {"Authorization": f"Bearer {file_api.token}"}
    kept = httpx.post(f"{file_api.base_url}/api/v1/", headers=token, files={"file": b"kept"}).json()
    lost = httpx.post(f"{file_api.base_url}/api/v1/", headers=token, files={"file": b"lost"}).json()
    store.remove(lost["short_name"])  # a row without its object
    s3.put_object(Bucket=store.bucket, Key="orphan", Body=b"no row")  # an object without a row
    stale = s3.create_multipart_upload(Bucket=store.bucket, Key="stale")["UploadId"]

    young = reconcile(file_api)  # the default 24 h: all of it may still be in progress
    assert young.returncode == 0, young.stderr
    assert (
        "objects without a row: 0\nincomplete multipart uploads: 0\nrows without an object: 0" in young.stdout
    )

    found = reconcile(file_api, "--older-than", "0")
    assert found.returncode == 1
    assert "objects without a row: 1\n  orphan  6 bytes" in found.stdout
    assert f"incomplete multipart uploads: 1\n  stale  upload {stale}" in found.stdout
    assert f"rows without an object: 1\n  {lost['short_name']}" in found.stdout
    assert "run again with --fix" in found.stdout

    fixed = reconcile(file_api, "--older-than", "0", "--fix")
    assert fixed.returncode == 1  # the lost file's row stays, for a person to decide
    assert "removed  orphan  6 bytes" in fixed.stdout
    assert f"aborted  stale  upload {stale}" in fixed.stdout
    assert [stored.key for stored in store.list_objects()] == [kept["short_name"]]
    assert list(store.list_incomplete_uploads()) == []
    assert (
        httpx.get(f"{file_api.base_url}/api/v1/files/{lost['short_name']}", headers=token).status_code == 200
    )


def test_reconcile_refuses_a_duration_it_cannot_read(file_api_server: FileAPI) -> None:
    result = reconcile(file_api_server, "--older-than", "yesterday")

    assert result.returncode == 2
    assert "'yesterday' is not a duration such as 90s, 30m, 24h or 2d" in result.stderr
