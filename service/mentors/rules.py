"""A mentor's own rhythms (the digest's and their own check-in's); their items are planned by
service.schedule.placing.occurrences, as a mentee's check-ins are.

A mentor's rules are created with their defaults the first time they are planned (someone
becomes a mentor, is paired, or uses /digest): the digest weekly on Friday at 16:00 and their own
check-in every other Friday at 15:00, both in the mentor's zone. `{"off": true}` turns one off.
Items for a mentor may be planned in a mentee's turn (the mentee's pairing, meeting and end date
change them), so the helpers here take the mentor's record, not the turn's person.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, time

from service.schedule.rhythm import Rhythm
from storage.users import UserRecord
from storage.vocabulary import JSONObject, Role

DIGEST = "digest"
CHECKIN = "mentor_checkin"
FRIDAY = 4
#: The defaults, made when a mentor's rules are first planned (the anchor: a Friday).
DEFAULTS: Mapping[str, Rhythm] = {
    DIGEST: Rhythm(time(16, 0), frozenset({FRIDAY})),
    CHECKIN: Rhythm(time(15, 0), frozenset({FRIDAY}), 2, date(2026, 1, 2)),
}
OFF: JSONObject = {"off": True}


def is_mentor(user: UserRecord) -> bool:
    """Whether the person works as a mentor (came in as one, or added the side)."""
    return user.role == Role.MENTOR or user.mentors


def rhythm_of(rules: Mapping[str, JSONObject], kind: str) -> Rhythm | None:
    """The rhythm of one of the mentor's rules: the default when there is none, None when it is
    off (or unreadable)."""
    rule = rules.get(kind)
    if rule is None:
        return DEFAULTS[kind]
    if rule.get("off"):
        return None
    try:
        return Rhythm.from_json(rule)
    except ValueError:
        return None


def missing_defaults(rules: Mapping[str, JSONObject]) -> dict[str, JSONObject]:
    """The default rules a mentor does not have yet."""
    return {kind: rhythm.to_json() for kind, rhythm in DEFAULTS.items() if kind not in rules}
