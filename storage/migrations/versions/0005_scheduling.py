"""scheduling: rules (schedules), their occurrences (scheduled_items), pause and quiet hours

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN (never a copy of `users`: dropping it would cascade).
    op.add_column("users", sa.Column("paused_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column("users", sa.Column("quiet_hours", sa.String(16), nullable=True))
    op.create_table(
        "schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("rule", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_schedules_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedules")),
        sa.UniqueConstraint("user_id", "kind", name="uq_schedules_user_kind"),
    )
    op.create_table(
        "scheduled_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(160), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_scheduled_items_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_items")),
        sa.UniqueConstraint("key", name=op.f("uq_scheduled_items_key")),
    )
    op.create_index("ix_scheduled_items_status_due", "scheduled_items", ["status", "due_at"])
    op.create_index("ix_scheduled_items_user_kind", "scheduled_items", ["user_id", "kind"])


def downgrade() -> None:
    op.drop_index("ix_scheduled_items_user_kind", table_name="scheduled_items")
    op.drop_index("ix_scheduled_items_status_due", table_name="scheduled_items")
    op.drop_table("scheduled_items")
    op.drop_table("schedules")
    op.drop_column("users", "quiet_hours")  # in place: a batch copy of users would cascade-delete
    op.drop_column("users", "paused_until")
