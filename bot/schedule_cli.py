"""`coachbot schedule list` and `coachbot schedule run-due`: the operator's view of what the bot
sends on its own, and one dispatch pass for hosting where a cron job replaces `coachbot run`."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, ExtBot

from bot.app import build_service, open_database, open_for_reading
from bot.settings import Settings
from bot.telegram.application import defaults
from bot.telegram.delivery import deliver
from bot.telegram.runner import NO_TOKEN
from bot.telegram.startup import PlainRequest, startup_problem
from service.schedule.dispatch import Dispatcher
from storage.database import create_sessionmaker
from storage.schedule import ListedItem, listing
from storage.vocabulary import ItemStatus


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
        rows = await listing(session, user_id=user_id, status=status, limit=max(limit, 1))
    if not rows:
        print("No scheduled items" + (" match." if user_id is not None or status else "."))
        return 0
    print(f"{'id':>7}  {'kind':<18} {'user':>12}  {'due (their time)':<26}{'due (UTC)':<21}"
          f"{'status':<10}tries")
    for entry in rows:
        print(_row(entry), flush=True)
    return 0


async def run_due(settings: Settings) -> int:
    """Send everything due now, once, then stop."""
    if settings.telegram_bot_token is None:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    token = settings.telegram_bot_token.get_secret_value()
    sent = failed = 0
    async with open_database(settings) as engine:
        service = build_service(engine, settings)
        dispatcher = Dispatcher(service)
        # ExtBot[None] as the handlers see it; the limiter's per-call arguments are never used.
        limiter: Any = AIORateLimiter()
        bot: ExtBot[None] = ExtBot(token, base_url=settings.telegram_api_base_url,
                                   defaults=defaults(), rate_limiter=limiter,
                                   request=PlainRequest())
        try:
            async with bot:
                while claimed := await dispatcher.claim():
                    for item in claimed:
                        for delivery in await dispatcher.open(item):
                            try:
                                await deliver(bot, service, delivery.recipient, delivery.messages)
                                sent += 1
                            except TelegramError as error:
                                await dispatcher.failed(item, error)
                                failed += 1
        except TelegramError as error:
            print("coachbot: " + startup_problem(error, token=token,
                                                 base_url=settings.telegram_api_base_url),
                  file=sys.stderr)
            return 1
    print(f"Sent {sent} message(s)" + (f"; {failed} failed and will be retried." if failed else "."))
    return 0
