"""users.pending_edit: the goal step whose new wording or date the person's next message is

Kept on the user row, which every input loads anyway, so no input pays a query to learn that
nothing is pending.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("pending_edit", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("users", "pending_edit")  # in place: a batch copy of users would cascade-delete
