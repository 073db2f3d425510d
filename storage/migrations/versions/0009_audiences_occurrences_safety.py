"""audiences, occurrences, safety matches: a broadcast says whom it is for (mentees, mentors or
all) and which recurring rule's occurrence it is; safety matches are counted for rate-limited
coordinator alerts

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (in place on SQLite too); broadcasts made before reached everyone.
    op.add_column("broadcasts", sa.Column("audience", sa.String(16), nullable=False,
                                          server_default="all"))
    op.add_column("broadcasts", sa.Column("rule", sa.String(40), nullable=True))
    op.create_index("uq_broadcasts_occurrence", "broadcasts", ["programme_id", "rule", "local_at"],
                    unique=True)
    op.create_table(
        "safety_matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("matched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("alerted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_safety_matches_user_id_users")),
        sa.ForeignKeyConstraint(["programme_id"], ["programmes.id"], ondelete="CASCADE",
                                name=op.f("fk_safety_matches_programme_id_programmes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_matches")),
    )
    op.create_index("ix_safety_matches_user", "safety_matches", ["user_id", "matched_at"])
    op.create_index("ix_safety_matches_programme", "safety_matches", ["programme_id", "matched_at"])


def downgrade() -> None:
    op.drop_index("ix_safety_matches_programme", table_name="safety_matches")
    op.drop_index("ix_safety_matches_user", table_name="safety_matches")
    op.drop_table("safety_matches")
    op.drop_index("uq_broadcasts_occurrence", table_name="broadcasts")
    op.drop_column("broadcasts", "rule")  # SQLite ≥ 3.35 drops a column in place
    op.drop_column("broadcasts", "audience")
