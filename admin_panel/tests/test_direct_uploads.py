"""Direct uploads through the widget's endpoints, against the harness's real SeaweedFS (and FileAPI): the
parts go where the admin signs them to, the admin checks them at completion, the form saves the stored
film, and a cancelled, abandoned or unsaved upload leaves nothing in the storage."""

import base64
import hashlib
import io
import os
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from django.core.files.storage import Storage
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from file_storage.direct_uploads import LocalDirectUploads, S3DirectUploads, film_storage_of, uploads_for
from file_storage.models import DirectUpload
from movies.models import FilmWork

MiB = 1024**2
PART = 5 * MiB  # S3's smallest part, so a test film of three parts stays small
START_URL = "/admin/film-uploads/"
BACKENDS = ["local", "s3", "minio", "file_api"]
SERVERS = {"local": [], "s3": ["s3_server"], "minio": ["s3_server"], "file_api": ["file_api_server"]}


@pytest.fixture(params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, use_film_storages: Callable[..., Storage], settings: Settings
) -> str:
    for server in SERVERS[request.param]:
        request.getfixturevalue(server)
    settings.DIRECT_UPLOAD_PART_SIZE = PART
    use_film_storages(request.param)
    return str(request.param)


@pytest.fixture
def film() -> bytes:
    return os.urandom(2 * PART + 1000)  # two whole parts and a short last one


