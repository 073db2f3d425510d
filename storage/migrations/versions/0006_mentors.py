"""mentors: pairings, invites (hashed tokens), help requests; users.awaiting and users.mentors

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_NOT_ENDED = sa.text("status != 'ended'")


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN (never a copy of `users`: dropping it would cascade).
    op.add_column("users", sa.Column("awaiting", sa.JSON(), nullable=True))
    op.add_column("users", sa.Column("mentors", sa.Boolean(), server_default=sa.text("false"),
                                     nullable=False))
    op.create_table(
        "pairings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mentor_id", sa.Integer(), nullable=False),
        sa.Column("mentee_id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("rhythm", sa.String(24), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["mentor_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_pairings_mentor_id_users")),
        sa.ForeignKeyConstraint(["mentee_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_pairings_mentee_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pairings")),
    )
    op.create_index("ix_pairings_mentor_status", "pairings", ["mentor_id", "status"])
    op.create_index("uq_pairings_one_per_mentee", "pairings", ["mentee_id"], unique=True,
                    sqlite_where=_NOT_ENDED, postgresql_where=_NOT_ENDED)
    op.create_table(
        "invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column("uses_left", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_invites_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invites")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invites_token_hash")),
    )
    op.create_table(
        "help_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pairing_id", sa.Integer(), nullable=False),
        sa.Column("mentee_id", sa.Integer(), nullable=False),
        sa.Column("mentor_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["pairing_id"], ["pairings.id"], ondelete="CASCADE",
                                name=op.f("fk_help_requests_pairing_id_pairings")),
        sa.ForeignKeyConstraint(["mentee_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_help_requests_mentee_id_users")),
        sa.ForeignKeyConstraint(["mentor_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_help_requests_mentor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_requests")),
    )
    op.create_index("ix_help_requests_pairing_id", "help_requests", ["pairing_id"])


def downgrade() -> None:
    op.drop_index("ix_help_requests_pairing_id", table_name="help_requests")
    op.drop_table("help_requests")
    op.drop_table("invites")
    op.drop_index("uq_pairings_one_per_mentee", table_name="pairings")
    op.drop_index("ix_pairings_mentor_status", table_name="pairings")
    op.drop_table("pairings")
    op.drop_column("users", "mentors")  # in place: a batch copy of users would cascade-delete
    op.drop_column("users", "awaiting")
