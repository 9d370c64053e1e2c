"""Resumable uploads (/api/v1/uploads): the admin opens and completes them with the token, the browser sends
the parts with an upload grant; S3 multipart uploads underneath, checked part by part and as a whole."""

import base64
import hashlib
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, create_engine, func, select, update

from devstack.services import FileAPI, Postgres
from file_api.config import Settings
from file_api.models import StoredFile, UploadSession
from file_api.storage import ChecksumMismatch, IncompleteUpload, ObjectStore
from file_api.upload_grants import issue_grant

MiB = 1024**2
PART_SIZE = 5 * MiB  # S3's smallest part: the tests move as few bytes as they can
# Three parts, the last one shorter.
FILM = os.urandom(2 * PART_SIZE + 123_457)
PARTS = {1: FILM[:PART_SIZE], 2: FILM[PART_SIZE : 2 * PART_SIZE], 3: FILM[2 * PART_SIZE :]}

Opener = Callable[..., dict[str, Any]]
SentUpload = tuple[dict[str, Any], list[dict[str, Any]]]
PartSender = Callable[..., httpx.Response]


def sha256_base64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


@pytest.fixture
def open_upload(api: httpx.Client, auth: dict[str, str]) -> Opener:
    """Opens an upload of FILM (by default) as the admin does; returns the answer (asserting 201)."""

    def open_film(size: int = len(FILM), part_size: int | None = PART_SIZE, **fields: Any) -> dict[str, Any]:
        body = {"filename": "film.mp4", "size": size, "content_type": "video/mp4", "part_size": part_size}
        response = api.post("/api/v1/uploads", headers=auth, json=body | fields)
        assert response.status_code == 201, response.text
        answer: dict[str, Any] = response.json()
        return answer

    return open_film


@pytest.fixture
def send_part(file_api_server: FileAPI) -> PartSender:
    """PUTs a part as the browser does: with the upload's grant and the part's x-amz-checksum-sha256.
    A client of its own per call, so parts can be sent from several threads."""

    def send(
        upload: dict[str, Any], number: int, data: bytes | None = None, **headers: str
    ) -> httpx.Response:
        data = PARTS[number] if data is None else data
        sent = bearer(upload["grant"]) | {"x-amz-checksum-sha256": sha256_base64(data)} | headers
        with httpx.Client(base_url=file_api_server.base_url, timeout=120) as client:
            return client.put(
                f"/api/v1/uploads/{upload['upload_id']}/parts/{number}", headers=sent, content=data
            )

    return send


@pytest.fixture
def film_sent(open_upload: Opener, send_part: PartSender) -> SentUpload:
    """An upload of FILM with every part sent in parallel, not completed yet: the upload, and its parts as
    `complete` wants them."""
    upload = open_upload()
    with ThreadPoolExecutor(3) as browser:
        answers = list(browser.map(lambda number: send_part(upload, number), PARTS))
    assert [answer.status_code for answer in answers] == [200, 200, 200], [a.text for a in answers]
    return upload, [{"part_number": a.json()["part_number"], "etag": a.json()["etag"]} for a in answers]


def complete_path(upload: dict[str, Any]) -> str:
    return f"/api/v1/uploads/{upload['upload_id']}/complete"


@pytest.fixture
def traces_of(
    file_api_db: Engine, incomplete_uploads: Callable[[], set[IncompleteUpload]]
) -> Callable[[dict[str, Any]], set[str]]:
    """What is left of an upload: "session" while its row is in upload_session, "S3 upload" while S3 holds
    its multipart upload."""

    def traces(upload: dict[str, Any]) -> set[str]:
        with file_api_db.connect() as connection:
            sessions = set(connection.scalars(select(UploadSession.id)))
        left = {"session"} if uuid.UUID(upload["upload_id"]) in sessions else set()
        if any(s3_upload.key == upload["short_name"] for s3_upload in incomplete_uploads()):
            left.add("S3 upload")
        return left

    return traces


@pytest.fixture
def stored_row(file_api_db: Engine) -> Callable[[str], Any]:
    def row(short_name: str) -> Any:
        with file_api_db.connect() as connection:
            return connection.execute(select(StoredFile).where(StoredFile.short_name == short_name)).first()

    return row


def test_parts_sent_in_parallel_out_of_order_complete_into_the_file(
    open_upload: Opener,
    send_part: PartSender,
    api: httpx.Client,
    auth: dict[str, str],
    stored_row: Callable[[str], Any],
    traces_of: Callable[[dict[str, Any]], set[str]],
) -> None:
    upload = open_upload()
    assert (upload["size"], upload["part_size"], upload["part_count"]) == (len(FILM), PART_SIZE, 3)

    with ThreadPoolExecutor(3) as browser:
        answers = list(browser.map(lambda number: send_part(upload, number), [3, 1, 2]))
    assert [answer.status_code for answer in answers] == [200, 200, 200], [a.text for a in answers]
    for answer, number in zip(answers, [3, 1, 2], strict=True):
        assert answer.json() == {
            "part_number": number,
            "etag": answer.headers["etag"],
            "size": len(PARTS[number]),
        }
    parts = [{"part_number": a.json()["part_number"], "etag": a.json()["etag"]} for a in answers]

    completed = api.post(complete_path(upload), headers=auth, json={"parts": parts})

    assert completed.status_code == 201, completed.text
    stored = completed.json()
    assert (stored["short_name"], stored["filename"], stored["size"]) == (
        upload["short_name"],
        "film.mp4",
        len(FILM),
    )
    assert (stored["content_type"], stored["sha256"]) == ("video/mp4", None)
    assert api.get(stored["url"]).content == FILM
    assert stored_row(upload["short_name"]) is not None
    assert traces_of(upload) == set()


def test_resumed_upload_lists_the_parts_sent_and_sends_only_the_rest(
    open_upload: Opener, send_part: PartSender, api: httpx.Client, auth: dict[str, str]
) -> None:
    upload = open_upload()
    sent = {number: send_part(upload, number).json()["etag"] for number in (1, 3)}

    listed = api.get(f"/api/v1/uploads/{upload['upload_id']}/parts", headers=bearer(upload["grant"]))
    assert listed.status_code == 200, listed.text
    assert listed.json() == {
        "parts": [{"part_number": n, "etag": sent[n], "size": len(PARTS[n])} for n in (1, 3)]
    }

    sent[2] = send_part(upload, 2).json()["etag"]
    parts = [{"part_number": n, "etag": etag} for n, etag in sorted(sent.items())]
    completed = api.post(complete_path(upload), headers=auth, json={"parts": parts})
    assert completed.status_code == 201, completed.text
    assert api.get(completed.json()["url"]).content == FILM


def test_completing_again_answers_the_stored_file(
    film_sent: SentUpload, api: httpx.Client, auth: dict[str, str]
) -> None:
    upload, parts = film_sent
    complete = complete_path(upload)
    first = api.post(complete, headers=auth, json={"parts": parts})
    assert first.status_code == 201, first.text

    again = api.post(complete, headers=auth, json={"parts": parts})

    assert again.status_code == 200, again.text
    assert {k: v for k, v in again.json().items() if k != "url"} == {
        k: v for k, v in first.json().items() if k != "url"
    }


def test_renewed_grant_sends_parts(
    open_upload: Opener, send_part: PartSender, api: httpx.Client, auth: dict[str, str]
) -> None:
    upload = open_upload()

    renewed = api.post(f"/api/v1/uploads/{upload['upload_id']}/grant", headers=auth)

    assert renewed.status_code == 200, renewed.text
    assert set(renewed.json()) == {"upload_id", "grant", "grant_expires_at"}
    assert send_part(upload | {"grant": renewed.json()["grant"]}, 1).status_code == 200


