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
    detail: str
