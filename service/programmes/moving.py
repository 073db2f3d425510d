"""A member moved from their programme to another by its team (`coachbot programme move NAME
--user-id N`): they keep their side and everything of theirs; the new programme's defaults flow in
as on joining (service.programmes.joining.take_defaults), and its open broadcasts replace the old
one's when their items are planned anew. Someone with an open pairing in their programme is not
moved: the pairing is ended first (`coachbot unpair`), so nobody keeps a mentor of another
programme by accident.

The command line has no running bot: the member's note ("the programme team moved you") is a
scheduled item of the kind "moved", due now, sent by the dispatcher in their turn, as pairing
introductions are (service.programmes.pairs). If the new programme's language replaced theirs,
the note says so and offers theirs back, as joining through a link does
(service.programmes.joining.language_offer)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from service.messages import OutMessage, Response
from service.programmes.joining import switch_back, take_defaults
from service.programmes.pairs import who
from service.schedule.kinds import PersonKind
from service.turn import Turn
from storage.pairings import pairing_of_mentee, pairings_of_mentor
from storage.programmes import ProgrammeRecord, programme_by_id
from storage.schedule import ItemRecord, NewItem, add_items
from storage.users import UserRecord
from storage.vocabulary import JSONObject, Role

KIND = "moved"


class MoveError(ValueError):
    """Why a member cannot be moved (one line for the operator)."""


@dataclass(frozen=True)
class Moved:
    """Who was moved, from which programme to which."""

    user: UserRecord
    left: str
    joined: str


async def move(turn: Turn, programme: ProgrammeRecord) -> Moved:
    """Move the turn's person into the programme on their side, with its defaults, and queue
    their note; MoveError (nothing changed) if they are in it already, in no programme, or
    paired in their own."""
    user = turn.user
    if user.programme_id == programme.id:
        raise MoveError(f"{who(user)} is already a member of {programme.name}")
    current = None if user.programme_id is None else await programme_by_id(turn.session,
                                                                            user.programme_id)
    if current is None:
        raise MoveError(f"{who(user)} is not a member of any programme: send them an invite "
                        f"(coachbot invite --programme {shlex.quote(programme.name)} --role ...)")
    await _refuse_open_pairings(turn, current)
    await take_defaults(turn, programme, {}, mentee=user.role is Role.MENTEE,
                        mentor=user.role is Role.MENTOR or user.mentors)
    if user.active:
        payload: JSONObject = {"programme": programme.name, "as_mentor": user.role is Role.MENTOR}
        if turn.user.language != user.language:  # the programme's replaced theirs: say so
            payload["language"], payload["language_was"] = turn.user.language, user.language
        await add_items(turn.session, [NewItem(
            f"{KIND}:{user.id}:{current.id}:{programme.id}:{turn.now.isoformat()}", KIND, user.id,
            turn.now, payload)], turn.now)
    return Moved(turn.user, current.name, programme.name)


async def _refuse_open_pairings(turn: Turn, current: ProgrammeRecord) -> None:
    """MoveError naming the `coachbot unpair` to run for each open pairing in their programme."""
    user = turn.user
    mentees = [mentee.telegram_id for pairing, mentee in
               await pairings_of_mentor(turn.session, user.id)
               if pairing.programme_id == current.id]
    own = await pairing_of_mentee(turn.session, user.id)
    if own is not None and own.programme_id == current.id:
        mentees.insert(0, user.telegram_id)
    if not mentees:
        return
    name = shlex.quote(current.name)
    runs = "; ".join(f"coachbot unpair --programme {name} --mentee {mentee}" for mentee in mentees)
    pairings = "an open pairing" if len(mentees) == 1 else f"{len(mentees)} open pairings"
    raise MoveError(f"{who(user)} has {pairings} in {current.name}: end "
                    f"{'it' if len(mentees) == 1 else 'them'} first with {runs}")


async def due(turn: Turn, item: ItemRecord) -> Response | None:
    """The note, in the person's language (the new programme's, if they never chose one); if the
    move changed their language and it is still the programme's, the note says so, and the join
    flow's line in their former language offers it back (its words typed too, unless a dialog or
    another question waits for their text)."""
    payload = item.payload
    was, language = payload.get("language_was"), payload.get("language")
    back = await switch_back(turn, was if isinstance(was, str) else None,
                             language if isinstance(language, str) else None,
                             typed=turn.open_run is None and turn.user.awaiting is None)
    note = OutMessage(turn.say("programme_admin.moved", programme=payload.get("programme"),
                               as_mentor=bool(payload.get("as_mentor")), switched=bool(back)))
    return Response((note, *back))


def kinds() -> tuple[PersonKind, ...]:
    """Sent even in a pause: it is about their membership, not a check-in. Their plans were made
    anew when they were moved."""
    return (PersonKind(KIND, due, in_pause=True),)
