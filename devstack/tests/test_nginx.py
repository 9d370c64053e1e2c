"""nginx in front of the native stack, from the same template Compose uses: every route, on loopback."""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import os
import re
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from io import BytesIO
from pathlib import Path

import httpx
import pytest

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
    assert site.get("/health/ready").json()["status"] == "ok"
    login = site.get("/admin/login/")
    assert login.status_code == 200
    assert 'name="username"' in login.text


def test_static_files_come_from_nginx(site: httpx.Client, stack_config: StackConfig) -> None:
    response = site.get("/static/admin/css/base.css")

    assert response.status_code == 200
    # The file collectstatic wrote, with nginx's type and cache headers.
    assert response.content == (stack_config.admin_static_root / "admin" / "css" / "base.css").read_bytes()
    assert "text/css" in response.headers["content-type"]
    assert "expires" in response.headers


@pytest.fixture(scope="module")
def film_link(site: httpx.Client, file_api_server: FileAPI) -> str:
    """The link FileAPI gives to a film uploaded through nginx."""
    auth = {"Authorization": f"Bearer {file_api_server.token}"}
    uploaded = site.post("/api/v1/", headers=auth, files={"file": ("film.mp4", b"0123456789" * 1000)})
    assert uploaded.status_code == 201, uploaded.text
    link: str = uploaded.json()["url"]
    return link


def test_a_file_api_link_carries_the_sites_address(film_link: str, nginx_server: Nginx) -> None:
    # FileAPI builds its link from the Host nginx passes on: the site's own address, port included.
    assert film_link.startswith(f"{nginx_server.address}/api/v1/download-stream/")


def test_a_file_api_link_serves_ranges_through_nginx(site: httpx.Client, film_link: str) -> None:
    part = site.get(film_link, headers={"Range": "bytes=10-19"})

    assert part.status_code == 206
    assert part.headers["content-range"] == "bytes 10-19/10000"
    assert part.content == b"0123456789"


def test_a_file_api_link_without_its_signature_is_refused(site: httpx.Client, film_link: str) -> None:
    # The link is signed (the query string reaches FileAPI through nginx); without it, refused.
    refused = site.get(film_link.split("?")[0])

    assert refused.status_code == 403
    assert refused.json() == {
        "detail": "this download needs a signed link (expires and signature) or the bearer token"
    }


def test_file_api_refuses_an_upload_through_nginx_without_the_token(site: httpx.Client) -> None:
    refused = site.post("/api/v1/", files={"file": ("film.mp4", b"x")})

    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"
    assert refused.json() == {"detail": "a valid bearer token is required"}


def test_presigned_s3_links_work_through_nginx_and_nothing_else(
    site: httpx.Client, s3_server: SeaweedFS, stack_config: StackConfig
) -> None:
    bucket = stack_config.get("ADMIN_S3_BUCKET")
    s3_server.client.put_object(
        bucket_name=bucket, object_name="films/probe.txt", data=BytesIO(b"probe"), length=5
    )
    public = s3_server.boto3_client(str(site.base_url).rstrip("/"))
    url = public.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "films/probe.txt"})

    assert httpx.get(url).content == b"probe"
    assert httpx.get(url.replace("X-Amz-Signature=", "X-Amz-Signature=0")).status_code == 403
    put_object = public.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "films/probe.txt"}
    )
    assert httpx.put(put_object, content=b"overwritten").status_code == 403  # only upload parts are written
    assert (
        site.get(f"/{stack_config.get('FILE_API_BUCKET')}/anything").status_code == 404
    )  # not a public bucket


