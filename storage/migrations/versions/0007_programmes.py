"""programmes: programmes, coordinators, broadcasts, pulses; members, pairings and invites point
to their programme

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "programmes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("defaults", sa.JSON(), nullable=False),
        sa.Column("safety", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programmes")),
        sa.UniqueConstraint("name", name=op.f("uq_programmes_name")),
    )
    op.create_table(
        "coordinators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["programme_id"], ["programmes.id"], ondelete="CASCADE",
                                name=op.f("fk_coordinators_programme_id_programmes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coordinators")),
        sa.UniqueConstraint("programme_id", "telegram_id", name="uq_coordinators_programme_person"),
    )
    op.create_index(op.f("ix_coordinators_telegram_id"), "coordinators", ["telegram_id"])
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("dialog", sa.String(40), nullable=False),
        sa.Column("local_at", sa.DateTime(timezone=False), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["programme_id"], ["programmes.id"], ondelete="CASCADE",
                                name=op.f("fk_broadcasts_programme_id_programmes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
    )
    op.create_index(op.f("ix_broadcasts_programme_id"), "broadcasts", ["programme_id"])
    op.create_table(
        "pulses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pairing_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(16), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["pairing_id"], ["pairings.id"], ondelete="CASCADE",
                                name=op.f("fk_pulses_pairing_id_pairings")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_pulses_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pulses")),
    )
    op.create_index("ix_pulses_pairing", "pulses", ["pairing_id", "created_at"])
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a constraint only by copying the table, and dropping the old `users` would
        # cascade-delete every run, answer and goal: the column comes with its REFERENCES inline,
        # and the two older columns stay plain integers there (PostgreSQL gets all three).
        op.execute("ALTER TABLE users ADD COLUMN programme_id INTEGER "
                   "REFERENCES programmes (id) ON DELETE SET NULL")
        return
    op.add_column("users", sa.Column("programme_id", sa.Integer(), nullable=True))
    for table in ("users", "pairings", "invites"):
        op.create_foreign_key(f"fk_{table}_programme_id_programmes", table, "programmes",
                              ["programme_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        for table in ("invites", "pairings", "users"):
            op.drop_constraint(f"fk_{table}_programme_id_programmes", table, type_="foreignkey")
    op.drop_column("users", "programme_id")  # SQLite ≥ 3.35 drops a column in place
    op.drop_index("ix_pulses_pairing", table_name="pulses")
    op.drop_table("pulses")
    op.drop_index(op.f("ix_broadcasts_programme_id"), table_name="broadcasts")
    op.drop_table("broadcasts")
    op.drop_index(op.f("ix_coordinators_telegram_id"), table_name="coordinators")
    op.drop_table("coordinators")
    op.drop_table("programmes")
