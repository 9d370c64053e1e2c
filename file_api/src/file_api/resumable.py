"""Resumable uploads: an S3 multipart upload whose parts a browser sends one request each, in any order
and in parallel, straight into S3's UploadPart (no temporary file), and that the admin then completes.

Integrity, part by part and as a whole:
- a part must be exactly its size (Content-Length checked before the body is read) and its bytes must
  match the SHA-256 FileAPI computes while reading them, and the browser's x-amz-checksum-sha256 if sent;
  S3 verifies the same SHA-256 again (the upload is created with ChecksumAlgorithm=SHA256);
- completing compares the client's list of parts with S3's own (ListParts): parts 1..part_count, each
  ETag and size as expected; a mismatch is a 409 that leaves the session open, so the client can resume.

Memory: a part is held whole (S3 needs its length and checksum before the first byte), in one buffer per
request, and at most PARTS_IN_FLIGHT of them per instance.
"""

import base64
import hashlib
import logging
import math
import re
import uuid
from http import HTTPStatus

import anyio
import anyio.to_thread
import shortuuid
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request

from file_api.models import StoredFile, UploadedPart, UploadSession
from file_api.schemas import DEFAULT_PART_SIZE, MAX_PARTS, CompletedPartIn
from file_api.storage import (
    ChecksumMismatch,
    CompletedPart,
    ListedPart,
    ObjectStore,
    PartsRefused,
    UploadNotFound,
)
from file_api.uploads import UploadRejected, clean_filename, content_type_of, file_too_large

logger = logging.getLogger(__name__)

# Parts being received or sent to S3 at once, per instance; more wait (their bodies unread, so TCP holds
# them back). A browser sends 4-6 parts of a file at a time (Uppy's default is 6): 8 let one editor's
# upload go at full speed while another's still moves. The memory is bounded by 8 x the part size: 128 MiB
# with the default 16 MiB parts, 512 MiB with the largest (64 MiB).
PARTS_IN_FLIGHT = 8
CHECKSUM_HEADER = "x-amz-checksum-sha256"
CHECKSUM_PATTERN = "^[A-Za-z0-9+/]{43}=$"  # base64 of 32 bytes
CHECKSUM_MISMATCH = "the part's bytes do not match its x-amz-checksum-sha256"


def no_such_upload() -> UploadRejected:
    """The session is unknown, completed or aborted (a replayed grant gets this too)."""
    return UploadRejected("no such upload", HTTPStatus.NOT_FOUND)


def parts_mismatch(message: str) -> UploadRejected:
    """The parts do not make the upload (yet): the session stays open, the client can resume."""
    return UploadRejected(message, HTTPStatus.CONFLICT)


def part_count(size: int, part_size: int) -> int:
    return math.ceil(size / part_size)


def part_length(upload: UploadSession, number: int) -> int:
    """The exact size of part `number`: part_size, the rest of the file for the last part."""
    count = part_count(upload.size, upload.part_size)
    if not 1 <= number <= count:
        raise UploadRejected(f"part_number must be 1..{count}: this upload has {count} parts")
    return upload.part_size if number < count else upload.size - (count - 1) * upload.part_size


def open_session(
    *,
    filename: str,
    size: int,
    content_type: str,
    part_size: int | None,
    max_bytes: int,
    store: ObjectStore,
    sessions: sessionmaker[Session],
) -> UploadSession:
    """Creates the S3 multipart upload and its row; blocking. If the row cannot be written, the S3 upload
    is aborted: nothing is left half-way."""
    if size > max_bytes:
        raise file_too_large(max_bytes)
    part_size = part_size or DEFAULT_PART_SIZE
    if part_count(size, part_size) > MAX_PARTS:
        raise UploadRejected(
            f"{size} bytes in parts of {part_size} make more than {MAX_PARTS} parts (S3's limit): "
            f"use a part_size of at least {math.ceil(size / MAX_PARTS)}"
        )
    clean_name = clean_filename(filename)
    upload = UploadSession(
        short_name=shortuuid.uuid(),
        filename=clean_name,
        size=size,
        part_size=part_size,
        # A type S3 would refuse (or a header could not carry) is replaced by the filename's.
        content_type=content_type_of(content_type.encode("latin-1", "replace"), clean_name),
    )
    upload.s3_upload_id = store.start_upload(upload.short_name, upload.content_type)
    try:
        with sessions.begin() as session:
            session.add(upload)
    except BaseException:
        _abort_quietly(store, upload)
        raise
    return upload


