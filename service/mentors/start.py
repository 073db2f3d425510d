"""`/start` and what may follow it: nothing (a newcomer is asked which side they are on; a
coordinator without a side is told what they can do), a side (`/start mentor` adds the mentor
side), or an invite token from a deep link."""

from __future__ import annotations

from dialogs.engine import clean_text
from service import journey
from service.mentors import invites, roles
from service.messages import Response
from service.turn import Turn
from storage.vocabulary import Role


async def start(turn: Turn, args: str) -> Response:
    """/start [mentor|mentee|<token>]."""
    word = clean_text(args)
    if not word:
        # whoever has not answered the role question yet is asked again, not welcomed "back"
        return (await roles.ask_role(turn) if turn.created or roles.asked(turn)
                else await journey.welcome(turn))
    role = roles.role_named(turn, word)
    if role is Role.MENTOR:
        return await roles.become_mentor(turn)
    if role is Role.MENTEE:
        return (await roles.choose_role(turn, Role.MENTEE) if turn.created or roles.asked(turn)
                else await journey.welcome(turn))
    return await invites.redeem(turn, word)
