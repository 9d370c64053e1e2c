"""The throwaway SeaweedFS: 127.0.0.1 only, buckets created, signatures checked, each service's key limited
to its buckets, stoppable."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import boto3
import httpx
import psutil
import pytest
from botocore.exceptions import ClientError
from minio.error import S3Error

from devstack.processes import ServiceError
from devstack.services import SeaweedFS, pid_alive, wait_for
from devstack.settings import buckets, free_ports
from devstack.testing import temporary_s3, throwaway

from .helpers import listening

# Each service's S3 key (access key and secret settings) and the buckets s3/init.sh lets it use.
SERVICE_S3_KEYS = {
    "file_api": ("FILE_API_S3_ACCESS_KEY", "FILE_API_S3_SECRET_KEY", ("FILE_API_BUCKET",)),
    "admin_panel": ("ADMIN_S3_ACCESS_KEY", "ADMIN_S3_SECRET_KEY", ("ADMIN_S3_BUCKET", "ADMIN_MINIO_BUCKET")),
}


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


@pytest.mark.parametrize("service", sorted(SERVICE_S3_KEYS))
def test_a_service_key_may_use_the_objects_of_its_own_buckets_only(
    s3_server: SeaweedFS, stack_settings: dict[str, str], service: str
) -> None:
    access_key, secret_key, bucket_settings = SERVICE_S3_KEYS[service]
    key = boto3.client(
        "s3",
        endpoint_url=s3_server.endpoint_url,
        aws_access_key_id=stack_settings[access_key],
        aws_secret_access_key=stack_settings[secret_key],
        region_name=s3_server.region,
    )
    own = {stack_settings[setting] for setting in bucket_settings}
    others = set(buckets(stack_settings)) - own
    assert own
    assert others

    for bucket in own:  # what FileAPI and the admin do: objects, listings, multipart uploads
        key.head_bucket(Bucket=bucket)
        key.put_object(Bucket=bucket, Key="probe", Body=b"probe")
        assert key.get_object(Bucket=bucket, Key="probe")["Body"].read() == b"probe"
        assert [item["Key"] for item in key.list_objects_v2(Bucket=bucket, Prefix="probe")["Contents"]] == [
            "probe"
        ]
        upload = key.create_multipart_upload(Bucket=bucket, Key="probe-parts")["UploadId"]
        key.list_multipart_uploads(Bucket=bucket)
        key.abort_multipart_upload(Bucket=bucket, Key="probe-parts", UploadId=upload)
        key.delete_object(Bucket=bucket, Key="probe")
    for bucket in others:
        with pytest.raises(ClientError, match="AccessDenied"):
            key.put_object(Bucket=bucket, Key="probe", Body=b"probe")
        with pytest.raises(ClientError, match="AccessDenied"):
            key.list_objects_v2(Bucket=bucket)
    with pytest.raises(ClientError, match="AccessDenied"):
        key.create_bucket(Bucket=f"{service.replace('_', '-')}-made-this")


def test_a_second_init_keeps_the_buckets_and_gives_a_changed_secret(temporary_s3_server: SeaweedFS) -> None:
    s3 = temporary_s3_server
    settings = dict(s3.config.env)
    old_secret, new_secret = settings["FILE_API_S3_SECRET_KEY"], "a-changed-file-api-secret-0123456789"
    bucket = settings["FILE_API_BUCKET"]

    def file_api_key(secret: str) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=s3.endpoint_url,
            aws_access_key_id=settings["FILE_API_S3_ACCESS_KEY"],
            aws_secret_access_key=secret,
            region_name=s3.region,
        )

    file_api_key(old_secret).put_object(Bucket=bucket, Key="kept", Body=b"kept")
    s3.config = dataclasses.replace(s3.config, env=settings | {"FILE_API_S3_SECRET_KEY": new_secret})
    s3.provision()  # what the next `make dev` or `docker compose up` runs

    assert file_api_key(new_secret).get_object(Bucket=bucket, Key="kept")["Body"].read() == b"kept"
    with pytest.raises(ClientError, match="SignatureDoesNotMatch"):
        file_api_key(old_secret).get_object(Bucket=bucket, Key="kept")


def test_an_init_that_hangs_is_stopped_with_its_weed_shell() -> None:
    with throwaway() as config:
        s3 = SeaweedFS(config)
        (unanswered,) = free_ports(1)  # no master there: weed shell waits for one forever
        s3.internal_ports = {"master.port": unanswered, "master.port.grpc": unanswered + 1}
        s3.init_timeout = 2.0
        s3.log.parent.mkdir(parents=True)  # made by start(), which this test skips

        with pytest.raises(ServiceError, match=re.escape("s3/init.sh did not finish in 2 s")):
            s3.provision()

    master = f"-master=127.0.0.1:{unanswered}."
    left = [p.pid for p in psutil.process_iter(["cmdline"]) if master in " ".join(p.info["cmdline"] or [])]
    assert left == []
