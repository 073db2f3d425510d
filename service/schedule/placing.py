"""Where a planned moment lands for one person: out of their quiet hours."""

from __future__ import annotations

from datetime import datetime

from service.schedule.rhythm import DEFAULT_QUIET, QuietHours, out_of_quiet
from service.turn import Turn


def placed(turn: Turn, due: datetime) -> datetime:
    """`due` moved to the end of the person's quiet hours (their own, else the policy's) if it
    falls inside them; unchanged otherwise."""
    quiet = QuietHours.parse(turn.user.quiet_hours or turn.content.policy.quiet_hours)
    return out_of_quiet(due, turn.user.timezone, quiet or DEFAULT_QUIET)
