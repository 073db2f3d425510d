"""The mentor's own check-in (capacity, how the relationship feels, a comment; every other Friday
at 15:00 by default, while they have a mentee) and `mentor_reflection` a week before each
pairing's planned end, as the reflection comes to the mentee. Both are the mentor's alone: their
answers are private and `storage.shared` never returns a mentor's dialogs.

The invitation has Start and Skip (`sc:<item>:start|skip`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from service import runs
from service.callbacks import item_data
from service.mentors.rules import CHECKIN, OFF, is_mentor, rhythm_of
from service.messages import OutMessage, Response, button
from service.schedule.kinds import PersonKind, Planner
from service.schedule.placing import occurrences, placed_for
from service.schedule.policy import SchedulePolicy
from service.schedule.rhythm import wall_to_utc, zone_info
from service.turn import Turn
from storage.pairings import PairingRecord, pairing_of_mentor, pairings_of_mentor
from storage.schedule import ItemRecord, NewItem, cancel_pending, pending_items, set_rule
from storage.users import UserRecord, first_name
from storage.vocabulary import ItemStatus, JSONObject

KIND = CHECKIN  # the rule's kind, its invitations' and the dialog's name
REFLECTION = "mentor_reflection"
BEFORE_END = timedelta(days=7)
REFLECTION_AT = time(10, 0)


async def checkin_items(session: AsyncSession, mentor: UserRecord,
                        rules: Mapping[str, JSONObject], policy: SchedulePolicy,
                        now: datetime) -> list[NewItem]:
    """The mentor's next own check-in while they have a mentee (the default rule made the first
    time)."""
    if not is_mentor(mentor) or not await pairings_of_mentor(session, mentor.id):
        return []
    rhythm = rhythm_of(rules, KIND)
    if KIND not in rules:
        await set_rule(session, mentor.id, KIND, rhythm.to_json() if rhythm else OFF, now)
    if rhythm is None:
        return []
    pending = [item.key for item in await pending_items(session, mentor.id, [KIND])]
    return await occurrences(session, KIND, rhythm, mentor, policy, now, pending)


def _reflection_prefix(mentor_id: int, pairing_id: int) -> str:
    return f"{REFLECTION}:{mentor_id}:{pairing_id}:"


def reflection_item(mentor: UserRecord, pairing: PairingRecord, policy: SchedulePolicy,
                    now: datetime) -> NewItem | None:
    """A week before the pairing's planned end, at 10:00 the mentor's time (if still ahead)."""
    if pairing.ends_on is None:
        return None
    day = pairing.ends_on - BEFORE_END
    due = placed_for(mentor, policy, wall_to_utc(day, REFLECTION_AT, zone_info(mentor.timezone)))
    if due <= now:
        return None
    return NewItem(f"{_reflection_prefix(mentor.id, pairing.id)}{pairing.ends_on.isoformat()}",
                   REFLECTION, mentor.id, due,
                   {"pairing": pairing.id, "ends": pairing.ends_on.isoformat()})


async def cancel_moved_reflection(session: AsyncSession, mentor_id: int, pairing: PairingRecord,
                                  now: datetime) -> None:
    """The mentee's agreement moved the end (or opened it): the mentor's pending reflection for
    the old date is cancelled, so their schedule shows the one for the new date only."""
    ends = pairing.ends_on
    keep = [] if ends is None else [f"{_reflection_prefix(mentor_id, pairing.id)}{ends.isoformat()}"]
    await cancel_pending(session, mentor_id, now, kinds=[REFLECTION], keep=keep,
                         key_prefix=_reflection_prefix(mentor_id, pairing.id))


async def plan_checkin(turn: Turn, rules: Mapping[str, JSONObject]) -> Iterable[NewItem]:
    """The mentor's next own check-in."""
    return await checkin_items(turn.session, turn.user, rules, turn.content.policy, turn.now)


async def plan_reflection(turn: Turn, _rules: Mapping[str, JSONObject]) -> Iterable[NewItem]:
    """The mentor's reflection for each pairing with a planned end."""
    if not is_mentor(turn.user):
        return []
    items = [reflection_item(turn.user, pairing, turn.content.policy, turn.now)
             for pairing, _ in await pairings_of_mentor(turn.session, turn.user.id)]
    return [item for item in items if item is not None]


def _invitation(turn: Turn, item: ItemRecord, key: str, **variables: object) -> Response:
    row = (button(turn.say("mentor_checkins.buttons.start"), item_data(item.id, "start")),
           button(turn.say("mentor_checkins.buttons.skip"), item_data(item.id, "skip")))
    return Response((OutMessage(turn.say(key, name=first_name(turn.user.name), **variables),
                                (row,)),))


async def invite(turn: Turn, item: ItemRecord) -> Response | None:
    """Time for the mentor's own check-in (none without a mentee)."""
    if not await pairings_of_mentor(turn.session, turn.user.id):
        return None
    return _invitation(turn, item, "mentor_checkins.invite")


async def invite_reflection(turn: Turn, item: ItemRecord) -> Response | None:
    """A week before the end: the mentor's reflection (none if the pairing ended or its end
    moved)."""
    ref = item.payload.get("pairing")
    pairing = await pairing_of_mentor(turn.session, turn.user.id, ref) \
        if isinstance(ref, int) else None
    if pairing is None or pairing.ends_on is None \
            or pairing.ends_on.isoformat() != item.payload.get("ends"):
        return None
    return _invitation(turn, item, "mentor_checkins.reflection",
                       ends=pairing.ends_on.isoformat())


async def press(turn: Turn, item: ItemRecord, op: str) -> Response:
    """Start the dialog, or let this one go."""
    if item.user_id != turn.user.id or item.status is not ItemStatus.SENT \
            or op not in ("start", "skip"):
        return turn.stale_press()
    if op == "skip":
        return turn.message("mentor_checkins.skipped")
    return await runs.start_dialog(turn, REFLECTION if item.kind == REFLECTION else KIND,
                                   invited=True)


def kinds() -> tuple[PersonKind | Planner, ...]:
    """The mentor's own check-in and reflection, and their planners."""
    return (PersonKind(KIND, invite, press=press),
            PersonKind(REFLECTION, invite_reflection, press=press),
            Planner(frozenset({KIND}), plan_checkin),
            Planner(frozenset({REFLECTION}), plan_reflection))