def find_session(sessions: sessionmaker[Session], upload_id: uuid.UUID) -> UploadSession:
    """The session's row, read in a session of its own closed at once: no pooled connection is held while
    a part's bytes flow."""
    with sessions() as session:
        upload = session.get(UploadSession, upload_id)
    if upload is None:
        raise no_such_upload()
    return upload


async def receive_part(
    upload: UploadSession,
    number: int,
    request: Request,
    store: ObjectStore,
    sessions: sessionmaker[Session],
    slots: anyio.Semaphore,
) -> ListedPart:
    """Reads one part from the request body, verifies it, sends it to S3 and records its checksum.

    Whatever the headers tell is checked before the body is read."""
    expected = part_length(upload, number)
    declared_checksum = request.headers.get(CHECKSUM_HEADER)
    if declared_checksum is not None and not re.match(CHECKSUM_PATTERN, declared_checksum):
        raise UploadRejected(f"{CHECKSUM_HEADER} must be the base64 of the part's SHA-256 (44 characters)")
    declared_length = request.headers.get("content-length")
    if declared_length is None:
        raise UploadRejected(
            f"send Content-Length: part {number} is {expected} bytes", HTTPStatus.LENGTH_REQUIRED
        )
    if declared_length != str(expected):
        raise UploadRejected(f"part {number} is {expected} bytes, the Content-Length says {declared_length}")

    async with slots:
        buffer = bytearray(expected)
        try:
            checksum = await _read_part(request, buffer)
            if declared_checksum is not None and declared_checksum != checksum:
                raise UploadRejected(CHECKSUM_MISMATCH)
            # Not cancellable: the thread finishes with the buffer before it is emptied below.
            etag = await anyio.to_thread.run_sync(_send_part, store, upload, number, buffer, checksum)
        finally:
            buffer.clear()  # frees the part even while a traceback still refers to the bytearray
    await anyio.to_thread.run_sync(_record_part, sessions, upload.id, number, etag, checksum)
    return ListedPart(number, etag, expected, checksum)


def list_parts(upload: UploadSession, store: ObjectStore) -> list[ListedPart]:
    try:
        return store.list_parts(upload.short_name, upload.s3_upload_id)
    except UploadNotFound as exc:
        raise _parts_gone() from exc


def complete(
    upload_id: uuid.UUID, claimed: list[CompletedPartIn], store: ObjectStore, sessions: sessionmaker[Session]
) -> tuple[StoredFile, bool]:
    """Assembles the file once the client's parts match S3's, and records it; blocking.

    Returns the stored file and whether this call stored it: a retry of a completed upload (the admin
    timed out waiting) gets the file that the first call stored."""
    with sessions() as session:
        upload = session.get(UploadSession, upload_id)
        if upload is None:
            return _completed_before(session, upload_id), False
        recorded = {
            part.part_number: part
            for part in session.scalars(select(UploadedPart).where(UploadedPart.upload_id == upload_id))
        }
    parts = _verified_parts(upload, claimed, list_parts(upload, store), recorded)
    try:
        store.complete_upload(upload.short_name, upload.s3_upload_id, parts)
    except UploadNotFound as exc:
        # Another request completed it a moment ago (or aborted it): its answer tells which.
        raise parts_mismatch(
            "the upload is being completed or aborted by another request: ask again in a moment"
        ) from exc
    except PartsRefused as exc:
        raise parts_mismatch(f"S3 refused the parts ({exc}): list them again and resume") from exc

    try:
        assembled = store.size_of(upload.short_name)
        if assembled != upload.size:
            # Its parts are consumed: nothing is left to resume.
            with sessions.begin() as session:
                session.execute(delete(UploadSession).where(UploadSession.id == upload.id))
            raise UploadRejected(
                f"S3 assembled {assembled} bytes of the {upload.size} declared: the file was not kept, "
                "upload it again",
                HTTPStatus.BAD_GATEWAY,
            )
        return _record_file(upload, sessions), True
    except BaseException:
        # No row refers to the object: _record_file answers a concurrent complete's file rather than fail.
        _remove_quietly(store, upload.short_name)
        raise


