"""pairings.ends_on follows the mentee's agreement: an open pairing made before the mentee's
agreement named an end kept the programme's length, so the mentor, the programme's figures and the
export said another date than the mentee's own (users.relationship_ends_on). From now on the
agreement changes both (storage.pairings.set_relationship_end); this brings the open pairings
whose dates disagree in line, as storage.pairings.relationship_end decides it: the agreement's
date, unless it lies before the pairing's start.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain SQL, the same on SQLite and PostgreSQL; ended pairings keep the date they had.
    op.execute(
        "UPDATE pairings SET ends_on = (SELECT users.relationship_ends_on FROM users"
        " WHERE users.id = pairings.mentee_id)"
        " WHERE pairings.status <> 'ended' AND EXISTS (SELECT 1 FROM users"
        " WHERE users.id = pairings.mentee_id AND users.relationship_ends_on IS NOT NULL"
        " AND users.relationship_ends_on >= pairings.started_on"
        " AND (pairings.ends_on IS NULL OR pairings.ends_on <> users.relationship_ends_on))")


def downgrade() -> None:
    pass  # the dates the programme's length gave are not kept: the agreement's stay