@pytest.mark.anyio
async def test_upload_over_the_size_limit_is_413(app_client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    body = {"filename": "huge.mkv", "size": 10**15, "content_type": "video/x-matroska", "part_size": None}

    response = await app_client.post("/api/v1/uploads", headers=auth, json=body)

    assert response.status_code == 413
    assert response.json() == {"detail": "the file is larger than the limit of 21474836480 bytes"}


@pytest.mark.parametrize(
    ("part_size", "message"),
    [
        (5 * MiB - 1, f"Input should be greater than or equal to {5 * MiB}"),
        (64 * MiB + 1, f"Input should be less than or equal to {64 * MiB}"),
    ],
)
@pytest.mark.anyio
async def test_part_size_outside_5_to_64_mib_is_422(
    app_client: httpx.AsyncClient, auth: dict[str, str], part_size: int, message: str
) -> None:
    body = {"filename": "film.mp4", "size": 100 * MiB, "content_type": "video/mp4", "part_size": part_size}

    response = await app_client.post("/api/v1/uploads", headers=auth, json=body)

    assert response.status_code == 422
    assert response.json()["detail"] == f"invalid request: body.part_size: {message}"
    assert [error["loc"] for error in response.json()["errors"]] == [["body", "part_size"]]


def test_filename_is_cleaned_as_a_one_shot_uploads(open_upload: Opener) -> None:
    upload = open_upload(filename='C:\\films\\"my"\x07 film.mp4')

    assert upload["filename"] == '"my" film.mp4'


# Grants: one upload's parts, nothing else.


def test_part_without_a_grant_is_401(open_upload: Opener, send_part: PartSender) -> None:
    upload = open_upload()

    response = send_part(upload, 1, Authorization="")

    assert response.status_code == 401
    assert response.json() == {"detail": "a valid upload grant is required (Authorization: Bearer <grant>)"}


def test_forged_grant_is_401(open_upload: Opener, send_part: PartSender) -> None:
    upload = open_upload()
    expires = upload["grant"].split(".")[1]

    response = send_part(upload, 1, Authorization=f"Bearer {upload['upload_id']}.{expires}.{'0' * 64}")

    assert response.status_code == 401
    assert response.json() == {"detail": "the upload grant's signature is not valid"}


def test_expired_grant_is_401(
    open_upload: Opener, send_part: PartSender, stack_settings: dict[str, str]
) -> None:
    upload = open_upload()
    expired = issue_grant(uuid.UUID(upload["upload_id"]), stack_settings["FILE_API_URL_SIGNING_KEY"], -1)

    response = send_part(upload, 1, Authorization=f"Bearer {expired.token}")

    assert response.status_code == 401
    assert response.json() == {"detail": "the upload grant has expired: ask the admin for a new one"}


def test_grant_of_another_upload_is_403(open_upload: Opener, send_part: PartSender) -> None:
    upload, other = open_upload(), open_upload()

    response = send_part(upload, 1, Authorization=f"Bearer {other['grant']}")

    assert response.status_code == 403
    assert response.json() == {"detail": "this upload grant is for another upload"}


def test_grant_replayed_after_complete_is_404(
    film_sent: SentUpload, send_part: PartSender, api: httpx.Client, auth: dict[str, str]
) -> None:
    upload, parts = film_sent
    completed = api.post(complete_path(upload), headers=auth, json={"parts": parts})
    assert completed.status_code == 201, completed.text

    response = send_part(upload, 1)

    assert response.status_code == 404
    assert response.json() == {"detail": "no such upload"}


def test_grant_replayed_after_abort_is_404(
    open_upload: Opener, send_part: PartSender, api: httpx.Client, auth: dict[str, str]
) -> None:
    upload = open_upload()
    assert api.delete(f"/api/v1/uploads/{upload['upload_id']}", headers=auth).status_code == 204

    response = send_part(upload, 1)

    assert response.status_code == 404
    assert response.json() == {"detail": "no such upload"}


def test_complete_without_the_token_is_401_even_with_the_grant(
    film_sent: SentUpload, api: httpx.Client
) -> None:
    upload, parts = film_sent
    complete = complete_path(upload)

    for headers in ({}, bearer(upload["grant"])):
        response = api.post(complete, headers=headers, json={"parts": parts})
        assert response.status_code == 401
        assert response.json() == {"detail": "a valid bearer token is required"}


def test_grant_opens_no_other_route(
    open_upload: Opener, upload: Callable[..., dict[str, Any]], api: httpx.Client
) -> None:
    grant = bearer(open_upload()["grant"])
    film = upload(b"a film")
    download = f"/api/v1/download-stream/{film['short_name']}"

    assert api.get(download, headers=grant).status_code == 403  # needs a signed link or the token
    assert api.get(f"/api/v1/files/{film['short_name']}", headers=grant).status_code == 401
    assert api.get("/api/v1/files", headers=grant).status_code == 401
    assert api.delete(f"/api/v1/files/{film['short_name']}", headers=grant).status_code == 401
    assert api.post("/api/v1/", headers=grant, files={"file": b"x"}).status_code == 401
    assert api.post("/api/v1/uploads", headers=grant, json={}).status_code == 401


# Integrity.


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (
            lambda parts: [parts[0] | {"etag": '"0123456789abcdef0123456789abcdef"'}, *parts[1:]],
            "part 1's etag",
        ),
        (lambda parts: parts[:2], "part 3 is missing from the list"),
        (
            lambda parts: [*parts, {"part_number": 4, "etag": parts[0]["etag"]}],
            "part 4 is not part of this upload",
        ),
    ],
    ids=["wrong etag", "missing part", "extra part"],
)
def test_tampered_part_list_is_409_and_the_right_one_still_completes(
    film_sent: SentUpload,
    api: httpx.Client,
    auth: dict[str, str],
    tamper: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
    problem: str,
) -> None:
    upload, parts = film_sent
    complete = complete_path(upload)

    refused = api.post(complete, headers=auth, json={"parts": tamper(parts)})

    assert refused.status_code == 409
    assert problem in refused.json()["detail"]
    completed = api.post(complete, headers=auth, json={"parts": parts})
    assert completed.status_code == 201, completed.text
    assert api.get(completed.json()["url"]).content == FILM


