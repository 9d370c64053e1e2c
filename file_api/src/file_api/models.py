"""Database model: one row per file whose bytes are fully stored in the bucket, and one per resumable
upload still receiving its parts."""

import uuid
from datetime import datetime

import shortuuid
from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Integer, String, func
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
    # Hex SHA-256 of the whole file. NULL for a resumable upload: its parts arrive at different requests
    # (and instances) and nobody sees the whole file; S3 verified each part's SHA-256 instead.
    sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )


class UploadSession(Base):
    """A resumable upload: an S3 multipart upload whose parts the browser sends one request each.

    Deleted when the upload is completed (in the transaction that writes its StoredFile, which takes the
    session's id and short_name) or aborted; reconcile aborts the ones left open too long."""

    __tablename__ = "upload_session"
    __table_args__ = (
        CheckConstraint("size > 0", name="upload_session_size_positive"),
        CheckConstraint("part_size > 0", name="upload_session_part_size_positive"),
    )
    __mapper_args__ = {"eager_defaults": True}  # SQLAlchemy reads a plain dict

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # The object's key once completed, made like a one-shot upload's.
    short_name: Mapped[str] = mapped_column(String(32), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    part_size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(255))
    # S3 chooses it; AWS's are about 150 characters, SeaweedFS's 73.
    s3_upload_id: Mapped[str] = mapped_column(String(1024))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )


class UploadedPart(Base):
    """The SHA-256 FileAPI computed of a part S3 accepted, under the ETag S3 answered for it.

    CompleteMultipartUpload of an upload created with ChecksumAlgorithm=SHA256 must name each part's
    checksum, and SeaweedFS's ListParts does not return them (AWS's and MinIO's do): they are kept here.
    The ETag tells whether the part S3 now holds is still the one this checksum is of."""

    __tablename__ = "uploaded_part"

    upload_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("upload_session.id", ondelete="CASCADE"), primary_key=True
    )
    part_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    etag: Mapped[str] = mapped_column(String(1024))
    checksum_sha256: Mapped[str] = mapped_column(String(44))  # base64 of 32 bytes
