"""`coachbot run`: long polling by default, or a webhook with a secret token."""

from __future__ import annotations

import logging
import os
import secrets
import sys
from urllib.parse import urlparse

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import build_service, open_engine
from bot.settings import Settings
from bot.telegram.application import ALLOWED_UPDATES, CoachApplication, build_application
from prompts.catalog import default_catalog

log = logging.getLogger(__name__)

NO_TOKEN = """coachbot: no Telegram bot token is set.

To run the bot on Telegram:
  1. Open Telegram, talk to @BotFather and send /newbot; it gives you a token.
  2. Put it in the environment or in a .env file here:  TELEGRAM_BOT_TOKEN=123456:ABC...
  3. Run `coachbot run` again.

To try the dialogs without Telegram, run `coachbot chat`: the same bot in this terminal."""


def run_bot(settings: Settings, *, webhook_url: str | None, listen: str, port: int) -> int:
    """Run until SIGINT/SIGTERM; python-telegram-bot lets in-flight updates finish on the way out."""
    if settings.telegram_bot_token is None:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    engines: list[AsyncEngine] = []

    async def open_service(application: CoachApplication) -> None:
        engine = await open_engine(settings)
        engines.append(engine)
        application.bot_data.service = build_service(engine, settings)
        log.info("database ready; bot starting")

    async def close_service(_application: CoachApplication) -> None:
        for engine in engines:
            await engine.dispose()

    application = build_application(
        settings.telegram_bot_token.get_secret_value(), base_url=settings.telegram_api_base_url,
        catalog=default_catalog(), open_service=open_service, close_service=close_service)
    if webhook_url:
        secret = (settings.webhook_secret.get_secret_value() if settings.webhook_secret
                  else secrets.token_urlsafe(32))
        path = urlparse(webhook_url).path.lstrip("/")
        application.run_webhook(listen=listen, port=port, url_path=path, webhook_url=webhook_url,
                                secret_token=secret, allowed_updates=ALLOWED_UPDATES,
                                drop_pending_updates=False)
    else:
        application.run_polling(allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)
    return 0