def test_a_presigned_upload_part_passes_nginx_with_its_checksum_checked(
    site: httpx.Client, s3_server: SeaweedFS, stack_config: StackConfig
) -> None:
    bucket = stack_config.get("ADMIN_S3_BUCKET")
    public = s3_server.boto3_client(str(site.base_url).rstrip("/"))
    # The admin opens, lists and aborts the upload at S3 itself; the browser only PUTs through nginx.
    direct = s3_server.boto3_client()
    upload = direct.create_multipart_upload(Bucket=bucket, Key="films/part-probe.mp4")["UploadId"]
    part = os.urandom(5 * MiB)
    checksum = base64.b64encode(hashlib.sha256(part).digest()).decode()
    params = {"Bucket": bucket, "Key": "films/part-probe.mp4", "UploadId": upload, "PartNumber": 1}
    url = public.generate_presigned_url("upload_part", Params={**params, "ChecksumSHA256": checksum})
    try:
        tampered = httpx.put(url, content=part[:-1] + b"x", headers={"x-amz-checksum-sha256": checksum})
        stored = httpx.put(url, content=part, headers={"x-amz-checksum-sha256": checksum})

        assert tampered.status_code == 400  # S3's BadDigest
        assert stored.status_code == 200
        parts = direct.list_parts(Bucket=bucket, Key="films/part-probe.mp4", UploadId=upload)["Parts"]
        assert [(item["PartNumber"], item["Size"]) for item in parts] == [(1, 5 * MiB)]
    finally:
        direct.abort_multipart_upload(Bucket=bucket, Key="films/part-probe.mp4", UploadId=upload)


def test_security_headers_are_sent(site: httpx.Client) -> None:
    response = site.get("/nginx-health")

    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert response.headers["referrer-policy"] == "same-origin"


def test_the_server_header_names_no_version(site: httpx.Client) -> None:
    assert site.get("/nginx-health").headers["server"] == "nginx"


def test_body_over_the_limit_is_refused_by_nginx(stack_config: StackConfig) -> None:
    limits = {"HTTP_PORT": str(free_ports(1)[0]), "NGINX_MAX_BODY_SIZE": "1k"}
    with tempfile.TemporaryDirectory() as state:
        small = replace(stack_config, env={**stack_config.env, **limits}, state_dir=Path(state))
        with running(Nginx(small)) as nginx:
            response = httpx.post(f"{nginx.address}/api/v1/", content=b"x" * 4096)

    assert response.status_code == 413
    assert NGINX_PAGE in response.text


MiB = 1024**2
NGINX_PAGE = "<center>nginx</center>"  # on nginx's own error pages


def refused_by_the_admins_csrf_check(response: httpx.Response) -> bool:
    """The admin's answer to a POST without a CSRF token (with no session): Django's page, not nginx's."""
    return response.status_code == 403 and "CSRF" in response.text and NGINX_PAGE not in response.text


def admin_log_mentions(admin: AdminPanel, marker: str) -> bool:
    """Did the request tagged `marker` reach the admin? (gunicorn logs every request it gets.)"""
    return marker in admin.log.read_text(errors="replace")


@pytest.mark.parametrize("path", ["/admin/login/", "/health/ready", "/admin/movies/genre/add/"])
def test_big_bodies_are_refused_before_the_admin(
    site: httpx.Client, admin_server: AdminPanel, path: str
) -> None:
    marker = f"big-body-{uuid.uuid4().hex}"

    response = site.post(f"{path}?{marker}", content=b"x" * 2 * MiB)

    assert response.status_code == 413
    assert NGINX_PAGE in response.text
    time.sleep(0.5)  # the admin would log it as it answers
    assert not admin_log_mentions(admin_server, marker)


def test_a_small_body_still_reaches_the_admin(site: httpx.Client, admin_server: AdminPanel) -> None:
    marker = f"small-body-{uuid.uuid4().hex}"

    response = site.post(f"/health/ready?{marker}", content=b"x" * 1024)

    assert refused_by_the_admins_csrf_check(response)
    time.sleep(0.5)
    assert admin_log_mentions(admin_server, marker)


@pytest.mark.parametrize(
    "path", ["/admin/movies/filmwork/add/", f"/admin/movies/filmwork/{uuid.uuid4()}/change/"]
)
def test_the_film_forms_accept_big_bodies(site: httpx.Client, path: str) -> None:
    # A form's type, so that the admin reads the whole body before it answers: a body left unread when
    # gunicorn closes the connection can reach nginx as a reset (502), whatever nginx let through.
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    response = site.post(path, content=b"x" * 2 * MiB, headers=form)

    assert refused_by_the_admins_csrf_check(response)  # the admin's answer, not nginx's 413


