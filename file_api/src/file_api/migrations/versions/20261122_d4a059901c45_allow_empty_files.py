"""allow empty files: size >= 0

Revision ID: d4a059901c45
Revises: 2daaa675a286
Create Date: 2026-11-22 04:41:08.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "d4a059901c45"
down_revision: str | None = "2daaa675a286"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint("stored_file_size_positive", "stored_file", type_="check")
    op.create_check_constraint("stored_file_size_not_negative", "stored_file", "size >= 0")


def downgrade() -> None:
    # Fails while an empty file is stored: delete those first (they cannot be kept under `size > 0`).
    op.drop_constraint("stored_file_size_not_negative", "stored_file", type_="check")
    op.create_check_constraint("stored_file_size_positive", "stored_file", "size > 0")
