"""What the API answers, and the JSON bodies it reads, as pydantic models (and so as the OpenAPI schema)."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field


class FileOut(BaseModel):
    id: uuid.UUID
    short_name: str
    filename: str
    size: int
    content_type: str
    sha256: str | None = Field(
        description="hex SHA-256 of the whole file; null for a resumable upload, whose parts' SHA-256 S3 "
        "verified one by one"
    )
    created_at: datetime
    url: str


class FileList(BaseModel):
    items: list[FileOut]
    total: int
    limit: int
    offset: int


class HealthOut(BaseModel):
    status: Literal["ok"]
    checks: dict[str, str]


class HealthFailure(BaseModel):
    detail: str
    checks: dict[str, str]


class ErrorOut(BaseModel):
    """Every error answer: what went wrong, as a sentence for the client's developer."""

    detail: str


class InvalidInput(BaseModel):
    """One part of a request that does not match the OpenAPI schema (pydantic's names, without the input)."""

    loc: list[str | int]  # where, e.g. ["query", "limit"]
    msg: str
    type: str


class ValidationErrorOut(ErrorOut):
    """422: the request does not match the schema; `detail` sums up `errors`."""

    errors: list[InvalidInput]


# Resumable uploads (api/routes/uploads.py). The limits are S3's: parts of 5 MiB at least (but the last),
# 10,000 parts at most; FileAPI holds one part in memory per request, so it caps their size too.
MiB = 1024**2
MIN_PART_SIZE = 5 * MiB
MAX_PART_SIZE = 64 * MiB
DEFAULT_PART_SIZE = 16 * MiB
MAX_PARTS = 10_000
PartNumber = Annotated[int, Field(ge=1, le=MAX_PARTS)]


class UploadSessionIn(BaseModel):
    filename: Annotated[str, Field(max_length=4096, description="cleaned as a one-shot upload's")]
    size: Annotated[int, Field(ge=1, description="bytes; over FILE_API_MAX_UPLOAD_BYTES: 413")]
    content_type: Annotated[str, Field(max_length=255)]
    part_size: Annotated[
        int | None, Field(ge=MIN_PART_SIZE, le=MAX_PART_SIZE, description=f"default {DEFAULT_PART_SIZE}")
    ] = None


class GrantOut(BaseModel):
    upload_id: uuid.UUID
    grant: str = Field(description="send the parts with `Authorization: Bearer <grant>`")
    grant_expires_at: datetime


class UploadSessionOut(GrantOut):
    short_name: str
    filename: str
    size: int
    part_size: int
    part_count: int = Field(description="parts 1..part_count: each part_size bytes, the last the rest")


class PartOut(BaseModel):
    part_number: int
    etag: str = Field(description="S3's ETag of the part, quoted (also the answer's ETag header)")
    size: int


class PartList(BaseModel):
    parts: list[PartOut]


class CompletedPartIn(BaseModel):
    part_number: PartNumber
    etag: Annotated[str, Field(max_length=1024)]


class CompleteUploadIn(BaseModel):
    parts: Annotated[list[CompletedPartIn], Field(max_length=MAX_PARTS)]
