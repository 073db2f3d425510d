"""Help alerts: a mentee's note reaches their mentor at once, and the mentor's one reply reaches
the mentee, both through the bot (neither needs the other's Telegram handle).

`/askmentor <note>` sends it; `/askmentor` alone (or the check-in's button when confidence is low)
asks for the note, and the next typed text is it (`users.awaiting {"for": "help_note"}`). The
mentor's Reply button (`sk:help:reply:<request>`) counts only for an unanswered request addressed
to them in a pairing still open; their next typed text is the reply
(`users.awaiting {"for": "help_reply", "request": id}`). `routing.route` hands every input to
`while_awaiting` while either waits.
"""

from __future__ import annotations

from dataclasses import replace

from dialogs.engine import clean_text
from service import long_text, runs
from service.awaiting import Dispatch, cancels, wait_for
from service.callbacks import scheduling_data
from service.inputs import Incoming, MediaIn, TextIn
from service.mentors.help_button import NOTE, TOPIC
from service.messages import Delivery, OutMessage, Response, button
from service.names import mentee_name
from service.programmes import safety
from service.render import Renderer
from service.schedule.kinds import Choice
from service.turn import Turn
from storage.help import answer_help, ask_help, request_for_mentor
from storage.pairings import pairing_of_mentee
from storage.users import UserRecord, first_name, user_by_id
from storage.vocabulary import JSONObject

REPLY = "help_reply"
MAX_NOTE = 2000  # a longer note or reply is asked for again, shorter (Telegram's message is 4096)



def reply_data(request_id: int) -> str:
    """Data of the mentor's Reply button under a note."""
    return scheduling_data(TOPIC, f"reply:{request_id}")


async def _mentor(turn: Turn) -> tuple[int, UserRecord] | None:
    """The mentee's open pairing's id and their mentor."""
    pairing = await pairing_of_mentee(turn.session, turn.user.id)
    mentor = None if pairing is None else await user_by_id(turn.session, pairing.mentor_id)
    return None if pairing is None or mentor is None else (pairing.id, mentor)


# --- The mentee's side -------------------------------------------------------------------


async def askmentor(turn: Turn, args: str) -> Response:
    """`/askmentor <note>` sends the note; `/askmentor` alone asks for it."""
    note = clean_text(args)  # only invisible characters: nothing typed, as in a dialog
    if note:
        return await send_note(turn, note)
    return await ask_note(turn)


async def ask_note(turn: Turn) -> Response:
    """What would they like to tell their mentor? (Unpaired: there is no one to ask yet.)"""
    found = await _mentor(turn)
    if found is None:
        return turn.message("alerts.unpaired")
    await wait_for(turn, {"for": NOTE})
    return Response((OutMessage(turn.say("alerts.ask_note", mentor=first_name(found[1].name)),
                                free_text=True),))


async def send_note(turn: Turn, note: str) -> Response:
    """Save the note and deliver it to the mentor at once, with a Reply button; the note is the
    person's own words, so it gets the help contacts as an answer would (service.programmes.safety)."""
    return await safety.after_typed(turn, await _deliver_note(turn, note), note)


async def _deliver_note(turn: Turn, note: str) -> Response:
    """The note saved and sent to the mentor (unpaired: there is no one to send it to)."""
    found = await _mentor(turn)
    if found is None:
        return turn.message("alerts.unpaired")
    pairing_id, mentor = found
    if len(note) > MAX_NOTE:
        return await _shorter(turn, {"for": NOTE})
    request = await ask_help(turn.session, pairing_id=pairing_id, mentee_id=turn.user.id,
                             mentor_id=mentor.id, note=note, now=turn.now)
    say = Renderer(turn.content.catalog, mentor.language).text
    mentee = await mentee_name(turn.session, say, mentor.id, pairing_id)  # maybe "Mentee 2"
    alert = OutMessage(say("alerts.alert", mentee=mentee, note=request.note),
                       ((button(say("alerts.reply_button"), reply_data(request.id)),),))
    sent = OutMessage(turn.say("alerts.sent", mentor=first_name(mentor.name)))
    return Response((sent,), deliveries=(Delivery(mentor.telegram_id, (alert,)),))


