"""A pairing from either side: who someone's mentor or mentees are, ending it (with a
confirmation; both are told), and what the other person hears when one of them deletes their data.

Ending sets the status to ended: every mentor-side read (storage.shared) returns nothing from then
on. The button data names the pairing; a press counts only for one's own open pairing. However a
pairing ends (either of them, a deletion, a coordinator), both people's command menus follow:
the one who ended it with their reply, the other with what they are told. So do both people's
plans that follow the pairing's end (`ends_follow`): the mentee's ending reminders count from their
own agreement's date again, or stop; the mentor's reflection for it is gone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from service import callbacks
from service.commands import Scope
from service.mentors import own_checkin
from service.mentors.scopes import menu_of
from service.messages import Delivery, OutMessage, Response, button
from service.names import mentee_name, mentee_names
from service.render import Renderer
from service.schedule import ending
from service.schedule.kinds import PersonKind
from service.schedule.plan import replan
from service.turn import Turn
from storage.pairings import (
    PairingRecord,
    pairing_of_mentee,
    pairing_of_mentor,
    pairings_of_mentor,
    set_pairing_status,
)
from storage.schedule import ItemRecord
from storage.users import UserRecord, first_name, user_by_id
from storage.vocabulary import PairingStatus


@dataclass(frozen=True)
class Side:
    """One open pairing as one of its two people sees it: the other person, whether the one
    looking is the mentor, and the other person as texts name them to the one looking
    (service.names: None without a name, and the text says "your mentor")."""

    pairing: PairingRecord
    other: UserRecord
    as_mentor: bool
    name: str | None


async def mentor_of(turn: Turn) -> UserRecord | None:
    """The person's mentor, while a pairing of theirs is open."""
    pairing = await pairing_of_mentee(turn.session, turn.user.id)
    return None if pairing is None else await user_by_id(turn.session, pairing.mentor_id)


async def own_side(turn: Turn, pairing_id: int) -> Side | None:
    """The open pairing with this id if the person is in it (as mentor or as mentee); else None
    (a forged or stale id, someone else's pairing, an ended one)."""
    pairing = await pairing_of_mentor(turn.session, turn.user.id, pairing_id)
    as_mentor = pairing is not None
    if pairing is None:
        pairing = await pairing_of_mentee(turn.session, turn.user.id)
        if pairing is None or pairing.id != pairing_id:
            return None
    other = await user_by_id(turn.session, pairing.mentee_id if as_mentor else pairing.mentor_id)
    if other is None:
        return None
    name = (await mentee_name(turn.session, turn.say, turn.user.id, pairing.id) if as_mentor
            else first_name(other.name))
    return Side(pairing, other, as_mentor, name)


async def open_sides(turn: Turn) -> list[Side]:
    """Every open pairing the person is in: their mentor's first, then their mentees."""
    sides: list[Side] = []
    own = await pairing_of_mentee(turn.session, turn.user.id)
    if own is not None:
        mentor = await user_by_id(turn.session, own.mentor_id)
        if mentor is not None:
            sides.append(Side(own, mentor, False, first_name(mentor.name)))
    mentees = await pairings_of_mentor(turn.session, turn.user.id)
    names = await mentee_names(turn.session, turn.say, turn.user.id, mentees)
    sides += [Side(pairing, mentee, True, names[pairing.id]) for pairing, mentee in mentees]
    return sides


async def name_to_other(turn: Turn, side: Side) -> str | None:
    """The person as the other one of `side` names them (a mentor with several mentees: maybe
    "Mentee 2"), for telling them the pairing ended: read while it is still open."""
    if side.as_mentor:
        return first_name(turn.user.name)
    say = Renderer(turn.content.catalog, side.other.language).text
    return await mentee_name(turn.session, say, side.other.id, side.pairing.id)


async def settings_part(turn: Turn) -> tuple[OutMessage, ...]:
    """For /settings: their mentor and their mentees, each with a button to end the pairing."""
    sides = await open_sides(turn)
    lines: list[str] = []
    mentor = next((side for side in sides if not side.as_mentor), None)
    if mentor is not None:
        lines.append(turn.say("mentors.pairing.your_mentor", mentor=mentor.name,
                              since=mentor.pairing.started_on.isoformat()))
    mentees = [side for side in sides if side.as_mentor]
    if mentees:
        lines.append(turn.say("mentors.pairing.your_mentees", mentees=[
            {"name": side.name, "since": side.pairing.started_on.isoformat()} for side in mentees]))
    elif Scope.MENTOR in turn.scopes:
        lines.append(turn.say("mentors.pairing.no_mentees"))
    if not lines:
        return ()
    rows = tuple((button(turn.say("mentors.pairing.end_button", name=side.name,
                                  as_mentor=side.as_mentor),
                         callbacks.end_pairing_data(side.pairing.id)),) for side in sides)
    return (OutMessage("\n\n".join(lines), rows),)


