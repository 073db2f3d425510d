"""scheduled items found by person, status and time: a person's pending items are read among
their own rows (SQLite, which keeps no statistics here, read them through the index by status:
every pending item of everyone, 10 ms a call with 100,000 people)

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_scheduled_items_user_status_due", "scheduled_items",
                    ["user_id", "status", "due_at"])
    op.drop_index("ix_scheduled_items_user_kind", table_name="scheduled_items")


def downgrade() -> None:
    op.create_index("ix_scheduled_items_user_kind", "scheduled_items", ["user_id", "kind"])
    op.drop_index("ix_scheduled_items_user_status_due", table_name="scheduled_items")
