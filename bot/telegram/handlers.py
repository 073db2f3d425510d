"""Thin handlers: parse the update, call the conversation service, send what it returns."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from telegram import Update
from telegram.constants import ChatAction, ChatMemberStatus, ChatType
from telegram.error import Forbidden, TelegramError

from bot.telegram.context import CoachContext
from bot.telegram.delivery import PeopleWork, PersonWork, deliver, later
from bot.telegram.menus import set_chat_menu
from bot.telegram.sending import settle_press
from prompts.catalog import LANGUAGES, default_catalog
from service.commands import command
from service.inputs import (
    CommandIn,
    EditIn,
    Incoming,
    MediaIn,
    Person,
    PressIn,
    TextIn,
)
from service.messages import Delivery, Response

log = logging.getLogger(__name__)

#: How many people of a batch are sent to side by side: enough to keep the rate limiter's 30
#: messages a second busy through Telegram's round trips; all of a batch of hundreds at once
#: would queue each of the batch's database answers behind hundreds of sending steps.
SENDERS = 16


def person_of(update: Update) -> Person:
    """Who sent the update, as the service knows people."""
    user = update.effective_user
    assert user is not None
    return Person(external_id=user.id, name=user.first_name, language=user.language_code)


def reply_chat(update: Update) -> int:
    """Where replies go: the update's chat, or the sender's private chat (whose id is theirs) for
    a press on an inline message, which belongs to no chat of ours."""
    chat = update.effective_chat
    return chat.id if chat is not None else person_of(update).external_id


async def respond(update: Update, context: CoachContext, incoming: Incoming) -> Response:
    """Hand one input to the service and deliver the response: the reply to the sender now, what
    it causes for others in their own turn (so it stays in order with their updates)."""
    person = person_of(update)
    response = await context.service.handle(person, incoming, update_id=update.update_id)
    if update.callback_query is not None:
        with contextlib.suppress(Forbidden):  # blocked: deliver() below marks the user inactive
            await settle_press(update.callback_query, response)
    await deliver(context.bot, context.service, reply_chat(update), response.messages)
    if response.menu is not None:  # their roles or language changed: so does their chat's menu
        await set_chat_menu(context.bot, context.service.catalog, reply_chat(update), response.menu)
    for delivery in response.deliveries:
        await context.update_queue.put(later(delivery))
    return response


async def on_person_work(work: PersonWork, context: CoachContext) -> None:
    """Work for one person that is not an update (see `PersonWork`), in that person's turn.
    With a `failed` hook, a failure to decide or to send is reported there (to be retried later)
    instead of raised; a block was handled in deliver() and fails nothing else."""
    try:
        try:
            deliveries = await work.produce(context.service)
        except Exception as error:  # its transaction was rolled back
            if work.failed is None:
                raise
            log.exception("work for user %s failed", work.person_id)
            await work.failed(error)
            return
        await _deliver_all(work, deliveries, context)
    finally:
        if work.finished is not None:
            await work.finished()


async def on_people_work(work: PeopleWork, context: CoachContext) -> None:
    """Work for several people at once (see `PeopleWork`), holding all their turns: decided
    together, then each person's deliveries sent in order, `SENDERS` people side by side."""
    try:
        each = iter(await work.decide(context.service))

        async def sender() -> None:  # takes the next person's work until none is left
            for one in each:
                await on_person_work(one, context)

        await asyncio.gather(*(sender() for _ in range(SENDERS)))
    finally:
        if work.finished is not None:
            await work.finished()


async def _deliver_all(work: PersonWork, deliveries: Sequence[Delivery],
                       context: CoachContext) -> None:
    for delivery in deliveries:
        try:
            reached = await deliver(context.bot, context.service, delivery.recipient,
                                    delivery.messages)
        except TelegramError as error:
            if work.failed is None:
                raise
            await work.failed(error)
            return  # the rest of this work is retried with it
        if not reached and delivery.recipient == work.person_id and work.failed is not None:
            await work.failed(Forbidden("bot was blocked by the user"))  # not sent after all
        if reached and delivery.menu is not None:  # a pairing of theirs ended, say
            await set_chat_menu(context.bot, context.service.catalog, delivery.recipient,
                                delivery.menu)


async def on_member_change(update: Update, context: CoachContext) -> None:
    """The person blocked the bot (nothing is sent to them any more) or unblocked it (their
    rules produce items again)."""
    change = update.my_chat_member
    assert change is not None
    if change.chat.type != ChatType.PRIVATE:
        return
    person = change.from_user.id
    if change.new_chat_member.status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT):
        log.info("user %s blocked the bot; marked inactive", person)
        await context.service.mark_unreachable(person)
    else:
        await context.service.mark_reachable(person)


async def on_command(update: Update, context: CoachContext) -> None:
    """A /command, with whatever follows it (a /start deep-link payload, settings arguments)."""
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    word, _, args = message.text.strip().partition(" ")
    name = word[1:].split("@")[0].lower()
    spec = command(name)
    if spec is not None and spec.slow and update.effective_chat is not None:
        with contextlib.suppress(Forbidden):  # blocked: respond() below marks the user inactive
            await context.bot.send_chat_action(update.effective_chat.id, ChatAction.TYPING)
    await respond(update, context, CommandIn(name, args.strip()))


async def on_text(update: Update, context: CoachContext) -> None:
    """A typed answer."""
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    await respond(update, context, TextIn(message.text, message_id=message.message_id,
                                          sent_at=message.date))


async def on_edited(update: Update, context: CoachContext) -> None:
    """An edited answer message: the saved answer follows while its dialog is open."""
    message = update.edited_message
    assert message is not None
    assert message.text is not None
    await respond(update, context, EditIn(message.message_id, message.text))


async def on_media(update: Update, context: CoachContext) -> None:
    """A sticker, photo, voice note, location or file where text is expected."""
    message = update.effective_message
    assert message is not None
    kind = next((k for k in ("sticker", "photo", "voice", "location", "document", "video", "audio")
                 if getattr(message, k, None)), "other")
    await respond(update, context, MediaIn(kind))


async def on_press(update: Update, context: CoachContext) -> None:
    """A button press; its data is untrusted and checked by the service."""
    query = update.callback_query
    assert query is not None
    await respond(update, context, PressIn(query.data or ""))


async def on_error(update: object, context: CoachContext) -> None:
    """Log with the update's context (never the token or answer text) and reassure the user.

    The failed update's transaction was rolled back, so the dialog stands where it was.
    """
    kind = "unknown"
    user_id: int | None = None
    if isinstance(update, Update):
        kind = next((k for k in ("message", "edited_message", "callback_query")
                     if getattr(update, k, None) is not None), "other")
        user_id = update.effective_user.id if update.effective_user else None
    log.error("update %s (%s) from user %s failed: %s", getattr(update, "update_id", None), kind,
              user_id, type(context.error).__name__, exc_info=context.error)
    if not isinstance(update, Update) or update.effective_user is None:
        return
    language = (update.effective_user.language_code or "en")[:2]
    text = default_catalog().render(language if language in LANGUAGES else "en",
                                    "common.service.error")
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):  # it may have been answered before the failure
            await update.callback_query.answer()
    try:
        await context.bot.send_message(reply_chat(update), text)
    except Exception:  # the error report must never raise in its turn
        log.warning("could not tell user %s about the error", user_id)
