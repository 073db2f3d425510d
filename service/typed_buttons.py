"""A choice shown outside a dialog (the check-in rhythm's offer, its pickers and overview, the
digest's, the time zone question) may be typed as well as tapped: a button's own words, as the
person sees them, act as pressing it, and so do their synonyms in any language (catalog word
lists: "wöchentlich", "aus", "stop"); where the choice is a time of day, so does any time typed
alone, and where it is a time zone, any place or zone name (service.timezones). The next typed
text is for the choice (service.awaiting). A picker (the person is setting something up) asks
again, with a hint, after text that is none of its choices, and so do an overview and the tz
question outside a dialog (in one, such text goes back to the dialog's question); anything
else, or other text after an offer, ends the wait and goes its way. While the choice is shown,
an open dialog's question is not: typed text never answers a question asked before the choice.
What cannot be undone is never offered here: it takes a tap (service.awaiting.tap_only). A
dialog question shown after the choice without the person's input (a scheduled dialog began)
ends the wait: typed text answers that question. The choice is kept with the person
(`users.awaiting`), so it outlives a restart; a front-end that greets on its own when it starts
(the terminal) shows it again instead of ending it (`reopened`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from prompts.catalog import spellings
from service.awaiting import Dispatch, wait_for
from service.inputs import CommandIn, EditIn, Incoming, PressIn, TextIn
from service.messages import OutMessage, Response
from service.schedule.typed import parse_time
from service.timezones import zone_named
from service.turn import Turn
from storage.users import first_name
from storage.vocabulary import JSONObject

WAITING = "button_words"


def _unambiguous(tiers: Iterable[Iterable[tuple[str, str]]]) -> dict[str, str]:
    """Press data by typed form, the first tier that has a form deciding it; a form that tier
    gives two presses (two overviews' "Change") presses none."""
    chosen: dict[str, str] = {}
    seen: set[str] = set()
    for tier in tiers:
        found: dict[str, set[str]] = {}
        for form, data in tier:
            found.setdefault(form, set()).add(data)
        chosen.update({form: data.pop() for form, data in found.items()
                       if form not in seen and len(data) == 1})
        seen |= found.keys()
    return chosen


def outside_dialog(turn: Turn, again: tuple[str, str]) -> tuple[str, str] | None:
    """`again` for what is only looked at (an overview, the tz question): while a dialog is
    open, other text goes back to it instead (its question again, "not saved yet"), so an
    answer typed after a look-up mid-dialog is never met by the look-up's hint over and over."""
    return again if turn.open_run is None else None


def zone_data(prefix: str, zone: str) -> str:
    """The press data for a time zone typed at a choice that takes one: `prefix` and the zone's
    name in lower case, "/" written "." (button data's letters; service.timezones.parse_timezone
    reads it back, case and all)."""
    return prefix + zone.lower().replace("/", ".")


async def offer(turn: Turn, message: OutMessage, at: str | None = None,
                again: tuple[str, str] | None = None, words: Sequence[tuple[str, str]] = (),
                zone: str | None = None) -> OutMessage:
    """Show `message` (see `offer_all`)."""
    return (await offer_all(turn, (message,), at, again, words, zone))[0]


async def offer_all(turn: Turn, messages: Sequence[OutMessage], at: str | None = None,
                    again: tuple[str, str] | None = None, words: Sequence[tuple[str, str]] = (),
                    zone: str | None = None) -> tuple[OutMessage, ...]:
    """Show `messages`; until the next input, typing one of their buttons' labels presses it, as
    does a word of the catalog lists in `words` (key → the press it stands for, in every
    language); with `at` (a press's data to which the time's HHMM is added) so does a typed time
    of day, and with `zone` (the same, for a zone: `zone_data`) a typed place or zone name.
    With `again` (the press's data that shows these messages, and the catalog key of the hint,
    given the typed `text`) other typed text gets the hint and the messages once more."""
    catalog = turn.content.catalog
    labels = ((form, b.data) for message in messages for row in message.buttons for b in row
              for form in spellings(b.label))
    synonyms = ((form, data) for key, data in words for lang in catalog.texts
                for word in catalog.raw(lang, key) or [] for form in spellings(str(word)))
    choices: JSONObject = dict(_unambiguous((labels, synonyms)))
    awaiting: JSONObject = {"for": WAITING, "choices": choices}
    if at is not None:
        awaiting["at"] = at
    if zone is not None:
        awaiting["zone"] = zone
    if again is not None:
        awaiting["again"], awaiting["hint"] = again
    await wait_for(turn, awaiting if choices or at or zone or again else None)
    await turn.hide_question()  # "18:00" meant for this choice must not answer the dialog's
    return tuple(messages)


def _pressed(turn: Turn, awaiting: JSONObject, text: str) -> str | None:
    """The press typed `text` stands for at this choice, if any: a button's words, a time of
    day (`at`), a time zone (`zone`)."""
    choices = awaiting.get("choices")
    if isinstance(choices, dict):
        data = next((choices[form] for form in spellings(text) if form in choices), None)
        if isinstance(data, str):
            return data
    at = awaiting.get("at")
    typed = parse_time(text) if isinstance(at, str) else None
    if isinstance(at, str) and typed is not None:
        return f"{at}{typed.strftime('%H%M')}"
    prefix = awaiting.get("zone")
    named = zone_named(text, turn.content.catalog) if isinstance(prefix, str) else None
    return zone_data(prefix, named) if isinstance(prefix, str) and named is not None else None


def _asked_since(turn: Turn) -> bool:
    """A dialog's question was shown after the choice (a scheduled one began, as the reflection
    does on the relationship's last day): the choice hid the question open when it was shown, so
    an open run whose question counts as shown is newer, and typed text is its answer."""
    return turn.open_run is not None and turn.open_run.shown


async def while_offered(turn: Turn, awaiting: JSONObject, incoming: Incoming,
                        dispatch: Dispatch) -> Response:
    """A typed label is its button's press; other text at a picker asks it again; anything else
    goes its usual way (an edit of an earlier message leaves the choice on offer)."""
    if isinstance(incoming, EditIn):
        return await dispatch(incoming, True)
    await wait_for(turn, None)
    if not isinstance(incoming, TextIn) or _asked_since(turn):
        return await dispatch(incoming, True)
    data = _pressed(turn, awaiting, incoming.text)
    if data is not None:
        return await dispatch(PressIn(data), True)
    again, hint = awaiting.get("again"), awaiting.get("hint")
    if isinstance(again, str) and isinstance(hint, str):
        asked = await dispatch(PressIn(again), True)
        note = OutMessage(turn.say(hint, text=incoming.text.strip()[:64]))
        return replace(asked, messages=(note, *asked.messages))
    return await dispatch(incoming, True)


async def reopened(turn: Turn, dispatch: Dispatch) -> Response | None:
    """A front-end's own greeting as it starts again (not the person's /start): while a choice
    stands, the welcome back leaves it standing, and one that can be shown again (`again`, with
    no dialog open) is shown again, freshly offered, so its buttons are the ones on screen and
    their numbers and words press them. None: no choice stands (the usual /start greets)."""
    awaiting = turn.user.awaiting or {}
    if awaiting.get("for") != WAITING:
        return None
    again = awaiting.get("again")
    if turn.open_run is None and isinstance(again, str):
        shown = await dispatch(PressIn(again), False)
        if shown.messages:
            greeting = OutMessage(turn.say("common.service.welcome_back",
                                           name=first_name(turn.user.name)))
            return replace(shown, messages=(greeting, *shown.messages), toast=None)
    return await dispatch(CommandIn("start"), False)  # the wait is not ended: its words press
