"""Resumable uploads: the admin opens and completes them with the token; the editor's browser sends the
parts with an upload grant of that one upload (resumable.py holds the rules, upload_grants.py the grants)."""

from datetime import UTC, datetime
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends, Path, Request, Response, status

from file_api.api.deps import (
    DownloadLinkDep,
    GrantedUploadDep,
    GrantKeyDep,
    PartSlotsDep,
    SessionFactoryDep,
    SettingsDep,
    StoreDep,
    UploadId,
    UploadSessionDep,
    require_token,
)
from file_api.api.openapi import PART_OPENAPI, PART_RESPONSES, error_responses
from file_api.config import Settings
from file_api.models import UploadSession
from file_api.resumable import (
    abort,
    complete,
    open_session,
    part_count,
    receive_part,
)
from file_api.resumable import list_parts as listed_parts
from file_api.schemas import (
    MAX_PARTS,
    CompleteUploadIn,
    FileOut,
    GrantOut,
    PartList,
    PartOut,
    UploadSessionIn,
    UploadSessionOut,
)
from file_api.upload_grants import issue_grant

router = APIRouter(prefix="/api/v1/uploads", tags=["uploads"])

PartNumberPath = Annotated[int, Path(ge=1, le=MAX_PARTS, description="1..part_count")]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(require_token)],
    responses=error_responses(400, 401, 413, 422, 503),
)
def open_upload(
    body: UploadSessionIn,
    settings: SettingsDep,
    store: StoreDep,
    sessions: SessionFactoryDep,
    key: GrantKeyDep,
) -> UploadSessionOut:
    """Open an upload of one file; its parts then go to `PUT .../parts/{n}` with the answer's `grant`."""
    upload = open_session(
        filename=body.filename,
        size=body.size,
        content_type=body.content_type,
        part_size=body.part_size,
        max_bytes=settings.file_api_max_upload_bytes,
        store=store,
        sessions=sessions,
    )
    return UploadSessionOut(
        short_name=upload.short_name,
        filename=upload.filename,
        size=upload.size,
        part_size=upload.part_size,
        part_count=part_count(upload.size, upload.part_size),
        **_grant(upload, key, settings).model_dump(),
    )


@router.post(
    "/{upload_id}/grant",
    dependencies=[Depends(require_token)],
    responses=error_responses(401, 404, 422, 503),
)
def renew_grant(upload: UploadSessionDep, key: GrantKeyDep, settings: SettingsDep) -> GrantOut:
    """A new grant for an open upload: for an upload that outlasts its grant, or is resumed later."""
    return _grant(upload, key, settings)


@router.put("/{upload_id}/parts/{part_number}", responses=PART_RESPONSES, openapi_extra=PART_OPENAPI)
async def upload_part(
    upload: GrantedUploadDep,
    part_number: PartNumberPath,
    request: Request,
    response: Response,
    store: StoreDep,
    sessions: SessionFactoryDep,
    slots: PartSlotsDep,
) -> PartOut:
    """Store one part (the grant, or the token); sending a part again replaces it. Parts may come in any
    order and in parallel."""
    part = await receive_part(upload, part_number, request, store, sessions, slots)
    response.headers["etag"] = part.etag  # what Uppy's AwsS3 plugin reads
    return PartOut.model_validate(part)


@router.get("/{upload_id}/parts", responses=error_responses(401, 403, 404, 409, 422, 503))
def list_parts(upload: GrantedUploadDep, store: StoreDep) -> PartList:
    """The parts S3 holds (the grant, or the token): a resumed upload sends only the others."""
    return PartList(parts=[PartOut.model_validate(part) for part in listed_parts(upload, store)])


@router.post(
    "/{upload_id}/complete",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(require_token)],
    responses={
        200: {"model": FileOut, "description": "Completed before (a retry): the file it stored"},
        **error_responses(400, 401, 404, 409, 422, 502, 503),
    },
)
async def complete_upload(
    upload_id: UploadId,
    body: CompleteUploadIn,
    response: Response,
    store: StoreDep,
    sessions: SessionFactoryDep,
    download_link: DownloadLinkDep,
) -> FileOut:
    """Assemble the file from its parts once the list matches S3's; answers as `POST /api/v1/` does."""
    stored, created = await anyio.to_thread.run_sync(complete, upload_id, body.parts, store, sessions)
    if not created:
        response.status_code = status.HTTP_200_OK
    return FileOut.of(stored, download_link)


@router.delete(
    "/{upload_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(401, 403, 404, 422, 503),
)
def abort_upload(upload: GrantedUploadDep, store: StoreDep, sessions: SessionFactoryDep) -> None:
    """Abort the upload (the token, or its grant): S3 drops its parts."""
    abort(upload, store, sessions)


def _grant(upload: UploadSession, key: str, settings: Settings) -> GrantOut:
    grant = issue_grant(upload.id, key, settings.file_api_upload_grant_lifetime)
    return GrantOut(
        upload_id=upload.id,
        grant=grant.token,
        grant_expires_at=datetime.fromtimestamp(grant.expires, UTC),
    )
