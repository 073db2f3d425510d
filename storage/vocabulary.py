"""The values the data model's columns take: status, visibility and role, and JSON documents.

The enums are StrEnums, so they compare equal to the strings stored in the database and in older
rows, and bind as those strings.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeAlias

JSONValue: TypeAlias = str | int | float | bool | list["JSONValue"] | dict[str, "JSONValue"] | None
"""What a JSON column holds: an answer's value, and the parts of a run's state or a goal's details."""

JSONObject: TypeAlias = dict[str, JSONValue]
"""A JSON object: a run's engine state, a goal's details."""


class RunStatus(StrEnum):
    """Where a dialog run stands; at most one run per user is ACTIVE."""

    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        """The run can still be continued."""
        return self in (RunStatus.ACTIVE, RunStatus.PAUSED)


class GoalStatus(StrEnum):
    """A goal is open until the mentee marks it achieved or lets it go; looking back at the end,
    they may find it partly reached (the column is a plain string: no migration for a new value)."""

    OPEN = "open"
    PARTLY = "partly"
    ACHIEVED = "achieved"
    DROPPED = "dropped"


class ActionStatus(StrEnum):
    """An action step's progress, as the check-in records it."""

    OPEN = "open"
    PARTLY = "partly"
    DONE = "done"
    DROPPED = "dropped"


class Visibility(StrEnum):
    """Who may read an answer or goal besides its author."""

    PRIVATE = "private"
    SHARED = "shared"


class Role(StrEnum):
    """What a person is to the programme; coordinators are people with rights, not a role."""

    MENTEE = "mentee"
    MENTOR = "mentor"


class ItemStatus(StrEnum):
    """Where a scheduled item stands. PENDING until a dispatcher CLAIMS it; then SENT, or SKIPPED
    (nothing to say any more, or the person said "skip"), MISSED (its moment passed: downtime beyond
    the grace window, or a check-in nobody started), CANCELLED (its rule changed, a pause, the
    person blocked the bot), FAILED (sending kept failing)."""

    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    SKIPPED = "skipped"
    MISSED = "missed"
    CANCELLED = "cancelled"
    FAILED = "failed"


class PairingStatus(StrEnum):
    """A pairing is ACTIVE, PAUSED by either side, or ENDED (the mentor's access ends with it)."""

    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"
