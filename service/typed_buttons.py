"""A choice shown outside a dialog (the check-in rhythm's offer and its pickers) may be typed as
well as tapped: a button's own words, as the person sees them, act as pressing it. The next typed
text is for the choice (service.awaiting): anything else ends the wait and goes its way."""

from __future__ import annotations

from service.awaiting import Dispatch, wait_for
from service.inputs import EditIn, Incoming, PressIn, TextIn
from service.messages import OutMessage, Response
from service.turn import Turn
from storage.vocabulary import JSONObject

WAITING = "button_words"


def _words(text: str) -> str:
    """Typed words as compared with a label: case, spacing and a closing full stop ignored."""
    return " ".join(text.casefold().split()).rstrip(".!")


async def offer(turn: Turn, message: OutMessage) -> OutMessage:
    """Show `message`; until the next input, typing one of its buttons' labels presses it."""
    choices: JSONObject = {_words(b.label): b.data for row in message.buttons for b in row}
    await wait_for(turn, {"for": WAITING, "choices": choices} if choices else None)
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
    return await dispatch(incoming, True)
