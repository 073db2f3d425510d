"""dialog_runs.shown: whether the run's current question is the question last shown to its person

Typed text is saved to a run's question only while it is; anything else that asks something
(an offer, another dialog's switch question, /delete) clears it, and showing the question again
sets it. Existing runs count as shown: their question is what their people saw last.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ALTER TABLE ADD COLUMN: SQLite's batch mode would copy the table, and dropping the
    # old one would cascade-delete every answer of every run.
    op.add_column("dialog_runs", sa.Column("shown", sa.Boolean(), server_default=sa.text("true"),
                                           nullable=False))


def downgrade() -> None:
    op.drop_column("dialog_runs", "shown")  # in place: a batch copy of dialog_runs would cascade-delete
