"""The one place that delivers messages to a person on Telegram, whoever they are addressed to.

Replies to an update, messages an answer causes for someone else, and (later) scheduled items all
end here: HTML split to Telegram's limit, keyboards and files, paced by the application's rate
limiter; a person who blocked the bot is marked unreachable instead of failing the update.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from telegram.error import Forbidden
from telegram.ext import ExtBot

from bot.telegram.sending import send_messages
from service.conversation import ConversationService
from service.messages import Delivery, OutMessage

log = logging.getLogger(__name__)

Produce = Callable[[ConversationService], Awaitable[Sequence[Delivery]]]
Failed = Callable[[BaseException], Awaitable[None]]
Finished = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class PersonWork:
    """Work for one person that is not a Telegram update: put on `application.update_queue`, it is
    handled in that person's turn, in order with their updates (python-telegram-bot's custom-update
    pattern, handled by a `TypeHandler`). `produce` asks the service what to deliver; `failed` hears
    of a sending failure other than a block (without it, the failure is raised); `finished` is told
    when the work is over, however it ended."""

    person_id: int
    produce: Produce
    failed: Failed | None = None
    finished: Finished | None = None


#: Decides a batch: the work of each of its people, its deliveries ready.
Decide = Callable[[ConversationService], Awaitable[Sequence[PersonWork]]]


@dataclass(frozen=True)
class PeopleWork:
    """Work for several people at once (the dispatcher's batch: one item each): handled once it
    holds the turns of all of them (taken in id order, so two batches never wait for each other
    in a circle), so it is decided and delivered with none of their updates in between, as a
    `PersonWork` is for one. `decide` returns each person's work with its deliveries ready;
    `finished` is told when all of it is over."""

    people: tuple[int, ...]
    decide: Decide
    finished: Finished | None = None


def later(delivery: Delivery) -> PersonWork:
    """Deliver something already decided, in the recipient's own turn."""

    return ready_work(delivery.recipient, (delivery,))


def ready_work(person_id: int, deliveries: Sequence[Delivery], failed: Failed | None = None,
               finished: Finished | None = None) -> PersonWork:
    """Work for one person whose deliveries are already decided."""

    async def ready(_: ConversationService) -> Sequence[Delivery]:
        return deliveries

    return PersonWork(person_id, ready, failed=failed, finished=finished)


async def deliver(bot: ExtBot[None], service: ConversationService, recipient: int,
                  messages: Sequence[OutMessage]) -> bool:
    """Send messages to one person (their private chat has their id); False if they blocked us."""
    try:
        await send_messages(bot, recipient, messages)
    except Forbidden:
        log.info("user %s blocked the bot; marked inactive", recipient)
        await service.mark_unreachable(recipient)
        return False
    return True
