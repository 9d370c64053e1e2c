"""What the API answers, as pydantic models (and so as the OpenAPI schema)."""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel


class FileOut(BaseModel):
    id: uuid.UUID
    short_name: str
    filename: str
    size: int
    content_type: str
    sha256: str
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
