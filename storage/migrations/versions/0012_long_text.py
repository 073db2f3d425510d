"""users.long_text: when a typed text of theirs was refused as too long, so that the rest of the
same paste (Telegram splits one over 4,096 characters into several messages) is not taken for
an answer

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (in place on SQLite too): nothing was refused as far as the rows know.
    op.add_column("users", sa.Column("long_text", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("users", "long_text")  # in place: a batch copy of users would cascade-delete
