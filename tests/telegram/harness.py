"""The harness of coachbot's end-to-end tests: the real Application, polling the Bot API stub.

``running_bot`` drives the Application built by :func:`build_application` the way
``run_polling``/``run_webhook`` would (``post_init`` after ``initialize``, ``post_shutdown`` at
the end), plus two observers that never touch ``Bot``: an error handler that records every
exception and a group -1 ``TypeHandler`` that records every update the Application received.
The ``e2e`` fixture (tests/conftest.py) wires it to a migrated SQLite file (or a fresh PostgreSQL
database when the test is parametrized indirectly with ``"postgres"``) and fails the test when
anything reached the error handler, the bot called an unknown Bot API method, or the stub itself
crashed.
"""

from __future__ import annotations

import datetime as dtm
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update
from telegram.ext import TypeHandler

from bot.telegram.application import ALLOWED_UPDATES, CoachApplication, build_application
from bot.telegram.context import CoachContext
from bot.telegram.webhook import WebhookServer
from dialogs.registry import default_scripts
from prompts.catalog import Catalog, default_catalog
from service.conversation import ConversationService
from storage import migrate
from storage.database import create_engine, create_sessionmaker
from storage.rows import ACTIONS, ANSWERS, GOALS, RUNS, UPDATES, USERS
from tests.support.clock import FakeClock
from tests.telegram.client import ChatClient, Settle, application_settler
from tests.telegram.formatting import to_plain_text
from tests.telegram.stub import BotApiStub

__all__ = [
    "ACTIONS",
    "ANSWERS",
    "E2E",
    "GOALS",
    "RUNS",
    "TOKEN",
    "UPDATES",
    "USERS",
    "Recorder",
    "RunningBot",
    "Webhook",
    "running_bot",
    "say",
]

TOKEN = "123456:TEST-coachbot-token"
POLL_TIMEOUT = dtm.timedelta(seconds=5)


def say(lang: str, key: str, **variables: Any) -> str:
    """A catalog text as the user sees it in Telegram (HTML rendered to plain text)."""
    return to_plain_text(default_catalog().render(lang, key, **variables), "HTML")


@dataclass
class Recorder:
    """What the Application saw besides the chat: exceptions and received update ids."""

    errors: list[tuple[object, BaseException]] = field(default_factory=list)
    update_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Webhook:
    """Take updates through coachbot's webhook server instead of polling."""

    port: int
    secret_token: str
    url_path: str = "telegram"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{self.url_path}"


@dataclass
class RunningBot:
    """A started Application and how to wait until it is idle."""

    app: CoachApplication
    recorder: Recorder
    settle: Settle


@asynccontextmanager
async def running_bot(
    stub: BotApiStub, service: ConversationService, *, catalog: Catalog | None = None,
    rate_limit_retries: int = 3, webhook: Webhook | None = None,
    dispatch_every: float | None = None,
) -> AsyncIterator[RunningBot]:
    """Build, initialise and start the product Application; stop it like ``run_polling`` does.
    With ``dispatch_every`` (seconds) its JobQueue ticks the scheduled items' dispatcher."""
    app = build_application(stub.token, base_url=stub.base_url, catalog=catalog or default_catalog(),
                            service=service, rate_limit_retries=rate_limit_retries,
                            dispatch_every=dispatch_every)
    recorder = Recorder()

    async def record_update(update: Update, _context: CoachContext) -> None:
        recorder.update_ids.append(update.update_id)

    async def record_error(update: object, context: CoachContext) -> None:
        assert context.error is not None
        recorder.errors.append((update, context.error))

    app.add_handler(TypeHandler(Update, record_update), group=-1)
    app.add_error_handler(record_error)
    updater = app.updater
    assert updater is not None
    server: WebhookServer | None = None
    await app.initialize()
    try:
        assert app.post_init is not None
        await app.post_init(app)  # run_polling/run_webhook would call it here
        if webhook is None:
            await updater.start_polling(poll_interval=0, timeout=POLL_TIMEOUT,
                                        allowed_updates=ALLOWED_UPDATES)
        else:  # coachbot's own webhook server, as `coachbot run --webhook-url` starts it
            server = WebhookServer(app, url=webhook.url, listen="127.0.0.1", port=webhook.port,
                                   url_path=webhook.url_path, secret_token=webhook.secret_token)
            await server.start()
        await app.start()
        yield RunningBot(app, recorder, application_settler(app, stub))
    finally:
        if server is not None:
            await server.stop()
        if updater.running:
            await updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)


