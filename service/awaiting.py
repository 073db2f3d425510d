"""What a person's next typed text is for, when something other than a dialog asked for it: a
note for the mentor, a mentor's reply, a pulse's comment, the newcomer's side. It is one JSON
value on the user (`users.awaiting`, `{"for": <what>, ...}`), written and read only here, so two
such questions can never both wait."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

from service.commands import command
from service.inputs import CommandIn, EditIn, Incoming, TextIn
from service.messages import OutMessage, Response
from service.turn import Turn
from storage.users import update_user
from storage.vocabulary import JSONObject

Dispatch = Callable[[Incoming, bool], Awaitable[Response]]
"""The usual way for an input (`remind`: a look-up mid-dialog says the dialog is open)."""

Waiter = Callable[[Turn, JSONObject, Incoming, Dispatch], Awaitable[Response]]
"""What an input means while a question of this kind waits for its answer."""


async def wait_for(turn: Turn, awaiting: JSONObject | None) -> None:
    """From now on the next typed text answers `awaiting` (None: nothing waits)."""
    await update_user(turn.session, turn.user.id, turn.now, awaiting=awaiting)
    turn.became(replace(turn.user, awaiting=awaiting))


def awaited(turn: Turn, *kinds: str) -> JSONObject | None:
    """The waiting question, if it is of one of these kinds."""
    awaiting = turn.user.awaiting or {}
    return awaiting if awaiting.get("for") in kinds else None


def cancels(incoming: Incoming) -> bool:
    """The input is /cancel: it drops the waiting question, not an open dialog."""
    spec = command(incoming.name) if isinstance(incoming, CommandIn) else None
    return spec is not None and spec.name == "cancel"


async def tap_only(turn: Turn, incoming: Incoming, dispatch: Dispatch,
                   ask: Callable[[], Awaitable[Response]], hint: str,
                   keep: Callable[[], Awaitable[Response]]) -> Response:
    """An input at a question only its buttons answer (what cannot be undone takes a deliberate
    tap, never a typed "yes"): typed text gets `hint` and the question again (`ask`); /cancel
    ends it keeping everything (`keep`); anything else ends it and goes its way (an edit of an
    earlier message leaves it asked)."""
    if isinstance(incoming, EditIn):
        return await dispatch(incoming, True)
    if isinstance(incoming, TextIn):
        asked = await ask()
        return replace(asked, messages=(OutMessage(hint), *asked.messages))
    await wait_for(turn, None)
    if cancels(incoming):
        return await keep()
    return await dispatch(incoming, True)
