"""Joining a programme through its invite: the person becomes a member (users.programme_id) on
the invite's side, and the programme's defaults flow in — language and time zone for someone new,
the check-in rule for a mentee and the digest rule for a mentor when they have none of their own
yet. A member can change any of them afterwards (/checkins, /digest, /settings)."""

from __future__ import annotations

from dataclasses import replace

from service.mentors.rules import DIGEST
from service.programmes.defaults import ProgrammeDefaults
from service.schedule import checkins
from service.schedule.plan import replan
from service.turn import Turn
from storage.programmes import ProgrammeRecord
from storage.schedule import rules_of, set_rule
from storage.users import UserChanges, update_user
from storage.vocabulary import Role


async def join(turn: Turn, programme: ProgrammeRecord, role: Role) -> None:
    """Make the person a member of the programme on this side, with its defaults."""
    defaults = ProgrammeDefaults.of(programme.defaults)
    user = turn.user
    changes: UserChanges = {"programme_id": programme.id}
    if role is Role.MENTOR:
        changes["mentors"] = True
    if turn.created:
        changes["role"] = role
        if defaults.language is not None:
            changes["language"] = defaults.language
    if defaults.timezone is not None and (turn.created or user.timezone == checkins.UNSET_ZONE):
        changes["timezone"] = defaults.timezone
    await update_user(turn.session, user.id, turn.now, **changes)
    turn.became(replace(user, **changes))
    rules = await rules_of(turn.session, user.id)
    if role is Role.MENTEE and defaults.checkin is not None and checkins.KIND not in rules:
        await set_rule(turn.session, user.id, checkins.KIND,
                       checkins.soonest(turn, defaults.checkin).to_json(), turn.now)
    if role is Role.MENTOR and defaults.digest is not None and DIGEST not in rules:
        await set_rule(turn.session, user.id, DIGEST, defaults.digest.to_json(), turn.now)
    await replan(turn, turn.content.schedule)
