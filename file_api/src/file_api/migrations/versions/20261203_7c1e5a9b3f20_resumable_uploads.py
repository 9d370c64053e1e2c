"""resumable uploads: upload_session, uploaded_part; stored_file.sha256 nullable

Revision ID: 7c1e5a9b3f20
Revises: d4a059901c45
Create Date: 2026-12-03 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c1e5a9b3f20"
down_revision: str | None = "d4a059901c45"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "upload_session",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("short_name", sa.String(length=32), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("part_size", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("s3_upload_id", sa.String(length=1024), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("size > 0", name="upload_session_size_positive"),
        sa.CheckConstraint("part_size > 0", name="upload_session_part_size_positive"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("short_name"),
    )
    op.create_index(op.f("ix_upload_session_created_at"), "upload_session", ["created_at"], unique=False)
    op.create_table(
        "uploaded_part",
        sa.Column("upload_id", sa.Uuid(), nullable=False),
        sa.Column("part_number", sa.Integer(), nullable=False),
        sa.Column("etag", sa.String(length=1024), nullable=False),
        sa.Column("checksum_sha256", sa.String(length=44), nullable=False),
        sa.ForeignKeyConstraint(["upload_id"], ["upload_session.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("upload_id", "part_number"),
    )
    op.alter_column("stored_file", "sha256", existing_type=sa.String(length=64), nullable=True)


def downgrade() -> None:
    # Fails while a resumable upload's file is stored (its sha256 is NULL): delete those first.
    op.alter_column("stored_file", "sha256", existing_type=sa.String(length=64), nullable=False)
    op.drop_table("uploaded_part")
    op.drop_index(op.f("ix_upload_session_created_at"), table_name="upload_session")
    op.drop_table("upload_session")