def test_complete_before_every_part_is_sent_is_409(
    open_upload: Opener, send_part: PartSender, api: httpx.Client, auth: dict[str, str]
) -> None:
    upload = open_upload()
    parts = [{"part_number": n, "etag": send_part(upload, n).json()["etag"]} for n in (1, 2)]
    parts.append({"part_number": 3, "etag": parts[0]["etag"]})

    refused = api.post(complete_path(upload), headers=auth, json={"parts": parts})

    assert refused.status_code == 409
    assert "part 3 has not been uploaded" in refused.json()["detail"]


def test_part_of_the_wrong_length_is_400_before_its_body_is_read(
    open_upload: Opener, send_part: PartSender
) -> None:
    upload = open_upload()

    response = send_part(upload, 1, PARTS[1][:1000])

    assert response.status_code == 400
    assert response.json() == {"detail": f"part 1 is {PART_SIZE} bytes, the Content-Length says 1000"}


def test_part_without_content_length_is_411(open_upload: Opener, file_api_server: FileAPI) -> None:
    upload = open_upload()

    def chunked() -> Iterator[bytes]:
        yield PARTS[1]

    response = httpx.put(
        f"{file_api_server.base_url}/api/v1/uploads/{upload['upload_id']}/parts/1",
        headers=bearer(upload["grant"]),
        content=chunked(),
    )

    assert response.status_code == 411
    assert response.json() == {"detail": f"send Content-Length: part 1 is {PART_SIZE} bytes"}


def test_part_number_beyond_the_last_is_400(open_upload: Opener, send_part: PartSender) -> None:
    upload = open_upload()

    response = send_part(upload, 4, PARTS[3])

    assert response.status_code == 400
    assert response.json() == {"detail": "part_number must be 1..3: this upload has 3 parts"}


def test_part_not_matching_its_checksum_is_400_and_not_stored(
    open_upload: Opener, send_part: PartSender, api: httpx.Client
) -> None:
    upload = open_upload()

    response = send_part(upload, 1, **{"x-amz-checksum-sha256": sha256_base64(b"other bytes")})

    assert response.status_code == 400
    assert response.json() == {"detail": "the part's bytes do not match its x-amz-checksum-sha256"}
    listed = api.get(f"/api/v1/uploads/{upload['upload_id']}/parts", headers=bearer(upload["grant"]))
    assert listed.json() == {"parts": []}


def test_delete_aborts_the_s3_upload_and_deletes_the_session(
    open_upload: Opener,
    send_part: PartSender,
    api: httpx.Client,
    auth: dict[str, str],
    traces_of: Callable[[dict[str, Any]], set[str]],
) -> None:
    upload = open_upload()
    assert send_part(upload, 1).status_code == 200
    assert traces_of(upload) == {"session", "S3 upload"}

    deleted = api.delete(f"/api/v1/uploads/{upload['upload_id']}", headers=auth)

    assert deleted.status_code == 204
    assert traces_of(upload) == set()
    assert api.delete(f"/api/v1/uploads/{upload['upload_id']}", headers=auth).status_code == 404


# Reconcile.


