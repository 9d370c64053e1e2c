"""nginx in front of the native stack, from the same template Compose uses: every route, on loopback."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import replace
from io import BytesIO
from pathlib import Path

import boto3
import httpx
import pytest
from botocore.config import Config

from devstack.services import AdminPanel, FileAPI, Nginx, SeaweedFS
from devstack.settings import StackConfig, free_ports
from devstack.testing import running

from .helpers import listening


@pytest.fixture(scope="module")
def site(nginx_server: Nginx, admin_server: AdminPanel, file_api_server: FileAPI) -> Iterator[httpx.Client]:
    """A client of the whole native stack through nginx only."""
    with httpx.Client(base_url=nginx_server.address, timeout=60) as client:
        yield client


def test_rendered_configuration_passes_nginx_t(stack_config: StackConfig) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        assert "test is successful" in Nginx(stack_config).check(Path(scratch))


def test_nginx_listens_on_loopback_only(nginx_server: Nginx) -> None:
    pid = nginx_server.pid()
    assert pid is not None
    assert listening(pid) == {("127.0.0.1", nginx_server.port)}


def test_root_leads_to_the_admin(site: httpx.Client) -> None:
    response = site.get("/")

    assert response.status_code == 302
    assert response.headers["location"].endswith("/admin/")


def test_admin_and_its_health_answer_through_nginx(site: httpx.Client) -> None:
    assert site.get("/health/").json()["status"] == "ok"
    login = site.get("/admin/login/")
    assert login.status_code == 200
    assert 'name="username"' in login.text


def test_static_files_come_from_nginx(site: httpx.Client) -> None:
    response = site.get("/static/admin/css/base.css")

    assert response.status_code == 200
    assert "text/css" in response.headers["content-type"]
    assert "expires" in response.headers


def test_file_api_upload_and_ranged_download_through_nginx(
    site: httpx.Client, nginx_server: Nginx, file_api_server: FileAPI
) -> None:
    auth = {"Authorization": f"Bearer {file_api_server.token}"}
    uploaded = site.post("/api/v1/", headers=auth, files={"file": ("film.mp4", b"0123456789" * 1000)})
    assert uploaded.status_code == 201, uploaded.text
    url = uploaded.json()["url"]
    # FileAPI builds its link from the Host nginx passes on: the site's own address, port included.
    assert url.startswith(f"{nginx_server.address}/api/v1/download-stream/")

    part = site.get(url, headers={"Range": "bytes=10-19"})

    assert part.status_code == 206
    assert part.content == b"0123456789"
    assert site.post("/api/v1/", files={"file": ("film.mp4", b"x")}).status_code == 401
    # The link is signed (the query string reaches FileAPI through nginx); without it, refused.
    assert site.get(url.split("?")[0]).status_code == 403


def test_presigned_s3_links_work_through_nginx_and_nothing_else(
    site: httpx.Client, s3_server: SeaweedFS, stack_config: StackConfig
) -> None:
    bucket = stack_config.get("ADMIN_S3_BUCKET")
    s3_server.client.put_object(
        bucket_name=bucket, object_name="films/probe.txt", data=BytesIO(b"probe"), length=5
    )
    public = boto3.client(
        "s3",
        endpoint_url=str(site.base_url).rstrip("/"),
        aws_access_key_id=s3_server.access_key,
        aws_secret_access_key=s3_server.secret_key,
        region_name=s3_server.region,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    url = public.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "films/probe.txt"})

    assert httpx.get(url).content == b"probe"
    assert httpx.get(url.replace("X-Amz-Signature=", "X-Amz-Signature=0")).status_code == 403
    assert (
        httpx.put(url, content=b"overwritten").status_code == 403
    )  # links read; nothing writes through nginx
    assert (
        site.get(f"/{stack_config.get('FILE_API_BUCKET')}/anything").status_code == 404
    )  # not a public bucket


def test_security_headers_and_no_version(site: httpx.Client) -> None:
    response = site.get("/nginx-health")

    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["server"] == "nginx"


def test_body_over_the_limit_is_refused_by_nginx(stack_config: StackConfig) -> None:
    limits = {"HTTP_PORT": str(free_ports(1)[0]), "NGINX_MAX_BODY_SIZE": "1k"}
    with tempfile.TemporaryDirectory() as state:
        small = replace(stack_config, env={**stack_config.env, **limits}, state_dir=Path(state))
        with running(Nginx(small)) as nginx:
            response = httpx.post(f"{nginx.address}/api/v1/", content=b"x" * 4096)

    assert response.status_code == 413
