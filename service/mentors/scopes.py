"""What a person's commands depend on beyond their user row, loaded where it matters: whether
someone who came in as a mentor has a mentor themselves, whether they coordinate a programme, and
whether a mentee has a mentor now (their menu lists /askmentor only then).

`menu_of` computes anyone's command menu as their own turn would: a pairing that ends changes
the other person's menu too (service.mentors.pairing), not only that of whoever ended it.

A coordinator who has not said which side they are on (the question /start leaves open for them)
is stored as a mentee, but their menu and /help list what fits them (`listed_scopes`): the
coordinator's commands and the account's, not a mentee's journey.
"""

from __future__ import annotations

from collections.abc import Sequence

from service.awaiting import awaited
from service.commands import Scope
from service.messages import MenuChange
from service.turn import Turn
from storage.pairings import mentored_among, pairing_of_mentee
from storage.programmes import coordinates_any
from storage.users import UserRecord
from storage.vocabulary import Role

ROLE = "role"  # what waits (service.awaiting) while a newcomer's side is not chosen


async def load_roles(turn: Turn) -> None:
    """What the user row does not say: whether someone who came in as a mentor has a mentor
    themselves (one indexed query, only for them)."""
    if turn.user.role == Role.MENTOR:
        turn.paired_as_mentee = await pairing_of_mentee(turn.session, turn.user.id) is not None


async def load_roles_many(turns: Sequence[Turn]) -> None:
    """`load_roles` for several turns in one transaction, with one query for all of them."""
    mentors = [turn for turn in turns if turn.user.role == Role.MENTOR]
    if mentors:
        mentored = await mentored_among(mentors[0].session, [turn.user.id for turn in mentors])
        for turn in mentors:
            turn.paired_as_mentee = turn.user.id in mentored


async def load_coordination(turn: Turn) -> None:
    """Whether they coordinate a programme: asked only where it changes the answer (a
    coordinator's command, /help, a menu), so no other input pays the look-up."""
    turn.coordinates = await coordinates_any(turn.session, turn.user.telegram_id)


def asked(turn: Turn) -> bool:
    """The side question (mentee or mentor?) is waiting for its answer."""
    return awaited(turn, ROLE) is not None


def without_side(turn: Turn) -> bool:
    """A coordinator who has not chosen a side: /start's own test (new, or the side question
    still open; coordination loaded)."""
    return Scope.COORDINATOR in turn.scopes and (turn.created or asked(turn))


def listed_scopes(turn: Turn) -> frozenset[Scope]:
    """Whose commands their menu and /help list: a coordinator without a side, the coordinator's
    alone (they may still begin a mentee's dialog: nothing pushes them into a side)."""
    return frozenset({Scope.COORDINATOR}) if without_side(turn) else turn.scopes


async def menu_of(turn: Turn, person: UserRecord) -> MenuChange:
    """The command menu `person` should have now (the turn's own person, or the other one of a
    pairing), in their language, read in this turn's transaction."""
    theirs = Turn(turn.content, turn.session, person, turn.now)
    await load_roles(theirs)
    await load_coordination(theirs)
    mentored = theirs.paired_as_mentee if person.role == Role.MENTOR else \
        await pairing_of_mentee(turn.session, person.id) is not None
    return MenuChange(listed_scopes(theirs), theirs.lang, mentored)
