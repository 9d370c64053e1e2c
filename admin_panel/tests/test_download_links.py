"""A stored film is only ever a download, never a page of the admin's origin: the presigned links of the
`s3` and `minio` backends make S3 itself answer with an attachment and a safe type, and nginx, which
serves the buckets and /media/ on the admin's host, adds attachment, nosniff and a sandbox whatever the
storage answers. (The browser's view of the same links: tests/e2e/test_uploaded_payloads.py.)"""

from collections.abc import Callable
from io import BytesIO
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import Storage

from devstack.services import Nginx, SeaweedFS
from devstack.settings import StackConfig

PAGE = b"<html><script>document.title = 'pwned'</script></html>"
S3_BACKENDS = ["s3", "minio"]


def assert_sandboxed_download(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].startswith("attachment")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == "sandbox"


@pytest.mark.parametrize("backend", S3_BACKENDS)
def test_presigned_link_asks_s3_for_an_attachment_under_the_original_name(
    backend: str, use_film_storages: Callable[..., Storage], s3_server: SeaweedFS
) -> None:
    storage = use_film_storages(backend)

    query = parse_qs(urlsplit(storage.url("films/Сталкер 1979.html")).query)

    assert query["response-content-disposition"] == [
        "attachment; filename*=utf-8''%D0%A1%D1%82%D0%B0%D0%BB%D0%BA%D0%B5%D1%80%201979.html"
    ]
    assert query["response-content-type"] == ["application/octet-stream"]


@pytest.mark.parametrize("backend", S3_BACKENDS)
@pytest.mark.parametrize(
    ("name", "served_type"),
    [
        ("films/page.html", "application/octet-stream"),
        ("films/image.svg", "application/octet-stream"),
        ("films/trailer.mp4", "video/mp4"),
        ("films/trailer.webm", "video/webm"),
    ],
)
def test_s3_itself_answers_a_presigned_link_with_a_download(
    backend: str,
    name: str,
    served_type: str,
    use_film_storages: Callable[..., Storage],
    s3_server: SeaweedFS,
) -> None:
    """Straight from S3, without nginx: the signed response-* parameters are what S3 answers with."""
    storage = use_film_storages(backend, S3_PUBLIC_ENDPOINT_URL=s3_server.endpoint_url)
    stored = storage.save(name, ContentFile(PAGE))

    response = httpx.get(storage.url(stored))

    assert response.content == PAGE
    assert response.headers["content-type"] == served_type
    filename = stored.rsplit("/", 1)[1]
    assert response.headers["content-disposition"] == f'attachment; filename="{filename}"'


@pytest.mark.parametrize("backend", S3_BACKENDS)
@pytest.mark.parametrize("name", ["films/page.html", "films/image.svg"])
def test_presigned_link_through_nginx_is_a_sandboxed_download(
    backend: str, name: str, use_film_storages: Callable[..., Storage], nginx_server: Nginx, s3_server: Any
) -> None:
    storage = use_film_storages(backend)  # links presigned for the site's own address, nginx
    stored = storage.save(name, ContentFile(PAGE))
    url = storage.url(stored)
    assert url.startswith(nginx_server.address)

    response = httpx.get(url)

    assert_sandboxed_download(response)
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.content == PAGE


def test_nginx_makes_a_bucket_object_a_download_whatever_s3_answers(
    nginx_server: Nginx, s3_server: SeaweedFS, stack_config: StackConfig
) -> None:
    """A link without response-* parameters (an older link, or a public bucket): S3 answers with the
    stored type text/html and no Content-Disposition; nginx still makes it a sandboxed download."""
    bucket = stack_config.get("ADMIN_S3_BUCKET")
    s3_server.client.put_object(
        bucket_name=bucket,
        object_name="films/raw.html",
        data=BytesIO(PAGE),
        length=len(PAGE),
        content_type="text/html",
    )
    url = s3_server.client.presigned_get_object(bucket, "films/raw.html")
    through_nginx = nginx_server.address + url.removeprefix(s3_server.endpoint_url)
    # minio signs the Host it talks to; nginx passes the client's on, so ask with S3's.
    s3_host = urlsplit(s3_server.endpoint_url).netloc

    response = httpx.get(through_nginx, headers={"Host": s3_host})

    assert response.headers["content-type"] == "text/html"
    assert_sandboxed_download(response)
    assert response.headers["content-disposition"] == "attachment"
    assert response.headers.get_list("x-content-type-options") == ["nosniff"]


def test_local_media_is_a_sandboxed_download(
    use_film_storages: Callable[..., Storage], nginx_server: Nginx
) -> None:
    storage = use_film_storages("local")
    stored = storage.save("films/page.html", ContentFile(PAGE))

    response = httpx.get(f"{nginx_server.address}/media/{stored}")

    assert_sandboxed_download(response)
    assert response.content == PAGE