def test_reconcile_fix_aborts_an_abandoned_session_and_leaves_a_young_one(
    start_file_api: Callable[..., AbstractContextManager[FileAPI]],
    postgres_server: Postgres,
    store_of: Callable[[FileAPI], ObjectStore],
) -> None:
    with start_file_api("resumable-reconcile") as file_api:
        store = store_of(file_api)
        body = {
            "filename": "film.mp4",
            "size": len(FILM),
            "content_type": "video/mp4",
            "part_size": PART_SIZE,
        }
        token = bearer(file_api.token)
        old, young = (
            httpx.post(f"{file_api.base_url}/api/v1/uploads", headers=token, json=body).json()
            for _ in range(2)
        )
        engine = create_engine(postgres_server.url(file_api.environment()["FILE_API_DB_NAME"]))
        try:
            with engine.begin() as connection:
                # With --older-than 0 every S3 upload is older than the cutoff: the young session is
                # made younger than it (opened in the future) to show that its S3 upload is left alone.
                connection.execute(
                    update(UploadSession)
                    .where(UploadSession.id == uuid.UUID(young["upload_id"]))
                    .values(created_at=func.now() + timedelta(hours=1))
                )

            found = reconcile(file_api, "--older-than", "0")
            assert found.returncode == 1, found.stderr
            # Each S3 upload belongs to a session: none is an orphan, the old one is counted once.
            assert "incomplete multipart uploads: 0\n" in found.stdout
            assert f"abandoned upload sessions: 1\n  session {old['upload_id']}  'film.mp4'" in found.stdout

            fixed = reconcile(file_api, "--older-than", "0", "--fix")
            assert fixed.returncode == 0, fixed.stderr
            assert f"aborted  session {old['upload_id']}" in fixed.stdout
            with engine.connect() as connection:
                left = set(connection.scalars(select(UploadSession.id)))
            assert left == {uuid.UUID(young["upload_id"])}
            assert [upload.key for upload in store.list_incomplete_uploads()] == [young["short_name"]]
        finally:
            engine.dispose()


def reconcile(file_api: FileAPI, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "file_api.reconcile", *args]
    return subprocess.run(
        command, env=file_api.environment(), capture_output=True, text=True, timeout=120, check=False
    )


def test_part_cut_short_by_the_client_is_not_stored(
    open_upload: Opener, api: httpx.Client, file_api_server: FileAPI
) -> None:
    upload = open_upload()
    head = (
        f"PUT /api/v1/uploads/{upload['upload_id']}/parts/1 HTTP/1.1\r\n"
        f"Host: 127.0.0.1\r\nAuthorization: Bearer {upload['grant']}\r\nContent-Length: {PART_SIZE}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", file_api_server.port), timeout=30) as client:
        client.sendall(head.encode() + PARTS[1][: PART_SIZE // 2])  # then hangs up mid-part

    listed = api.get(f"/api/v1/uploads/{upload['upload_id']}/parts", headers=bearer(upload["grant"]))

    assert listed.json() == {"parts": []}


def test_s3_refuses_a_part_whose_bytes_do_not_match_its_checksum(
    file_api_server: FileAPI, store_of: Callable[[FileAPI], ObjectStore]
) -> None:
    """What FileAPI's own check is backed by: S3 verifies the x-amz-checksum-sha256 of every part."""
    store = store_of(file_api_server)
    key = f"checksum-{uuid.uuid4()}"
    upload_id = store.start_upload(key, "video/mp4")
    try:
        with pytest.raises(ChecksumMismatch):
            store.upload_part(key, upload_id, 1, bytearray(PARTS[1]), sha256_base64(b"other bytes"))
        assert store.list_parts(key, upload_id) == []
    finally:
        store.abort_upload(key, upload_id)


def test_resumable_file_downloads_with_an_etag_of_its_own(
    film_sent: SentUpload, api: httpx.Client, auth: dict[str, str]
) -> None:
    """No whole-file sha256 to make the ETag of: the short_name, unique and never rewritten, is."""
    upload, parts = film_sent
    stored = api.post(complete_path(upload), headers=auth, json={"parts": parts})
    url = stored.json()["url"]

    downloaded = api.get(url, headers={"Range": "bytes=0-9"})
    assert downloaded.status_code == 206
    assert downloaded.content == FILM[:10]
    assert downloaded.headers["etag"] == f'"{upload["short_name"]}"'
    assert api.get(url, headers={"If-None-Match": downloaded.headers["etag"]}).status_code == 304


def test_without_a_signing_key_there_are_no_grants_and_opening_is_503(
    in_process_api: Callable[[Settings], AbstractContextManager[httpx.Client]],
    file_api_settings: Callable[..., Settings],
) -> None:
    settings = file_api_settings(file_api_signed_urls=False, file_api_url_signing_key="")
    body = {"filename": "film.mp4", "size": len(FILM), "content_type": "video/mp4", "part_size": None}

    with in_process_api(settings) as client:
        response = client.post("/api/v1/uploads", json=body)

    assert response.status_code == 503
    assert response.json() == {
        "detail": "resumable uploads need FILE_API_URL_SIGNING_KEY (at least 32 characters) to sign their "
        "upload grants"
    }
