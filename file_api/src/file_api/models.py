"""Database model: one row per file whose bytes are fully stored in the bucket."""

import uuid
from datetime import datetime

import shortuuid
from sqlalchemy import BigInteger, CheckConstraint, DateTime, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# What uploads.py's shortuuid.uuid() returns: a random UUID written in 22 characters of shortuuid's alphabet
# (no 0, 1, I, O or l). Requests naming anything else are refused before any query.
SHORT_NAME_PATTERN = f"^[{shortuuid.get_alphabet()}]{{{shortuuid.ShortUUID().encoded_length()}}}$"


class Base(DeclarativeBase):
    pass


class StoredFile(Base):
    __tablename__ = "stored_file"
    # An empty file is a file: 0 bytes is valid data (Django's storages save it too).
    __table_args__ = (CheckConstraint("size >= 0", name="stored_file_size_not_negative"),)
    # Read created_at back with INSERT ... RETURNING instead of a second query.
    __mapper_args__ = {"eager_defaults": True}  # SQLAlchemy reads a plain dict

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # Public, unguessable id; also the object's key in the bucket, so no client input ever names an object.
    # 32 leaves room for longer names later; today every one matches SHORT_NAME_PATTERN.
    short_name: Mapped[str] = mapped_column(String(32), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    # Films exceed 2 GiB: a 64-bit integer.
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )
