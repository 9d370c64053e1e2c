"""create stored_file

Revision ID: 2daaa675a286
Revises:
Create Date: 2026-11-21 13:06:17.898152
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2daaa675a286"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stored_file",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("short_name", sa.String(length=32), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("size > 0", name="stored_file_size_positive"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("short_name"),
    )
    op.create_index(op.f("ix_stored_file_created_at"), "stored_file", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_stored_file_created_at"), table_name="stored_file")
    op.drop_table("stored_file")