async def end_pairing_offer(turn: Turn, pairing_id: int) -> Response:
    """Ask before ending one's own open pairing (from /settings, or the mentor's mentee list)."""
    side = await own_side(turn, pairing_id)
    if side is None:
        return turn.stale_press()
    say = turn.say
    question = OutMessage(say("mentors.pairing.end_confirm", name=side.name,
                              as_mentor=side.as_mentor), ((
        button(say("mentors.pairing.end_yes"), callbacks.end_pairing_data(pairing_id, True)),
        button(say("mentors.pairing.end_no"), callbacks.end_pairing_data(pairing_id, False))),))
    return Response((question,))


async def on_end_press(turn: Turn, press: callbacks.EndPairingPress) -> Response:
    """A press about ending a pairing: ask, end it (both are told), or keep it."""
    if press.confirmed is None:
        return await end_pairing_offer(turn, press.pairing_id)
    side = await own_side(turn, press.pairing_id)
    if side is None:
        return turn.stale_press()
    if not press.confirmed:
        return turn.message("mentors.pairing.kept")
    me = await name_to_other(turn, side)
    await set_pairing_status(turn.session, side.pairing.id, PairingStatus.ENDED, turn.now)
    if not side.as_mentor:
        turn.paired_as_mentee = False
    await ends_follow(turn, (turn.user, side.other))
    told = await _told(turn, side.other, "mentors.pairing.ended_other", me,
                       as_mentor=not side.as_mentor)
    return Response((OutMessage(turn.say("mentors.pairing.ended_you", name=side.name,
                                         as_mentor=side.as_mentor)),),
                    deliveries=told, menu=await menu_of(turn, turn.user))


#: What a pairing's end plans: the mentee's ending reminders, the mentor's reflection.
_END_KINDS = ending.KINDS | {own_checkin.REFLECTION}


async def ends_follow(turn: Turn, people: Iterable[UserRecord]) -> None:
    """A pairing of these people ended in this turn: what each has planned from its end follows
    now, not at the other person's next turn, days away maybe. (A coordinator's `unpair` has no
    turn: the notes it queues replan both people when the bot sends them.)"""
    registry = turn.content.schedule
    chosen = [planner for planner in registry.planners if planner.kinds & _END_KINDS]
    for person in people:
        theirs = turn if person.id == turn.user.id else Turn(turn.content, turn.session, person,
                                                              turn.now)
        await replan(theirs, registry, chosen)


async def farewells(turn: Turn, sides: list[Side], names: list[str | None]
                    ) -> tuple[Delivery, ...]:
    """Once someone's data is erased (their pairings with it): everyone who was paired with them
    (`sides`, read before, and what each called them: `name_to_other`) hears they are no longer
    paired, and their menu follows."""
    told: list[Delivery] = []
    for side, name in zip(sides, names, strict=True):
        told += await _told(turn, side.other, "mentors.pairing.gone", name,
                            as_mentor=not side.as_mentor)
    return tuple(told)


async def _told(turn: Turn, person: UserRecord, key: str, name: str | None,
                as_mentor: bool) -> tuple[Delivery, ...]:
    """A text for the other person of a pairing, in their language, with the command menu they
    should have now (nothing if unreachable)."""
    if not person.active:
        return ()
    text = Renderer(turn.content.catalog, person.language).text(key, name=name,
                                                                as_mentor=as_mentor)
    return (Delivery(person.telegram_id, (OutMessage(text),), await menu_of(turn, person)),)


def menu_follows(kind: PersonKind) -> PersonKind:
    """The kind, with the person's command menu following what it sends: for a pairing a
    coordinator made or ended (its note comes as a scheduled item, in the person's turn)."""

    async def due(turn: Turn, item: ItemRecord) -> Response | None:
        response = await kind.due(turn, item)
        if response is None or not response.messages:
            return response
        return replace(response, menu=await menu_of(turn, turn.user))

    return replace(kind, due=due)
