"""A choice shown outside a dialog (the check-in rhythm's offer and its pickers) may be typed as
well as tapped: a button's own words, as the person sees them, act as pressing it, and where the
choice is a time of day, so does any time typed alone. The next typed text is for the choice
(service.awaiting): anything else ends the wait and goes its way. While the choice is shown, an
open dialog's question is not: typed text never answers a question asked before the choice."""

from __future__ import annotations

from service.awaiting import Dispatch, wait_for
from service.inputs import EditIn, Incoming, PressIn, TextIn
from service.messages import OutMessage, Response
from service.schedule.typed import parse_time
from service.turn import Turn
from storage.vocabulary import JSONObject

WAITING = "button_words"


def _words(text: str) -> str:
    """Typed words as compared with a label: case, spacing and a closing full stop ignored."""
    return " ".join(text.casefold().split()).rstrip(".!")


async def offer(turn: Turn, message: OutMessage, at: str | None = None) -> OutMessage:
    """Show `message`; until the next input, typing one of its buttons' labels presses it, and
    with `at` (a press's data to which the time's HHMM is added) so does a typed time of day."""
    choices: JSONObject = {_words(b.label): b.data for row in message.buttons for b in row}
    awaiting: JSONObject = {"for": WAITING, "choices": choices}
    if at is not None:
        awaiting["at"] = at
    await wait_for(turn, awaiting if choices else None)
    await turn.hide_question()  # "18:00" meant for this choice must not answer the dialog's
    return message


async def while_offered(turn: Turn, awaiting: JSONObject, incoming: Incoming,
                        dispatch: Dispatch) -> Response:
    """A typed label is its button's press; anything else goes its usual way (an edit of an
    earlier message leaves the choice on offer)."""
    if isinstance(incoming, EditIn):
        return await dispatch(incoming, True)
    await wait_for(turn, None)
    choices = awaiting.get("choices")
    if isinstance(incoming, TextIn) and isinstance(choices, dict):
        data = choices.get(_words(incoming.text))
        if isinstance(data, str):
            return await dispatch(PressIn(data), True)
    at, typed = awaiting.get("at"), None
    if isinstance(incoming, TextIn) and isinstance(at, str):
        typed = parse_time(incoming.text)
    if typed is not None:
        return await dispatch(PressIn(f"{at}{typed.strftime('%H%M')}"), True)
    return await dispatch(incoming, True)
