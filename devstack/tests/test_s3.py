"""The throwaway SeaweedFS: 127.0.0.1 only, buckets created, signatures checked, stoppable."""

from __future__ import annotations

import httpx
import pytest
from minio.error import S3Error

from devstack.services import SeaweedFS, pid_alive, wait_for
from devstack.settings import buckets
from devstack.testing import temporary_s3

from .helpers import listening


def test_listens_on_localhost_only(s3_server: SeaweedFS) -> None:
    pid = s3_server.pid()
    assert pid is not None
    expected = {s3_server.port, *s3_server.internal_ports.values()}
    # Some components (admin) open their ports a moment after /healthz answers.
    assert wait_for(lambda: expected <= {port for _, port in listening(pid)}, timeout=10)
    assert {host for host, _ in listening(pid)} == {"127.0.0.1"}
    # Every component found the others on the ports given (the admin worker once did not).
    assert "connection refused" not in s3_server.log.read_text()


def test_buckets_exist(s3_server: SeaweedFS, stack_settings: dict[str, str]) -> None:
    expected = {stack_settings[name] for name in ("FILE_API_BUCKET", "ADMIN_S3_BUCKET", "ADMIN_MINIO_BUCKET")}
    assert set(buckets(stack_settings)) == expected
    assert all(s3_server.client.bucket_exists(bucket_name=bucket) for bucket in expected)


def test_refuses_a_wrong_secret(s3_server: SeaweedFS) -> None:
    with pytest.raises(S3Error) as refused:
        list(s3_server.make_client("wrong-secret").list_buckets())  # a lazy generator in minio 7.2.19
    assert refused.value.code == "SignatureDoesNotMatch"


def test_temporary_s3_can_be_stopped_and_cleans_up_after_itself() -> None:
    with temporary_s3() as s3:
        health = f"{s3.endpoint_url}/healthz"
        assert httpx.get(health).status_code == 200
        pid = s3.pid()
        assert pid is not None
        s3.stop()
        assert not pid_alive(pid)
        assert s3.pid() is None
        with pytest.raises(httpx.ConnectError):
            httpx.get(health)
    assert not s3.config.state_dir.exists()
