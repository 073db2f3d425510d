"""users.language_chosen: whether a person chose their language themselves, so that joining a
programme applies its language to someone whose language was only Telegram's guess

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (in place on SQLite too): nobody has chosen yet as far as the rows know.
    op.add_column("users", sa.Column("language_chosen", sa.Boolean(), nullable=False,
                                     server_default=sa.false()))


def downgrade() -> None:
    op.drop_column("users", "language_chosen")  # in place: a batch copy of users would cascade-delete
