"""The file endpoints: upload, download stream, metadata, list, delete."""

from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select

from file_api.api.deps import (
    DownloadLinkDep,
    SessionDep,
    SessionFactoryDep,
    SettingsDep,
    StoreDep,
    StoredFileDep,
    require_download_authority,
    require_token,
)
from file_api.api.openapi import DOWNLOAD_OPENAPI, DOWNLOAD_RESPONSES, MULTIPART_FILE_BODY, error_responses
from file_api.downloads import (
    PRESIGNED_GET_SECONDS,
    content_disposition,
    etag,
    is_not_modified,
    iter_object,
    last_modified,
    nginx_handoff,
    nginx_location,
    parse_range,
    range_is_current,
)
from file_api.models import StoredFile
from file_api.schemas import FileList, FileOut
from file_api.uploads import MultipartFileStream, store_upload

router = APIRouter(prefix="/api/v1", tags=["files"])

# Far more files than a cinema holds, far from where a bigint OFFSET overflows.
MAX_LIST_OFFSET = 2**31 - 1


# GET and HEAD: one operation each in the OpenAPI document, one function.
_DOWNLOAD_ROUTE: dict[str, Any] = {
    "path": "/download-stream/{short_name}",
    "dependencies": [Depends(require_download_authority)],
    "response_class": StreamingResponse,
    "responses": DOWNLOAD_RESPONSES,
    "openapi_extra": DOWNLOAD_OPENAPI,
}


@router.post(
    "/",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(require_token)],
    openapi_extra=MULTIPART_FILE_BODY,
    responses=error_responses(400, 401, 413, 422, 503),
)
async def upload_file(
    request: Request,
    settings: SettingsDep,
    store: StoreDep,
    sessions: SessionFactoryDep,
    download_link: DownloadLinkDep,
) -> FileOut:
    """Store the multipart field `file`; the answer's `short_name` names it from now on."""
    upload = MultipartFileStream.from_request(request, settings.file_api_max_upload_bytes)
    stored = await anyio.to_thread.run_sync(store_upload, upload, store, sessions)
    return FileOut.of(stored, download_link)


@router.get(**_DOWNLOAD_ROUTE)
@router.head(**_DOWNLOAD_ROUTE)
def download_stream(stored: StoredFileDep, request: Request, store: StoreDep) -> Response:
    """Stream the file; `Range` requests (a player seeking) read only that part from S3.

    Through nginx, FileAPI only authorizes: nginx streams the bytes from S3 itself.
    """
    headers = {
        "accept-ranges": "bytes",
        "etag": etag(stored),
        "last-modified": last_modified(stored),
        "content-disposition": content_disposition(stored.filename),
        "content-type": stored.content_type,
    }
    # Before the preconditions: a refused Range gets its refusal, not a 304 (RFC 9110 §13.2.1).
    byte_range = parse_range(request.headers.get("range"), stored.size)
    if is_not_modified(request.headers, stored):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)

    if byte_range is not None and not range_is_current(request.headers, stored):
        byte_range = None
    if byte_range is None:
        status_code, offset, length = status.HTTP_200_OK, 0, stored.size
        body_headers = {"content-length": str(length)}
    else:
        status_code, offset, length = status.HTTP_206_PARTIAL_CONTENT, byte_range.start, byte_range.length
        body_headers = {"content-length": str(length), "content-range": byte_range.content_range(stored.size)}

    # Whatever can fail is checked before the first byte: after it, a failure could only cut a 200 short.
    if request.method == "HEAD" or length == 0:
        store.ensure_exists(stored.short_name)
        return Response(status_code=status_code, headers=headers | body_headers)
    location = nginx_location(request.headers)
    if location is not None:
        # nginx streams the bytes from S3: no Python process and no database connection in the data
        # path. Status, length and range then come from S3's answer to the range FileAPI chose.
        presigned = store.presign_get(stored.short_name, PRESIGNED_GET_SECONDS)
        return Response(headers=headers | nginx_handoff(location, presigned, byte_range))
    body = store.open(stored.short_name, offset=offset, length=length)
    return StreamingResponse(iter_object(body), status_code=status_code, headers=headers | body_headers)


# Reads need the token too: a short_name is unguessable, and these answers hand short_names (and links) out.
@router.get(
    "/files/{short_name}",
    dependencies=[Depends(require_token)],
    responses=error_responses(401, 404, 422, 503),
)
def get_file(stored: StoredFileDep, download_link: DownloadLinkDep) -> FileOut:
    return FileOut.of(stored, download_link)


@router.get("/files", dependencies=[Depends(require_token)], responses=error_responses(401, 422, 503))
def list_files(
    session: SessionDep,
    download_link: DownloadLinkDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_LIST_OFFSET)] = 0,
) -> FileList:
    """Files, newest first."""
    total = session.scalar(select(func.count()).select_from(StoredFile)) or 0
    page = session.scalars(
        select(StoredFile).order_by(StoredFile.created_at.desc(), StoredFile.id).limit(limit).offset(offset)
    )
    items = [FileOut.of(stored, download_link) for stored in page]
    return FileList(items=items, total=total, limit=limit, offset=offset)


@router.delete(
    "/files/{short_name}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[Depends(require_token)],
    responses=error_responses(401, 404, 422, 503),
)
def delete_file(stored: StoredFileDep, session: SessionDep, store: StoreDep) -> None:
    """Delete the object and its row; if S3 refuses, the row stays and the answer is 503."""
    session.delete(stored)
    session.flush()
    store.remove(stored.short_name)
    session.commit()
