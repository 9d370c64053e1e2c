"""What the OpenAPI document says that FastAPI cannot derive from the routes' signatures: the error answers,
the bodies the routes read as streams, the download's headers and answers."""

from typing import Any

from file_api.downloads import MAX_RANGE_HEADER_LENGTH
from file_api.resumable import CHECKSUM_HEADER, CHECKSUM_PATTERN
from file_api.schemas import MAX_PART_SIZE, ErrorOut, ValidationErrorOut
from file_api.uploads import FILE_FIELD

BINARY: dict[str, Any] = {"type": "string", "format": "binary"}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """A route's error answers, for the OpenAPI document: schemas.ErrorOut, a 422 ValidationErrorOut."""
    return {code: {"model": ValidationErrorOut if code == 422 else ErrorOut} for code in codes}


def streamed_body(media_type: str, schema: dict[str, Any], description: str | None = None) -> dict[str, Any]:
    """The request body of a route that reads it as a stream itself (so FastAPI sees no body parameter)."""
    described = {"description": description} if description else {}
    return {"required": True, **described, "content": {media_type: {"schema": schema}}}


# POST /api/v1/ (routes/files.py): the body is read as a stream, so FastAPI cannot derive its schema.
MULTIPART_FILE_BODY: dict[str, Any] = {
    "requestBody": streamed_body(
        "multipart/form-data",
        {"type": "object", "required": [FILE_FIELD], "properties": {FILE_FIELD: BINARY}},
    )
}

# A download's body is the file itself, of the file's own type; its headers follow RFC 9110.
_FILE_BODY = {"*/*": {"schema": BINARY}}
DOWNLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The whole file", "content": _FILE_BODY},
    206: {"description": "The part the Range header asked for", "content": _FILE_BODY},
    304: {"description": "Not modified: the client's copy is current"},
    **error_responses(400, 403, 404, 416, 422, 503),
}
DOWNLOAD_OPENAPI: dict[str, Any] = {
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


# PUT /api/v1/uploads/{upload_id}/parts/{n} (routes/uploads.py).
# The part is the raw body, read as a stream, and resumable.py reads its headers.
PART_OPENAPI: dict[str, Any] = {
    "requestBody": streamed_body(
        "application/octet-stream",
        BINARY,
        f"the part's bytes; Content-Length must be its exact size (at most {MAX_PART_SIZE})",
    ),
    "parameters": [
        {
            "name": CHECKSUM_HEADER,
            "in": "header",
            "description": "base64 of the part's SHA-256 (WebCrypto's digest): a part not matching it is 400",
            "schema": {"type": "string", "pattern": CHECKSUM_PATTERN},
        }
    ],
}
PART_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "S3 stored the part",
        "headers": {"ETag": {"description": "S3's ETag of the part, quoted", "schema": {"type": "string"}}},
    },
    **error_responses(400, 401, 403, 404, 409, 411, 422, 503),
}