def abort(upload: UploadSession, store: ObjectStore, sessions: sessionmaker[Session]) -> None:
    """Aborts the S3 upload (S3 drops its parts), then deletes the row: if S3 does not answer, the
    session stays and the client may ask again."""
    store.abort_upload(upload.short_name, upload.s3_upload_id)
    with sessions.begin() as session:
        session.execute(delete(UploadSession).where(UploadSession.id == upload.id))


async def _read_part(request: Request, buffer: bytearray) -> str:
    """Fills the buffer from the body; returns the bytes' SHA-256, base64 as x-amz-checksum-sha256 is.

    The server stops the body at Content-Length, which equals the buffer's size: a body ending early
    is a disconnect (ClientDisconnect, 400) or a short read here."""
    sha256 = hashlib.sha256()
    filled = 0
    with memoryview(buffer) as target:  # released however this ends, so the buffer can be freed
        async for chunk in request.stream():
            if filled + len(chunk) > len(target):
                raise UploadRejected("the body is longer than its Content-Length")
            target[filled : filled + len(chunk)] = chunk
            sha256.update(chunk)
            filled += len(chunk)
    if filled != len(buffer):
        raise UploadRejected(f"the body ended after {filled} of {len(buffer)} bytes")
    return base64.b64encode(sha256.digest()).decode()


def _send_part(store: ObjectStore, upload: UploadSession, number: int, data: bytearray, checksum: str) -> str:
    try:
        return store.upload_part(upload.short_name, upload.s3_upload_id, number, data, checksum)
    except ChecksumMismatch as exc:
        # S3 received other bytes than FileAPI hashed: nothing was stored, the client sends the part again.
        raise UploadRejected(CHECKSUM_MISMATCH) from exc
    except UploadNotFound as exc:
        raise _parts_gone() from exc


def _record_part(
    sessions: sessionmaker[Session], upload_id: uuid.UUID, number: int, etag: str, checksum: str
) -> None:
    """Keeps the part's checksum under its ETag; a part sent again replaces it."""
    row = {"upload_id": upload_id, "part_number": number, "etag": etag, "checksum_sha256": checksum}
    statement = insert(UploadedPart).values(row)
    statement = statement.on_conflict_do_update(
        index_elements=[UploadedPart.upload_id, UploadedPart.part_number],
        set_={"etag": statement.excluded.etag, "checksum_sha256": statement.excluded.checksum_sha256},
    )
    try:
        with sessions.begin() as session:
            session.execute(statement)
    except IntegrityError as exc:  # the session was completed or aborted while the part was sent
        raise no_such_upload() from exc