def new_service(engine: AsyncEngine, clock: FakeClock) -> ConversationService:
    """The service as ``tests/conftest.py`` builds it."""
    return ConversationService(create_sessionmaker(engine), scripts=default_scripts(),
                               catalog=default_catalog(), clock=clock)


@dataclass
class E2E:
    """The running bot, its database and the stub, with helpers to read the database."""

    stub: BotApiStub
    database_url: str
    clock: FakeClock
    engine: AsyncEngine
    service: ConversationService
    #: Every Recorder of every Application this test ran (a restart adds one).
    recorders: list[Recorder] = field(default_factory=list)
    _bot: RunningBot | None = None
    _running: AbstractAsyncContextManager[RunningBot] | None = None

    # ------------------------------------------------------------------ chat

    def client(self, user_id: int = 4242, *, lang: str = "en", first_name: str = "Ana") -> ChatClient:
        """A user; its ``settle`` always follows the bot currently running (also after restart)."""
        return ChatClient(self.stub, user_id, language_code=lang, first_name=first_name,
                          settle=self.settle)

    async def settle(self) -> None:
        """Wait until the running Application fetched and fully processed every queued update."""
        await self.bot.settle()

    @property
    def bot(self) -> RunningBot:
        assert self._bot is not None, "no Application is running"
        return self._bot

    @property
    def errors(self) -> list[tuple[object, BaseException]]:
        return [error for recorder in self.recorders for error in recorder.errors]

    # ------------------------------------------------------------------ process lifecycle

    async def start(self, **options: Any) -> RunningBot:
        """Start an Application on ``self.service`` (options go to :func:`running_bot`)."""
        assert self._running is None, "an Application is already running"
        running = running_bot(self.stub, self.service, **options)
        self._bot = await running.__aenter__()
        self._running = running
        self.recorders.append(self._bot.recorder)
        return self._bot

    async def stop(self) -> None:
        """Stop the running Application the way run_polling does on SIGTERM."""
        running, self._running, self._bot = self._running, None, None
        if running is not None:
            await running.__aexit__(None, None, None)

    async def restart(self) -> None:
        """A new process: a new engine, service and Application on the same database."""
        await self.stop()
        await self.engine.dispose()
        self.engine = create_engine(self.database_url)
        await migrate.upgrade(self.engine)  # `coachbot run` migrates on every start
        self.service = new_service(self.engine, self.clock)
        await self.start()

    # ------------------------------------------------------------------ database

    async def rows(self, table: Table, **where: Any) -> list[dict[str, Any]]:
        """Rows of a table as dicts, filtered by equality, in primary key order."""
        query = select(table)
        for name, value in where.items():
            query = query.where(table.c[name] == value)
        async with self.engine.connect() as connection:
            result = await connection.execute(query.order_by(*table.primary_key.columns))
            return [dict(row._mapping) for row in result]

    async def user(self, telegram_id: int) -> dict[str, Any] | None:
        rows = await self.rows(USERS, telegram_id=telegram_id)
        return rows[0] if rows else None

    async def answers(self, telegram_id: int, dialog: str | None = None) -> dict[str, Any]:
        """``step_key -> value`` of the user's answers (of one dialog)."""
        user = await self.user(telegram_id)
        if user is None:
            return {}
        rows = await self.rows(ANSWERS, user_id=user["id"])
        return {row["step_key"]: row["value"] for row in rows
                if dialog is None or row["dialog"] == dialog}

    async def run(self, telegram_id: int, dialog: str) -> dict[str, Any]:
        """The user's latest run of a dialog."""
        user = await self.user(telegram_id)
        assert user is not None, f"no user {telegram_id}"
        runs = await self.rows(RUNS, user_id=user["id"], dialog=dialog)
        assert runs, f"user {telegram_id} never started {dialog}"
        return runs[-1]

    async def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        """Every row of the user data tables, to show that an input changed nothing."""
        return {table.name: await self.rows(table) for table in (USERS, RUNS, ANSWERS, GOALS, ACTIONS)}
