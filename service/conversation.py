"""The conversation service: (person, input) → response, for every front-end.

Each input is one transaction: lock the user, load their run, let the router pick the use case,
save what it decided, render the replies. Nothing about a dialog lives only in memory. Messages for
people other than the sender (a mentor's alert, a scheduled check-in) are `Delivery`s addressed by
their Telegram id; the front-end delivers them through the same path as replies.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialogs.registry import Scripts
from prompts.catalog import Catalog, CatalogLexicon
from service import runs, typed_buttons
from service.inputs import Incoming, Person, TextIn
from service.mentors import scopes
from service.mentors.invites import InvitePolicy
from service.messages import Delivery, OutMessage, Response
from service.programmes import broadcasts
from service.render import Renderer
from service.routing import dispatch, route
from service.schedule.kinds import Registry
from service.schedule.plan import replan
from service.schedule.policy import SchedulePolicy
from service.schedule.registry import default_registry
from service.timezones import load_zones
from service.together import Together
from service.turn import Content, Turn
from storage.pairings import pairings_of_user
from storage.runs import active_run, lock_user_with_run, lock_users_with_runs
from storage.schedule import cancel_pending
from storage.updates import claim_update
from storage.users import UserRecord, create_user, first_name, get_user, lock_user, set_active, update_user

Clock = Callable[[], datetime]


class ConversationService:
    """Front-end-independent conversation logic over a session factory."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], *, scripts: Scripts,
        catalog: Catalog, clock: Clock, default_language: str = "en",
        default_timezone: str = "UTC", schedule: Registry | None = None,
        policy: SchedulePolicy | None = None, invites: InvitePolicy | None = None,
        admins: Collection[int] = (),
    ) -> None:
        self.sessionmaker = sessionmaker
        policy = policy or SchedulePolicy()
        self.content = Content(scripts, catalog, schedule or default_registry(policy), policy,
                               invites or InvitePolicy(), frozenset(admins))
        self.clock = clock
        self.default_language = default_language
        self.default_timezone = default_timezone
        load_zones()  # once per process, so `/settings time` reads no files in its transaction

    @property
    def bot_username(self) -> str | None:
        """The bot's Telegram username, for invite links (the front-end sets it once known)."""
        return self.content.bot_username

    @bot_username.setter
    def bot_username(self, username: str | None) -> None:
        self.content.bot_username = username

    @property
    def scripts(self) -> Scripts:
        return self.content.scripts

    @property
    def catalog(self) -> Catalog:
        return self.content.catalog

    def lexicon(self, lang: str) -> CatalogLexicon:
        """The engine's language knowledge for one language."""
        return self.content.lexicon(lang)

    async def handle(
        self, person: Person, incoming: Incoming, update_id: int | None = None
    ) -> Response:
        """Process one input in one transaction and say what to send back.

        With an `update_id` the update is claimed in the same transaction, so a redelivered update
        does nothing, and an update whose processing failed is not marked as done.
        """
        async with self.sessionmaker.begin() as session:
            found = await lock_user_with_run(session, person.external_id)
            if found is None:  # another process may create them at the same moment: one is first
                user, created = await self._create_user(session, person)
                open_run = None if created else await active_run(session, user.id)
            else:
                (user, open_run), created = found, False
            if update_id is not None and not await claim_update(session, update_id,
                                                                        self.clock()):
                return Response()
            user = await self._reactivated(session, user)
            turn = Turn(self.content, session, user, self.clock(), created, open_run,
                        sent_at=incoming.sent_at if isinstance(incoming, TextIn) else None,
                        app_language=self._spoken_by_app(person))
            await scopes.load_roles(turn)
            if created:
                await broadcasts.reports_for_newcomer(turn)
            return _asks_typing(turn, await route(turn, incoming))

    @asynccontextmanager
    async def turn_of(self, external_id: int) -> AsyncIterator[Turn | None]:
        """A transaction with this person locked, as a turn of their own (None if unknown): for
        work that is not their input (a scheduled item, a catch-up after a crash)."""
        async with self.sessionmaker.begin() as session:
            found = await lock_user_with_run(session, external_id)
            if found is None:
                yield None
                return
            user, open_run = found
            turn = Turn(self.content, session, user, self.clock(), False, open_run)
            await scopes.load_roles(turn)
            yield turn

    @asynccontextmanager
    async def turns_of(self, external_ids: Collection[int]) -> AsyncIterator[dict[int, Turn]]:
        """`turn_of` for several people at once (the dispatcher's batch): one transaction with
        all of them locked, a turn each by Telegram id (the unknown left out), sharing it and
        one `Together` (what they read alike is read once; what their kinds follow up with is
        the caller's to write: `Together.take_follow_ups`)."""
        async with self.sessionmaker.begin() as session:
            now = self.clock()
            together = Together()
            turns = {person: Turn(self.content, session, user, now, False, open_run,
                                  together=together)
                     for person, (user, open_run) in
                     (await lock_users_with_runs(session, list(external_ids))).items()}
            await scopes.load_roles_many(list(turns.values()))
            yield turns

    async def catch_up(self, external_id: int) -> Response:
        """After a crash: this person's last update was handled but its reply may be lost. Say so,
        with the open dialog's question; nothing for someone unknown."""
        async with self.turn_of(external_id) as turn:
            return Response() if turn is None else await runs.catch_up(turn)

    async def reopen(self, person: Person) -> Response | None:
        """A front-end's own greeting as it starts again (the terminal's, not a /start the person
        typed): a choice still standing from before the restart is shown again and stays on
        offer (service.typed_buttons.reopened). None: the person is unknown or no choice stands,
        and the usual /start greets them."""
        async with self.turn_of(person.external_id) as turn:
            if turn is None:
                return None
            response = await typed_buttons.reopened(
                turn, lambda later, remind: dispatch(turn, later, remind))
            return None if response is None else _asks_typing(turn, response)

    async def message_to(self, external_id: int, key: str, **variables: Any) -> Delivery | None:
        """A catalog text addressed to someone in their own language; None if they are unknown
        or unreachable (they blocked the bot)."""
        async with self.sessionmaker.begin() as session:
            user = await get_user(session, external_id)
        if user is None or not user.active:
            return None
        text = Renderer(self.catalog, user.language).text(key, **variables)
        return Delivery(external_id, (OutMessage(text),))

    async def addressee(self, sender: Person, external_id: int) -> str:
        """Who a message for someone else goes to, in the sender's language ("→ to Ana (your
        mentor):"): the terminal shows such messages, so one database can rehearse both sides."""
        async with self.sessionmaker.begin() as session:
            me = await get_user(session, sender.external_id)
            them = await get_user(session, external_id)
            relation = "other"
            if me is not None and them is not None:
                for pairing, as_mentor, _name in await pairings_of_user(session, me.id):
                    if them.id in (pairing.mentor_id, pairing.mentee_id):
                        relation = "mentee" if as_mentor else "mentor"
            lang = me.language if me is not None else self._spoken(sender)
        say = Renderer(self.catalog, lang).text
        return say("common.terminal.to_other", name=first_name(them.name) if them else None,
                   relation=say(f"common.terminal.relation.{relation}"), id=external_id)

    async def mark_unreachable(self, external_id: int) -> None:
        """The user blocked the bot: stop trying until they write again (or unblock it); nothing
        scheduled for them is sent meanwhile."""
        async with self.sessionmaker.begin() as session:
            user = await get_user(session, external_id)
            if user is None or not user.active:
                return
            await set_active(session, external_id, False, self.clock())
            await cancel_pending(session, user.id, self.clock())

    async def mark_reachable(self, external_id: int) -> None:
        """The user unblocked the bot: their rules produce items again."""
        async with self.turn_of(external_id) as turn:
            if turn is not None and not turn.user.active:
                await self._reactivated(turn.session, turn.user)

    async def set_language(self, person: Person, language: str) -> None:
        """Change a known user's language. Someone new is not created here: their first input
        creates them in the language of their `Person` hint, and greets them as new."""
        if language not in self.catalog.texts:
            raise ValueError(f"unsupported language {language!r}")
        async with self.sessionmaker.begin() as session:
            user = await lock_user(session, person.external_id)
            if user is not None:
                await update_user(session, user.id, self.clock(), language=language)

    async def language_for(self, person: Person) -> str:
        """The language this person is spoken to in: their own once known, else their hint if we
        speak it, else the default."""
        async with self.sessionmaker.begin() as session:
            user = await get_user(session, person.external_id)
        return user.language if user is not None else self._spoken(person)

    def _spoken(self, person: Person) -> str:
        """The person's language hint (Telegram's language code) if we speak it, else the default."""
        return self._spoken_by_app(person) or self.default_language

    def _spoken_by_app(self, person: Person) -> str | None:
        """The person's language hint (Telegram's language code) if we speak it."""
        hint = (person.language or "")[:2].lower()
        return hint if hint in self.catalog.texts else None

    async def _reactivated(self, session: AsyncSession, user: UserRecord) -> UserRecord:
        """A user who writes again after blocking the bot is reachable again, and their rules
        produce items again."""
        if user.active:
            return user
        await set_active(session, user.telegram_id, True, self.clock())
        user = replace(user, active=True)
        await replan(Turn(self.content, session, user, self.clock()), self.content.schedule)
        return user

    async def _create_user(self, session: AsyncSession, person: Person) -> tuple[UserRecord, bool]:
        """A new user in their Telegram language if we speak it, else the default; and whether
        this call created them."""
        return await create_user(
            session, person.external_id, name=person.name, language=self._spoken(person),
            timezone=self.default_timezone, now=self.clock())


def _asks_typing(turn: Turn, response: Response) -> Response:
    """While something other than a dialog waits for typed text (a note, a date, a time, a
    comment: `users.awaiting`), the reply's last message, when it has no buttons, asks for that
    text: marked `free_text`, so a front-end that numbers buttons (the terminal) passes a number
    typed next on as that text, not as a choice."""
    last = response.messages[-1] if response.messages else None
    if not turn.user.awaiting or last is None or last.buttons or last.free_text:
        return response
    return replace(response, messages=(*response.messages[:-1], replace(last, free_text=True)))