def _verified_parts(
    upload: UploadSession,
    claimed: list[CompletedPartIn],
    listed: list[ListedPart],
    recorded: dict[int, UploadedPart],
) -> list[CompletedPart]:
    """The parts to complete with, once the client's list, S3's and the recorded checksums all agree;
    else a 409 (parts_mismatch) naming what differs."""
    count = part_count(upload.size, upload.part_size)
    in_s3 = {part.number: part for part in listed}
    claimed_etags: dict[int, str] = {}
    problems: list[str] = []
    for part in claimed:
        if part.part_number in claimed_etags:
            problems.append(f"part {part.part_number} is listed twice")
        elif part.part_number > count:
            problems.append(f"part {part.part_number} is not part of this upload ({count} parts)")
        claimed_etags[part.part_number] = part.etag
    parts: list[CompletedPart] = []
    for number in range(1, count + 1):
        stored = in_s3.get(number)
        if stored is None:
            problems.append(f"part {number} has not been uploaded")
        elif number not in claimed_etags:
            problems.append(f"part {number} is missing from the list")
        elif _unquoted(claimed_etags[number]) != _unquoted(stored.etag):
            problems.append(f"part {number}'s etag {claimed_etags[number]} is not the stored part's")
        elif stored.size != part_length(upload, number):
            problems.append(f"part {number} is {stored.size} bytes, not {part_length(upload, number)}")
        elif (checksum := _checksum_of(stored, recorded.get(number))) is None:
            problems.append(f"part {number} was stored but not recorded: upload it again")
        else:
            parts.append(CompletedPart(number, stored.etag, checksum))
    extra = sorted(number for number in in_s3 if number > count)
    if extra:  # a part number beyond the plan cannot be uploaded through FileAPI; S3 would keep it anyway
        problems.append(f"S3 holds parts beyond part {count}: {extra}")
    if problems:
        shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
        raise parts_mismatch(f"the parts do not match the upload: {shown}")
    return parts


def _checksum_of(stored: ListedPart, recorded: UploadedPart | None) -> str | None:
    """The part's SHA-256: S3's if its ListParts tells, else the one recorded for the ETag S3 holds."""
    if stored.checksum_sha256:
        return stored.checksum_sha256
    if recorded is not None and _unquoted(recorded.etag) == _unquoted(stored.etag):
        return recorded.checksum_sha256
    return None


def _record_file(upload: UploadSession, sessions: sessionmaker[Session]) -> StoredFile:
    """Writes the file's row and deletes the session's, in one transaction."""
    try:
        with sessions() as session:
            deleted = session.scalar(
                delete(UploadSession).where(UploadSession.id == upload.id).returning(UploadSession.id)
            )
            if deleted is None:
                # Completed by a concurrent request (whose row is then committed) or aborted meanwhile.
                session.rollback()
                return _completed_before(session, upload.id)
            stored = StoredFile(
                id=upload.id,  # so that a retried complete finds the file from the upload's id
                short_name=upload.short_name,
                filename=upload.filename,
                size=upload.size,
                content_type=upload.content_type,
                sha256=None,
            )
            session.add(stored)
            session.commit()
        return stored
    except IntegrityError:  # a concurrent complete wrote the row first
        with sessions() as session:
            return _completed_before(session, upload.id)


def _completed_before(session: Session, upload_id: uuid.UUID) -> StoredFile:
    stored = session.get(StoredFile, upload_id)
    if stored is None:
        raise no_such_upload()
    return stored


def _unquoted(etag: str) -> str:
    return etag.strip().removeprefix("W/").strip('"')


def _parts_gone() -> UploadRejected:
    return parts_mismatch(
        "S3 no longer has this upload's parts (aborted outside FileAPI): delete it and upload the file again"
    )


def _abort_quietly(store: ObjectStore, upload: UploadSession) -> None:
    try:
        store.abort_upload(upload.short_name, upload.s3_upload_id)
    except Exception:
        logger.exception(
            "could not abort the multipart upload %s of %s: `python -m file_api.reconcile --fix` will",
            upload.s3_upload_id,
            upload.short_name,
        )


def _remove_quietly(store: ObjectStore, short_name: str) -> None:
    try:
        store.remove(short_name)
    except Exception:
        logger.exception(
            "could not remove the object %s: `python -m file_api.reconcile --fix` will", short_name
        )
