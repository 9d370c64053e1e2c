"""What the API answers, and the JSON bodies it reads, as pydantic models (and so as the OpenAPI schema)."""

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    ValidationInfo,
    computed_field,
    model_validator,
)

# short_name -> the file's download link: the request's origin and the signing settings make it.
DownloadLink = Callable[[str], str]


# A stored file, validated from its row (models.StoredFile) by `FileOut.of(row, download_link)`. (Comments,
# not docstrings, on response models: a docstring would become the OpenAPI description.)
class FileOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

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
    _url: str = PrivateAttr()

    @classmethod
    def of(cls, row: object, download_link: DownloadLink) -> Self:
        return cls.model_validate(row, context={"download_link": download_link})

    @model_validator(mode="wrap")
    @classmethod
    def _link_to_the_file(
        cls, data: Any, handler: ModelWrapValidatorHandler[Self], info: ValidationInfo
    ) -> Self:
        if isinstance(data, cls):
            return data  # FastAPI checking a route's answer: validated, and linked, already
        # The row does not know its link: `of` passes the function that makes it, as the validation context.
        download_link: DownloadLink = (info.context or {})["download_link"]
        file = handler(data)
        file._url = download_link(file.short_name)
        return file

    @computed_field  # type: ignore[prop-decorator]  # pydantic's documented form
    @property
    def url(self) -> str:
        """The download link, signed (expires, signature) when signing is on."""
        return self._url


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


# A part S3 holds, validated from storage.ListedPart (whose `number` is `part_number` here).
class PartOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    part_number: int = Field(validation_alias=AliasChoices("part_number", "number"))
    etag: str = Field(description="S3's ETag of the part, quoted (also the answer's ETag header)")
    size: int


class PartList(BaseModel):
    parts: list[PartOut]


class CompletedPartIn(BaseModel):
    part_number: PartNumber
    etag: Annotated[str, Field(max_length=1024)]


class CompleteUploadIn(BaseModel):
    parts: Annotated[list[CompletedPartIn], Field(max_length=MAX_PARTS)]
