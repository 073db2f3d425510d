"""`coachbot run`: long polling by default, or a webhook with a secret token."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
import sys
from typing import Protocol
from urllib.parse import urlparse

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import build_service, open_engine
from bot.settings import Settings
from bot.telegram.application import ALLOWED_UPDATES, CoachApplication, build_application
from bot.telegram.startup import PlainRequest, startup_problem
from bot.telegram.webhook import WebhookServer
from prompts.catalog import default_catalog

log = logging.getLogger(__name__)

NO_TOKEN = """coachbot: no Telegram bot token is set.

To run the bot on Telegram:
  1. Open Telegram, talk to @BotFather and send /newbot; it gives you a token.
  2. Put it in the environment or in a .env file here:  TELEGRAM_BOT_TOKEN=123456:ABC...
  3. Run `coachbot run` again.

To try the dialogs without Telegram, run `coachbot chat`: the same bot in this terminal."""

#: Connections for sending (python-telegram-bot's default) and for the long poll.
SEND_CONNECTIONS = 256


class UpdateSource(Protocol):
    """Where updates come from: python-telegram-bot's long polling, or our webhook server."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Polling:
    """The Updater's long polling (getUpdates acknowledges what the previous call fetched)."""

    def __init__(self, application: CoachApplication) -> None:
        assert application.updater is not None
        self.updater = application.updater

    async def start(self) -> None:
        await self.updater.start_polling(allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)

    async def stop(self) -> None:
        if self.updater.running:
            await self.updater.stop()


async def serve(application: CoachApplication, source: UpdateSource) -> None:
    """Start, answer until SIGINT/SIGTERM, stop: the steps of python-telegram-bot's run_polling,
    written out so that our webhook server fits in and a failed start raises instead of logging
    (run_polling logs InvalidToken, token included). A signal during the start cancels it."""
    loop, stop, main = asyncio.get_running_loop(), asyncio.Event(), asyncio.current_task()
    assert main is not None

    def on_signal() -> None:
        if application.running:
            stop.set()
        else:
            main.cancel()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal)
    try:
        async with application:  # initialize() checks the token with getMe; shutdown() at the end
            assert application.post_init is not None
            await application.post_init(application)
            try:
                await source.start()
                await application.start()
                await stop.wait()
            finally:
                await source.stop()
                if application.running:
                    await application.stop()  # lets the updates in flight finish
    finally:
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


def run_bot(settings: Settings, *, webhook_url: str | None, listen: str, port: int) -> int:
    """Run until SIGINT/SIGTERM; a start that fails ends in one line on stderr and exit code 1."""
    if settings.telegram_bot_token is None:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    token = settings.telegram_bot_token.get_secret_value()
    engines: list[AsyncEngine] = []

    async def open_service(application: CoachApplication) -> None:
        engine = await open_engine(settings, background_checkpoints=True)
        engines.append(engine)
        application.bot_data.service = build_service(engine, settings)
        log.info("database ready; bot starting")

    async def close_service(_application: CoachApplication) -> None:
        for engine in engines:
            await engine.dispose()

    application = build_application(
        token, base_url=settings.telegram_api_base_url, catalog=default_catalog(),
        open_service=open_service, close_service=close_service,
        request=PlainRequest(connection_pool_size=SEND_CONNECTIONS),
        get_updates_request=PlainRequest(connection_pool_size=1),
        dispatch_every=settings.dispatch_every)
    source: UpdateSource = Polling(application)
    if webhook_url:
        secret = (settings.webhook_secret.get_secret_value() if settings.webhook_secret
                  else secrets.token_urlsafe(32))
        source = WebhookServer(application, url=webhook_url, listen=listen, port=port,
                               url_path=urlparse(webhook_url).path, secret_token=secret)
    try:
        asyncio.run(serve(application, source))
    except asyncio.CancelledError:  # stopped while starting
        return 0
    except Exception as error:
        print("coachbot: " + startup_problem(
            error, token=token, base_url=settings.telegram_api_base_url,
            listen=listen if webhook_url else None, port=port), file=sys.stderr)
        return 1
    return 0
