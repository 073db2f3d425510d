"""The application's update queue, made durable: no update Telegram handed over is lost in a crash.

python-telegram-bot confirms a fetched update to Telegram with the *next* getUpdates offset, after
the Updater's `update_queue.put`, and its webhook answers 200 after that `put` too. So `put` first
saves the update in the inbox table (storage/inbox.py); the update processor forgets it once it
was handled. At start-up, before updates are fetched, what a crash left is taken up again in
update id order (the per-person processor keeps each person's order); `processed_updates` still
lets an update count once. If its answer was saved before the crash, only the reply may be lost:
the person's last such update gets a short note and the open question again (`on_taken_up`).

A handled update is forgotten whether or not its handling raised: the error handler has told the
person and the dialog stands where it was, so taking it up later could file an answer the person
already sent again under the next question. An update whose handling never ends (it kills the
process each time) is given up after `MAX_REPLAYS` start-ups.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.error import NetworkError, TelegramError
from telegram.ext import ApplicationHandlerStop, ExtBot

from bot.telegram.context import CoachContext
from bot.telegram.delivery import deliver
from service.conversation import ConversationService
from storage.inbox import forget_updates, keep_update, take_up_leftovers

log = logging.getLogger(__name__)

#: Start-ups that take up the same update before it is given up.
MAX_REPLAYS = 3
#: Seconds after which handled updates are forgotten if no arriving update took them along.
FORGET_AFTER = 1.0


class Inbox(asyncio.Queue[object]):
    """The update queue (`ApplicationBuilder.update_queue`); `put` saves an update before it queues
    it. Work that is not an update (`PersonWork`) is queued as it comes."""

    def __init__(self) -> None:
        super().__init__()
        self._service: ConversationService | None = None
        self._bot: ExtBot[None] | None = None
        #: Taken-up updates the service handled before the crash -> catch their person up after it.
        self._catch_up: dict[int, bool] = {}
        self._to_forget: list[int] = []
        self._later: asyncio.Task[None] | None = None

    @property
    def service(self) -> ConversationService:
        if self._service is None:
            raise RuntimeError("the inbox is not open yet")
        return self._service

    async def open(self, service: ConversationService, bot: ExtBot[None]) -> None:
        """Start keeping updates, and queue what a crash left (call before updates are fetched)."""
        self._service, self._bot = service, bot
        async with service.sessionmaker.begin() as session:
            leftovers = await take_up_leftovers(session)
            given_up = [left.update_id for left in leftovers if left.replays > MAX_REPLAYS]
            await forget_updates(session, given_up)
        for update_id in given_up:
            log.warning("update %s given up after %s start-ups", update_id, MAX_REPLAYS)
        taken_up = [left for left in leftovers if left.replays <= MAX_REPLAYS]
        newest = {left.person_id: left.update_id for left in taken_up}
        for left in taken_up:
            update = Update.de_json(left.payload, bot)
            if left.handled:
                self._catch_up[left.update_id] = newest[left.person_id] == left.update_id
            self.put_nowait(update)  # in the inbox already
        if taken_up:
            log.info("taking up %s update(s) a crash left unfinished", len(taken_up))

    async def put(self, item: object) -> None:
        """Queue an item; an update only once it is saved (and only once per update id)."""
        if isinstance(item, Update) and not await self.keep(item):
            return
        await super().put(item)

    async def keep(self, update: Update) -> bool:
        """Save the update; False if it is saved already (queued before, or left by a crash).
        The same transaction forgets the updates handled meanwhile."""
        service = self.service
        person = update.effective_user.id if update.effective_user is not None else None
        try:
            with self._forgetting() as handled:
                async with service.sessionmaker.begin() as session:
                    await forget_updates(session, handled)
                    return await keep_update(session, update.update_id, person, update.to_dict(),
                                             service.clock())
        except SQLAlchemyError as error:
            # Not confirmed to Telegram: polling retries a TelegramError and fetches the update
            # again; the webhook answers 500 and Telegram sends it again.
            raise NetworkError("the inbox could not save an update") from error

    async def forget(self, update: object) -> None:
        """The update was handled: never take it up again. Forgotten along with the next update
        kept, or `FORGET_AFTER` seconds later: about one write per update, not two. A crash in
        between only repeats a reply (see the module docstring)."""
        if not isinstance(update, Update):
            return
        self._to_forget.append(update.update_id)
        if self._later is None or self._later.done():
            self._later = asyncio.create_task(self._forget_later())

    async def _forget_later(self) -> None:
        await asyncio.sleep(FORGET_AFTER)
        await self._forget_now()

    async def _forget_now(self) -> None:
        try:
            with self._forgetting() as handled:
                if handled:
                    async with self.service.sessionmaker.begin() as session:
                        await forget_updates(session, handled)
        except SQLAlchemyError as error:  # kept for the next try
            log.warning("could not forget handled updates: %s", type(error).__name__)

    @contextlib.contextmanager
    def _forgetting(self) -> Iterator[list[int]]:
        """The handled update ids to forget in the caller's transaction; kept if it fails."""
        handled, self._to_forget = self._to_forget, []
        try:
            yield handled
        except BaseException:
            self._to_forget[:0] = handled
            raise

    async def flush(self) -> None:
        """Forget now what was handled (a graceful stop does it before the database goes away)."""
        if self._later is not None:
            self._later.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._later
        await self._forget_now()

    async def refuse(self, update: Update, first: bool) -> None:
        """Over the sender's backlog: not handled, never taken up; the first of a burst is answered
        with a note to slow down."""
        await self.forget(update)
        user = update.effective_user
        if not first or user is None or self._bot is None:
            return
        note = await self.service.message_to(user.id, "common.service.slow_down")
        if note is None:
            return
        try:
            await deliver(self._bot, self.service, note.recipient, note.messages)
        except TelegramError as error:
            log.warning("could not ask user %s to slow down: %s", user.id, type(error).__name__)

    async def on_taken_up(self, update: Update, context: CoachContext) -> None:
        """Before every other handler: a taken-up update the service had handled before the crash
        goes no further; the person's last one gets a note and their open question again."""
        catch_up = self._catch_up.pop(update.update_id, None)
        if catch_up is None:
            return
        if catch_up and update.effective_user is not None:
            person = update.effective_user.id
            response = await context.service.catch_up(person)
            await deliver(context.bot, context.service, person, response.messages)
        raise ApplicationHandlerStop
