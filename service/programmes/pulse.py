"""The relationship pulse: 30 days after pairing, then every 60 days, each side of a programme
pairing is asked separately how the relationship is going (1-5 buttons), then offered to add a
few words (users.awaiting {"for": "pulse_comment", "pulse": id}). The question says who reads it:
the programme team, as figures, never the other person.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, time, timedelta

from dialogs.engine import clean_text
from service.awaiting import Dispatch, cancels, wait_for
from service.callbacks import item_data
from service.inputs import Incoming, MediaIn, TextIn
from service.messages import OutMessage, Response, button
from service.names import mentee_name
from service.programmes import safety
from service.schedule.kinds import PersonKind, Planner
from service.schedule.placing import placed
from service.schedule.rhythm import wall_to_utc, zone_info
from service.turn import Turn
from storage.pulses import add_pulse, pulse_pairings, set_comment
from storage.schedule import ItemRecord, NewItem, pending_items, set_status
from storage.vocabulary import ItemStatus, JSONObject

KIND = "pulse"
FIRST = timedelta(days=30)
EVERY = timedelta(days=60)
AT = time(17, 0)  # local
SCORES = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
WAITING = "pulse_comment"
COMMENT_LENGTH = 2000



def pulse_days(started_on: date, today: date) -> tuple[date, date]:
    """The pulse day on or before today's series position and the one after it."""
    first = started_on + FIRST
    if today < first:
        return first, first + EVERY
    steps = (today - first).days // EVERY.days
    current = first + EVERY * steps
    return current, current + EVERY


async def plan(turn: Turn, _rules: Mapping[str, JSONObject]) -> Iterable[NewItem]:
    """Each open programme pairing's next pulse for this side (and one just due, while it
    waits to be sent)."""
    pending = {item.key for item in await pending_items(turn.session, turn.user.id, [KIND])}
    zone = zone_info(turn.user.timezone)
    items: list[NewItem] = []
    for pairing in await pulse_pairings(turn.session, turn.user.id):
        for day in pulse_days(pairing.started_on, turn.today):
            moment = placed(turn, wall_to_utc(day, AT, zone))
            key = f"{KIND}:{pairing.pairing_id}:{turn.user.id}:{day.isoformat()}"
            if moment > turn.now or key in pending:
                items.append(NewItem(key, KIND, turn.user.id, moment,
                                     {"pairing": pairing.pairing_id}))
                break
    return items


async def _pairing(turn: Turn, item: ItemRecord) -> tuple[int, str, str | None] | None:
    """The open programme pairing the pulse asks about: its id, this person's side, and the other
    person as their texts name them (service.names: None without a name, "your mentor")."""
    ref = item.payload.get("pairing")
    found = next((p for p in await pulse_pairings(turn.session, turn.user.id)
                  if p.pairing_id == ref), None)
    if found is None:
        return None
    other = (await mentee_name(turn.session, turn.say, turn.user.id, found.pairing_id)
             if found.side == "mentor" else found.other)
    return found.pairing_id, found.side, other


async def ask(turn: Turn, item: ItemRecord) -> Response | None:
    """The question, with 1-5; nothing if the pairing ended meanwhile."""
    found = await _pairing(turn, item)
    if found is None:
        return None
    row = tuple(button(str(score), item_data(item.id, op)) for op, score in SCORES.items())
    return Response((OutMessage(turn.say("programmes.pulse.ask", other=found[2],
                                         as_mentor=found[1] == "mentor"), (row,)),))


async def press(turn: Turn, item: ItemRecord, op: str) -> Response:
    """A score: saved once, then the offer to add a few words."""
    score = SCORES.get(op)
    found = await _pairing(turn, item)
    if score is None or found is None or item.status is not ItemStatus.SENT \
            or item.payload.get("answered"):
        return turn.stale_press()
    pairing_id, side, other = found
    pulse_id = await add_pulse(turn.session, pairing_id, turn.user.id, side, score, turn.now)
    await set_status(turn.session, item.id, ItemStatus.SENT, turn.now,
                     payload={**item.payload, "answered": True}, expect=ItemStatus.SENT)
    await wait_for(turn, {"for": WAITING, "pulse": pulse_id})
    return turn.message("programmes.pulse.comment", other=other, as_mentor=side == "mentor")


async def while_awaiting(turn: Turn, awaiting: JSONObject, incoming: Incoming,
                         dispatch: Dispatch) -> Response:
    """Typed text is the comment (followed by the help contacts if it holds a crisis phrase, as
    an answer would be); /cancel drops it; anything else ends the wait and goes its way."""
    if isinstance(incoming, MediaIn):
        return turn.message("programmes.pulse.text_only")
    await wait_for(turn, None)
    if cancels(incoming):
        return turn.message("programmes.pulse.dropped")
    typed = clean_text(incoming.text) if isinstance(incoming, TextIn) else ""
    if not typed:  # not text, or nothing visible in it: no comment
        return await dispatch(incoming, True)
    pulse_id = awaiting.get("pulse")
    if isinstance(pulse_id, int):
        await set_comment(turn.session, pulse_id, turn.user.id, typed[:COMMENT_LENGTH])
    return await safety.after_typed(turn, turn.message("programmes.pulse.thanks"), typed)


def kinds() -> tuple[PersonKind | Planner, ...]:
    """The pulse question and its planner."""
    return (PersonKind(KIND, ask, press=press), Planner(frozenset({KIND}), plan))
