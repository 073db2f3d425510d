"""A choice shown outside a dialog (the check-in rhythm's offer and its pickers) may be typed as
well as tapped: a button's own words, as the person sees them, act as pressing it, and where the
choice is a time of day, so does any time typed alone. The next typed text is for the choice
(service.awaiting). A picker (how often, which day, what time: the person is setting something up)
asks again, with a hint, after text that is none of its choices; anything else, or other text
after an offer, ends the wait and goes its way. While the choice is shown, an open dialog's question is
not: typed text never answers a question asked before the choice."""

from __future__ import annotations

from dataclasses import replace

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


async def offer(turn: Turn, message: OutMessage, at: str | None = None,
                again: tuple[str, str] | None = None) -> OutMessage:
    """Show `message`; until the next input, typing one of its buttons' labels presses it, and
    with `at` (a press's data to which the time's HHMM is added) so does a typed time of day.
    With `again` (the press's data that shows this picker, and the catalog key of the hint, given
    the typed `text`) other typed text gets the hint and the picker once more."""
    choices: JSONObject = {_words(b.label): b.data for row in message.buttons for b in row}
    awaiting: JSONObject = {"for": WAITING, "choices": choices}
    if at is not None:
        awaiting["at"] = at
    if again is not None:
        awaiting["again"], awaiting["hint"] = again
    await wait_for(turn, awaiting if choices else None)
    await turn.hide_question()  # "18:00" meant for this choice must not answer the dialog's
    return message


async def while_offered(turn: Turn, awaiting: JSONObject, incoming: Incoming,
                        dispatch: Dispatch) -> Response:
    """A typed label is its button's press; other text at a picker asks it again; anything else
    goes its usual way (an edit of an earlier message leaves the choice on offer)."""
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
    again, hint = awaiting.get("again"), awaiting.get("hint")
    if isinstance(incoming, TextIn) and isinstance(again, str) and isinstance(hint, str):
        asked = await dispatch(PressIn(again), True)
        note = OutMessage(turn.say(hint, text=incoming.text.strip()[:64]))
        return replace(asked, messages=(note, *asked.messages))
    return await dispatch(incoming, True)
