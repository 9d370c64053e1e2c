"""The file endpoints: upload, download stream, metadata, list, delete."""

from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select

from file_api.api.deps import (
    SessionDep,
    SessionFactoryDep,
    SettingsDep,
    StoreDep,
    StoredFileDep,
    require_download_authority,
    require_token,
)
from file_api.config import Settings
from file_api.downloads import (
    MAX_RANGE_HEADER_LENGTH,
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
from file_api.schemas import ErrorOut, FileList, FileOut, ValidationErrorOut
from file_api.uploads import FILE_FIELD, MultipartFileStream, store_upload
from signed_links import signed_query

router = APIRouter(prefix="/api/v1", tags=["files"])

# The body is read as a stream, so FastAPI cannot derive its schema: describe it for /api/docs.
_MULTIPART_FILE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [FILE_FIELD],
                    "properties": {FILE_FIELD: {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}
# Far more files than a cinema holds, far from where a bigint OFFSET overflows.
MAX_LIST_OFFSET = 2**31 - 1


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """A route's error answers, for the OpenAPI document: schemas.ErrorOut, a 422 ValidationErrorOut."""
    return {code: {"model": ValidationErrorOut if code == 422 else ErrorOut} for code in codes}


# A download's body is the file itself, of the file's own type; its headers follow RFC 9110.
_FILE_BODY = {"*/*": {"schema": {"type": "string", "format": "binary"}}}
_DOWNLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The whole file", "content": _FILE_BODY},
    206: {"description": "The part the Range header asked for", "content": _FILE_BODY},
    304: {"description": "Not modified: the client's copy is current"},
    **error_responses(400, 403, 404, 416, 422, 503),
}
_DOWNLOAD_OPENAPI: dict[str, Any] = {
    # FastAPI lists the bearer token; a signed link (`expires`, `signature`) is the other way in.
    "security": [{}],
    "parameters": [
        {
            "name": "Range",
            "in": "header",
            "description": f"one byte range (`bytes=0-1023`); over {MAX_RANGE_HEADER_LENGTH} characters: 416",
            "schema": {"type": "string", "maxLength": MAX_RANGE_HEADER_LENGTH},
        },
        {"name": "If-Range", "in": "header", "schema": {"type": "string"}},
        {"name": "If-None-Match", "in": "header", "schema": {"type": "string"}},
        {"name": "If-Modified-Since", "in": "header", "schema": {"type": "string"}},
    ],
}


@router.post(
    "/",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(require_token)],
    openapi_extra=_MULTIPART_FILE_BODY,
    responses=error_responses(400, 401, 413, 422, 503),
)
async def upload_file(
    request: Request, settings: SettingsDep, store: StoreDep, sessions: SessionFactoryDep
) -> FileOut:
    """Store the multipart field `file`; the answer's `short_name` names it from now on."""
    upload = MultipartFileStream.from_request(request, settings.file_api_max_upload_bytes)
    stored = await anyio.to_thread.run_sync(store_upload, upload, store, sessions)
    return describe_file(stored, request, settings)


@router.get(
    "/download-stream/{short_name}",
    dependencies=[Depends(require_download_authority)],
    response_class=StreamingResponse,
    responses=_DOWNLOAD_RESPONSES,
    openapi_extra=_DOWNLOAD_OPENAPI,
)
@router.head(
    "/download-stream/{short_name}",
    dependencies=[Depends(require_download_authority)],
    response_class=StreamingResponse,
    responses=_DOWNLOAD_RESPONSES,
    openapi_extra=_DOWNLOAD_OPENAPI,
)
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
def get_file(stored: StoredFileDep, request: Request, settings: SettingsDep) -> FileOut:
    return describe_file(stored, request, settings)


@router.get("/files", dependencies=[Depends(require_token)], responses=error_responses(401, 422, 503))
def list_files(
    session: SessionDep,
    request: Request,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_LIST_OFFSET)] = 0,
) -> FileList:
    """Files, newest first."""
    total = session.scalar(select(func.count()).select_from(StoredFile)) or 0
    page = session.scalars(
        select(StoredFile).order_by(StoredFile.created_at.desc(), StoredFile.id).limit(limit).offset(offset)
    )
    items = [describe_file(f, request, settings) for f in page]
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


def describe_file(stored: StoredFile, request: Request, settings: Settings) -> FileOut:
    url = request.url_for("download_stream", short_name=stored.short_name)
    if settings.file_api_signed_urls:
        key = settings.file_api_url_signing_key.get_secret_value()
        url = url.include_query_params(
            **signed_query(stored.short_name, key, settings.file_api_signed_url_lifetime)
        )
    return FileOut(
        id=stored.id,
        short_name=stored.short_name,
        filename=stored.filename,
        size=stored.size,
        content_type=stored.content_type,
        sha256=stored.sha256,
        created_at=stored.created_at,
        url=str(url),
    )
