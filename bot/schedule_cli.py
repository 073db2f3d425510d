"""`coachbot schedule list` and `coachbot schedule run-due`: the operator's view of what the bot
sends on its own, and one dispatch pass for hosting where a cron job replaces `coachbot run`."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError
from telegram.error import TelegramError
from telegram.ext import ExtBot

from bot.app import build_service, open_database, open_for_reading, utc_now
from bot.settings import Settings
from bot.telegram.application import defaults
from bot.telegram.delivery import deliver
from bot.telegram.pacing import PacedRateLimiter
from bot.telegram.startup import PlainRequest, startup_problem
from service.conversation import ConversationService
from service.messages import counted
from service.schedule.dispatch import Dispatcher
from storage.database import create_sessionmaker
from storage.schedule import Claimed, ListedItem, listing
from storage.vocabulary import ItemStatus

#: What run-due lacks without a token, in one line (runner's NO_TOKEN ends in "Run `coachbot run`
#: again", which is not what the operator of a cron job ran).
NO_TOKEN = ("coachbot: no Telegram bot token is set: `schedule run-due` sends through Telegram, so "
            "it needs TELEGRAM_BOT_TOKEN in the environment or in a .env file here (@BotFather's "
            "/newbot gives one)")


def _local(moment: datetime, zone: str | None) -> str:
    try:
        local = moment.astimezone(ZoneInfo(zone or "UTC"))
    except (ValueError, KeyError):
        local = moment
    return local.strftime("%Y-%m-%d %H:%M %Z")


def _row(entry: ListedItem) -> str:
    item = entry.item
    who = str(entry.telegram_id) if entry.telegram_id is not None else "-"
    error = f"  ({item.last_error})" if item.last_error else ""
    return (f"{item.id:>7}  {item.kind:<18} {who:>12}  {_local(item.due_at, entry.timezone):<26}"
            f"{item.due_at.strftime('%Y-%m-%d %H:%M')} UTC  {item.status.value:<9} "
            f"{item.attempts}{error}")


async def list_items(settings: Settings, *, user_id: int | None, status: ItemStatus | None,
                     limit: int) -> int:
    """Print the items, soonest first: their person's local time and UTC, status, attempts."""
    async with open_for_reading(settings) as engine, create_sessionmaker(engine).begin() as session:
        rows = await listing(session, user_id=user_id, status=status, limit=max(limit, 1),
                             now=utc_now())
    if not rows:
        print("No scheduled items" + (" match." if user_id is not None or status else "."))
        return 0
    print(f"{'id':>7}  {'kind':<18} {'user':>12}  {'due (their time)':<26}{'due (UTC)':<21}"
          f"{'status':<10}tries")
    for entry in rows:
        print(_row(entry), flush=True)
    return 0


async def run_due(settings: Settings) -> int:
    """Send everything due now, once, then stop. A failure to send one item puts it back to be
    retried later (with a growing pause) and the pass goes on; it never ends in a traceback."""
    if settings.telegram_bot_token is None:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    token = settings.telegram_bot_token.get_secret_value()
    sent = failed = 0
    async with open_database(settings) as engine:
        service = build_service(engine, settings)
        dispatcher = Dispatcher(service)
        # ExtBot[None] as the handlers see it; Telegram's budget holds across the whole pass.
        limiter: Any = PacedRateLimiter(max_retries=3)
        bot: ExtBot[None] = ExtBot(token, base_url=settings.telegram_api_base_url,
                                   defaults=defaults(), rate_limiter=limiter,
                                   request=PlainRequest(connection_pool_size=8))
        try:
            async with bot:
                while claimed := await dispatcher.claim():
                    for item in claimed:
                        done = await _send(bot, service, dispatcher, item)
                        sent, failed = sent + done, failed + (not done)
        except TelegramError as error:  # the bot could not start (token, address)
            print("coachbot: " + startup_problem(error, token=token,
                                                 base_url=settings.telegram_api_base_url),
                  file=sys.stderr)
            return 1
    print(f"Sent {counted(sent, 'scheduled item')}" + (f"; {failed} could not be sent and will be retried."
                                              if failed else "."))
    return 0


async def _send(bot: ExtBot[None], service: ConversationService, dispatcher: Dispatcher,
                item: Claimed) -> bool:
    """Decide and deliver one claimed item; False (and the item put back) if that failed."""
    try:
        deliveries = await dispatcher.open(item)
        for delivery in deliveries:
            await deliver(bot, service, delivery.recipient, delivery.messages)
    except (TelegramError, SQLAlchemyError, OSError) as error:
        await dispatcher.failed(item, error)
        return False
    return True