# --- The mentor's side -------------------------------------------------------------------


async def ask_reply(turn: Turn, request_id: int) -> Response:
    """The Reply button: their next typed text is the reply (refused unless it is theirs)."""
    request = await request_for_mentor(turn.session, turn.user.id, request_id)
    if request is None:
        return turn.stale_press()
    mentee = await mentee_name(turn.session, turn.say, turn.user.id, request.pairing_id)
    await wait_for(turn, {"for": REPLY, "request": request.id})
    return Response((OutMessage(turn.say("alerts.ask_reply", mentee=mentee),
                                free_text=True),))


async def send_reply(turn: Turn, request_id: int, reply: str) -> Response:
    """Deliver the mentor's reply to the mentee, once; the mentor's own words get the help
    contacts as an answer would (service.programmes.safety)."""
    return await safety.after_typed(turn, await _deliver_reply(turn, request_id, reply), reply)


async def _deliver_reply(turn: Turn, request_id: int, reply: str) -> Response:
    """The reply saved and sent to the mentee, or why it cannot be any more."""
    request = await request_for_mentor(turn.session, turn.user.id, request_id)
    mentee = None if request is None else await user_by_id(turn.session, request.mentee_id)
    if request is None or mentee is None:
        return turn.message("alerts.reply_gone")
    if len(reply) > MAX_NOTE:
        return await _shorter(turn, {"for": REPLY, "request": request.id})
    if not await answer_help(turn.session, turn.user.id, request.id, reply, turn.now):
        return turn.message("alerts.reply_gone")
    say = Renderer(turn.content.catalog, mentee.language).text
    message = OutMessage(say("alerts.reply", mentor=first_name(turn.user.name),
                             reply=reply, note=request.note))
    sent = OutMessage(turn.say("alerts.reply_sent", mentee=await mentee_name(
        turn.session, turn.say, turn.user.id, request.pairing_id)))
    return Response((sent,), deliveries=(Delivery(mentee.telegram_id, (message,)),))


async def _shorter(turn: Turn, awaiting: JSONObject) -> Response:
    """A note or reply too long for one message: nothing is sent, and the next typed text is
    it again (shorter), as a too-long answer is asked for again (not what Telegram split off
    it: service.long_text); /cancel drops it."""
    await wait_for(turn, awaiting)
    await long_text.refused(turn)
    return Response((OutMessage(turn.say("alerts.too_long", limit=MAX_NOTE), free_text=True),))


# --- The next typed text -----------------------------------------------------------------


async def while_awaiting(turn: Turn, awaiting: JSONObject, incoming: Incoming,
                         dispatch: Dispatch) -> Response:
    """An input while a note or reply is asked for: typed text is it; /cancel drops it; either
    way an open dialog asks its question again. Anything else ends the wait and goes its way."""
    if isinstance(incoming, MediaIn):
        return turn.message("alerts.text_only")
    await wait_for(turn, None)
    typed = clean_text(incoming.text) if isinstance(incoming, TextIn) else ""
    if cancels(incoming):
        response = turn.message("alerts.dropped")
    elif not typed:  # not text, or nothing visible in it: no note, no reply
        return await dispatch(incoming, True)
    elif awaiting.get("for") == NOTE:
        response = await send_note(turn, typed)
    else:
        request = awaiting.get("request")
        response = await send_reply(turn, request if isinstance(request, int) else 0, typed)
    if turn.open_run is None or turn.user.awaiting is not None:  # asked again (too long)
        return response
    shown = await runs.show_run(turn, turn.open_run, None)  # the dialog's question again
    return replace(response, messages=(*response.messages, *shown.messages))


async def choose(turn: Turn, value: str) -> Response:
    """The check-in's "ask my mentor" (`ask`) and the mentor's Reply (`reply:<id>`)."""
    if value == "ask":
        return await ask_note(turn)
    head, _, rest = value.partition(":")
    if head == "reply" and rest.isdigit() and len(rest) <= 10:
        return await ask_reply(turn, int(rest))
    return turn.stale_press()


def kinds() -> tuple[Choice, ...]:
    """The help alerts' buttons."""
    return (Choice(TOPIC, choose),)