def checksum(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def start(client: Client, name: str = "Solaris.mp4", size: int = 2 * PART + 1000) -> dict[str, Any]:
    response = client.post(
        START_URL, {"filename": name, "size": size, "type": "video/mp4"}, "application/json"
    )
    assert response.status_code == 201, response.content
    upload: dict[str, Any] = response.json()
    return upload


def send_part(
    client: Client, upload: dict[str, Any], number: int, data: bytes, sent_checksum: str = ""
) -> str:
    """Sends a part where the admin signed it to, as the browser does; returns its ETag."""
    signed = client.post(
        f"{START_URL}{upload['uploadId']}/parts/{number}/sign/",
        {"checksum": sent_checksum or checksum(data)},
        "application/json",
    ).json()
    url, headers = signed["url"], signed["headers"]
    if url.startswith("/admin/"):  # `local`: the admin receives the part itself
        response = client.put(url, data, "application/octet-stream", headers=_django_headers(headers))
        assert response.status_code == 200, response.content
        return str(response["ETag"])
    answer = httpx.put(_past_nginx(url), content=data, headers={**headers, "Host": urlsplit(url).netloc})
    assert answer.status_code == 200, answer.text
    return answer.headers["etag"]


def _django_headers(headers: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name != "X-CSRFToken"}


def _past_nginx(url: str) -> str:
    """The signed URL points at nginx, which the admin suite does not start: the same request to the server
    behind it (the S3 bucket path or FileAPI), the Host header kept as nginx keeps it."""
    from django.conf import settings

    path = urlsplit(url)._replace(scheme="", netloc="").geturl()
    if path.startswith("/api/"):
        return str(settings.STORAGES["films_file_api"]["OPTIONS"]["base_url"]) + path
    return str(settings.STORAGES["films_s3"]["OPTIONS"]["endpoint_url"]) + path


def send_film(client: Client, upload: dict[str, Any], film: bytes) -> list[dict[str, Any]]:
    parts = []
    for number in (3, 1, 2):  # in any order, as parallel parts arrive
        data = film[(number - 1) * PART : number * PART]
        parts.append({"PartNumber": number, "ETag": send_part(client, upload, number, data)})
    return sorted(parts, key=lambda part: part["PartNumber"])


def complete(client: Client, upload: dict[str, Any], parts: list[dict[str, Any]]) -> Any:
    return client.post(f"{START_URL}{upload['uploadId']}/complete/", {"parts": parts}, "application/json")


def test_a_film_sent_in_parts_is_stored_and_saved_by_the_form(
    admin_client: Client, backend: str, film: bytes, film_form: Callable[..., dict[str, Any]]
) -> None:
    upload = start(admin_client)
    assert upload["partCount"] == 3

    stored = complete(admin_client, upload, send_film(admin_client, upload, film))
    assert stored.status_code == 200, stored.content
    saved = admin_client.post("/admin/movies/filmwork/add/", film_form(file_upload=upload["uploadId"]))

    assert saved.status_code == 302, saved.content.decode()[-3000:]
    row = FilmWork.objects.get(title="Solaris")
    assert (row.file_size, row.file_original_name, row.file_content_type) == (
        len(film),
        "Solaris.mp4",
        "video/mp4",
    )
    with row.file.open("rb") as copy:
        assert copy.read() == film
    assert not DirectUpload.objects.exists()  # the row claimed the stored film


def test_listed_parts_are_the_stored_ones(admin_client: Client, backend: str, film: bytes) -> None:
    upload = start(admin_client)
    etag = send_part(admin_client, upload, 2, film[PART : 2 * PART])

    listed = admin_client.get(f"{START_URL}{upload['uploadId']}/parts/").json()

    assert [(part["PartNumber"], part["ETag"].strip('"'), part["Size"]) for part in listed] == [
        (2, etag.strip('"'), PART)
    ]


def test_a_tampered_part_list_is_refused_and_the_right_one_then_completes(
    admin_client: Client, backend: str, film: bytes
) -> None:
    upload = start(admin_client)
    parts = send_film(admin_client, upload, film)

    wrong_etag = complete(admin_client, upload, [*parts[:2], {"PartNumber": 3, "ETag": '"0123abcd"'}])
    missing = complete(admin_client, upload, parts[:2])

    assert wrong_etag.status_code == 409
    assert wrong_etag.json() == {"detail": "Parts 3 in the storage are not the ones the browser sent."}
    assert missing.status_code == 409
    assert missing.json() == {"detail": "The browser's list of parts is not the list of the file's parts."}
    assert complete(admin_client, upload, parts).status_code == 200


def test_a_part_whose_bytes_do_not_match_its_checksum_is_not_stored(
    admin_client: Client, backend: str, film: bytes
) -> None:
    upload = start(admin_client)
    signed = admin_client.post(
        f"{START_URL}{upload['uploadId']}/parts/1/sign/",
        {"checksum": checksum(b"other bytes")},
        "application/json",
    ).json()
    if signed["url"].startswith("/admin/"):
        status = admin_client.put(
            signed["url"], film[:PART], "application/octet-stream", headers=_django_headers(signed["headers"])
        ).status_code
    else:
        status = httpx.put(
            _past_nginx(signed["url"]),
            content=film[:PART],
            headers={**signed["headers"], "Host": urlsplit(signed["url"]).netloc},
        ).status_code

    assert status in {400, 409}
    assert admin_client.get(f"{START_URL}{upload['uploadId']}/parts/").json() == []


def test_cancel_leaves_nothing_in_the_storage(admin_client: Client, backend: str, film: bytes) -> None:
    upload = start(admin_client)
    send_part(admin_client, upload, 1, film[:PART])
    row = DirectUpload.objects.get(id=upload["uploadId"])

    assert admin_client.delete(f"{START_URL}{upload['uploadId']}/").status_code == 204

    assert not DirectUpload.objects.exists()
    assert_nothing_left(row)


def assert_nothing_left(upload: DirectUpload) -> None:
    """Neither the upload nor a file of it is in its storage."""
    uploads = uploads_for(upload.backend)
    if isinstance(uploads, S3DirectUploads):
        keys = [key for key, _upload_id in uploads.stale_uploads(timedelta(seconds=-60))]
        assert upload.name not in keys
    if isinstance(uploads, LocalDirectUploads):
        assert not (uploads.directory / str(upload.id)).exists()
    assert not film_storage_of(upload.backend).exists(upload.name)


def test_reconcile_removes_abandoned_and_unsaved_uploads_but_not_young_ones(
    admin_client: Client, backend: str, film: bytes
) -> None:
    abandoned = start(admin_client, "abandoned.mp4")
    send_part(admin_client, abandoned, 1, film[:PART])
    unsaved = start(admin_client, "unsaved.mp4")
    assert complete(admin_client, unsaved, send_film(admin_client, unsaved, film)).status_code == 200
    young = start(admin_client, "young.mp4")
    old = timezone.now() - timedelta(days=2)
    DirectUpload.objects.filter(id__in=[abandoned["uploadId"], unsaved["uploadId"]]).update(created=old)
    rows = list(DirectUpload.objects.filter(id__in=[abandoned["uploadId"], unsaved["uploadId"]]))

    report = io.StringIO()
    call_command("reconcile_uploads", stdout=report)

    assert [str(row.id) for row in DirectUpload.objects.all()] == [young["uploadId"]]
    for row in rows:
        assert_nothing_left(row)
    assert "removed uploading upload 'abandoned.mp4'" in report.getvalue()
    assert "removed stored upload 'unsaved.mp4'" in report.getvalue()
    admin_client.delete(f"{START_URL}{young['uploadId']}/")


@pytest.mark.parametrize(
    ("name", "size", "status", "detail"),
    [
        (
            "page.html",
            100 * MiB,
            400,
            "“page.html” is not a film file. Allowed extensions: mp4, m4v, mkv, webm, mov, avi, mpg, mpeg.",
        ),
        ("film.mp4", 0, 400, "The film's size must be a positive number of bytes."),
        ("film.mp4", 21 * 1024**3, 413, "A film may have at most 21474836480 bytes."),
    ],
)
def test_start_refuses_what_is_not_a_film(
    admin_client: Client, name: str, size: int, status: int, detail: str
) -> None:
    response = admin_client.post(
        START_URL, {"filename": name, "size": size, "type": "video/mp4"}, "application/json"
    )

    assert response.status_code == status
    assert response.json() == {"detail": detail}
    assert not DirectUpload.objects.exists()


def test_only_editors_may_start_and_only_their_own_uploads(
    admin_client: Client, client: Client, django_user_model: Any, backend: str
) -> None:
    upload = start(admin_client)
    other = django_user_model.objects.create_user("other", password="x", is_staff=True, is_superuser=True)
    client.force_login(other)

    anonymous = Client().post(START_URL, {"filename": "a.mp4", "size": 1}, "application/json")

    assert anonymous.status_code == 403
    assert anonymous.json() == {"detail": "Log in to the admin to upload films."}
    assert client.get(f"{START_URL}{upload['uploadId']}/").status_code == 404
    assert client.delete(f"{START_URL}{upload['uploadId']}/").status_code == 404
    admin_client.delete(f"{START_URL}{upload['uploadId']}/")


def test_the_form_refuses_an_upload_that_is_not_complete(
    admin_client: Client, backend: str, film_form: Callable[..., dict[str, Any]]
) -> None:
    upload = start(admin_client)

    response = admin_client.post("/admin/movies/filmwork/add/", film_form(file_upload=upload["uploadId"]))

    assert response.status_code == 200
    assert "The uploaded film is no longer waiting to be saved: upload it again." in response.content.decode()
    assert not FilmWork.objects.filter(title="Solaris").exists()
    admin_client.delete(f"{START_URL}{upload['uploadId']}/")
