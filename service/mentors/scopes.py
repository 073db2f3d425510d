"""What a person's commands depend on beyond their user row, loaded where it matters: whether
someone who came in as a mentor has a mentor themselves, whether they coordinate a programme, and
whether a mentee has a mentor now (their menu lists /askmentor only then).

`menu_of` computes anyone's command menu as their own turn would: a pairing that ends changes
the other person's menu too (service.mentors.pairing), not only that of whoever ended it.
"""

from __future__ import annotations

from collections.abc import Sequence

from service.messages import MenuChange
from service.turn import Turn
from storage.pairings import mentored_among, pairing_of_mentee
from storage.programmes import coordinates_any
from storage.users import UserRecord
from storage.vocabulary import Role


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


async def menu_of(turn: Turn, person: UserRecord) -> MenuChange:
    """The command menu `person` should have now (the turn's own person, or the other one of a
    pairing), in their language, read in this turn's transaction."""
    theirs = Turn(turn.content, turn.session, person, turn.now)
    await load_roles(theirs)
    await load_coordination(theirs)
    mentored = theirs.paired_as_mentee if person.role == Role.MENTOR else \
        await pairing_of_mentee(turn.session, person.id) is not None
    return theirs.menu_change(mentored)
