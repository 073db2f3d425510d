"""a planned meeting keeps the zone it was agreed in (rule "zone"), so a mentee who changes zone
keeps the meeting at the same instant: the meetings planned so far get their person's zone (none
for someone who never chose one, kept as "UTC": theirs is read in whatever zone they choose)

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_SCHEDULES = sa.table("schedules", sa.column("id", sa.Integer), sa.column("user_id", sa.Integer),
                      sa.column("kind", sa.String), sa.column("rule", sa.JSON))
_USERS = sa.table("users", sa.column("id", sa.Integer), sa.column("timezone", sa.String))


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_SCHEDULES.c.id, _SCHEDULES.c.rule, _USERS.c.timezone)
        .join(_USERS, _USERS.c.id == _SCHEDULES.c.user_id)
        .where(_SCHEDULES.c.kind == "meeting", _USERS.c.timezone != "UTC")).all()
    for row in rows:
        if isinstance(row.rule, dict) and "zone" not in row.rule:
            connection.execute(sa.update(_SCHEDULES).where(_SCHEDULES.c.id == row.id)
                               .values(rule={**row.rule, "zone": row.timezone}))


def downgrade() -> None:
    pass  # the zone is a key older code does not read