def test_file_api_upload_route_accepts_big_bodies_and_its_other_routes_do_not(
    site: httpx.Client, file_api_server: FileAPI
) -> None:
    auth = {"Authorization": f"Bearer {file_api_server.token}"}
    body = os.urandom(2 * MiB)

    uploaded = site.post("/api/v1/", headers=auth, files={"file": ("film.mp4", body)})

    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["size"] == len(body)
    assert site.post("/api/v1/files", headers=auth, content=body).status_code == 413


@pytest.fixture
def throttled_nginx(stack_config: StackConfig, admin_server: AdminPanel) -> Iterator[Nginx]:
    """An nginx of its own in front of the harness's admin: its login limit counts only this test's tries."""
    with tempfile.TemporaryDirectory() as state:
        config = replace(
            stack_config, env={**stack_config.env, "HTTP_PORT": str(free_ports(1)[0])}, state_dir=Path(state)
        )
        with running(Nginx(config)) as nginx:
            yield nginx


def log_in(client: httpx.Client, username: str, password: str) -> httpx.Response:
    form = client.get("/admin/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    assert token, form.text
    return client.post(
        "/admin/login/",
        data={"csrfmiddlewaretoken": token[1], "username": username, "password": password, "next": "/admin/"},
    )


def test_login_attempts_are_throttled_per_address(throttled_nginx: Nginx, stack_config: StackConfig) -> None:
    username = stack_config.get("DJANGO_SUPERUSER_USERNAME")
    with httpx.Client(base_url=throttled_nginx.address, timeout=30) as client:
        # A person who mistypes twice still gets in.
        assert log_in(client, username, "typo-1").status_code == 200
        assert log_in(client, username, "typo-2").status_code == 200
        welcome = log_in(client, username, stack_config.get("DJANGO_SUPERUSER_PASSWORD"))
        assert welcome.status_code == 302
        assert welcome.headers["location"] == "/admin/"

    with httpx.Client(base_url=throttled_nginx.address, timeout=30) as guesser:
        answers = [log_in(guesser, username, f"guess-{n}") for n in range(10)]
        statuses = [answer.status_code for answer in answers]
        # The burst's rest is used up within the ten quick guesses: refused by nginx, with a message.
        assert statuses.count(429) >= 5, statuses
        refused = next(answer for answer in answers if answer.status_code == 429)
        assert "Too many login attempts" in refused.text
        assert refused.headers["content-type"] == "text/plain; charset=utf-8"
        # The form itself still loads (only POSTs count).
        assert guesser.get("/admin/login/").status_code == 200


class HeaderEcho(http.server.BaseHTTPRequestHandler):
    """Answers every request with the headers it arrived with, as JSON."""

    def do_GET(self) -> None:
        body = json.dumps({name.lower(): value for name, value in self.headers.items()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def nginx_before_an_echo(stack_config: StackConfig) -> Iterator[Nginx]:
    """nginx whose admin upstream is a server echoing the headers nginx sends it."""
    echo = http.server.ThreadingHTTPServer(("127.0.0.1", 0), HeaderEcho)
    threading.Thread(target=echo.serve_forever, daemon=True).start()
    ports = {"HTTP_PORT": str(free_ports(1)[0]), "ADMIN_PORT": str(echo.server_address[1])}
    try:
        with tempfile.TemporaryDirectory() as state:
            config = replace(stack_config, env={**stack_config.env, **ports}, state_dir=Path(state))
            with running(Nginx(config)) as nginx:
                yield nginx
    finally:
        echo.shutdown()
        echo.server_close()


def test_the_client_cannot_claim_https(nginx_before_an_echo: Nginx) -> None:
    claims = {"X-Forwarded-Proto": "https", "X-Forwarded-Ssl": "on", "X-Forwarded-Protocol": "ssl"}

    seen = httpx.get(f"{nginx_before_an_echo.address}/admin/", headers=claims).json()

    assert seen["x-forwarded-proto"] == "http"  # nginx's own scheme
    assert "x-forwarded-ssl" not in seen
    assert "x-forwarded-protocol" not in seen
