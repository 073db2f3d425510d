"""programme indexes: a programme's members and pairings found by index (health figures for a
cohort of 10,000 in well under a second)

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_users_programme_id"), "users", ["programme_id"])
    op.create_index(op.f("ix_pairings_programme_id"), "pairings", ["programme_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_pairings_programme_id"), table_name="pairings")
    op.drop_index(op.f("ix_users_programme_id"), table_name="users")
