"""The one place that wires the Telegram application."""

from __future__ import annotations

import gc
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import BotCommandScopeDefault, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.telegram import checkpointing, handlers
from bot.telegram.context import BotData, CoachContext
from bot.telegram.delivery import PeopleWork, PersonWork
from bot.telegram.dispatching import DispatchJob, dispatch_job
from bot.telegram.inbox import Inbox
from bot.telegram.menus import menu
from bot.telegram.ordering import PerUserUpdateProcessor
from bot.telegram.pacing import PacedRateLimiter
from prompts.catalog import LANGUAGES, Catalog
from service.commands import COMMANDS
from service.conversation import ConversationService
from storage.checkpoints import Checkpointer

ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]

CoachApplication = Application[Any, CoachContext, Any, Any, BotData, Any]
Hook = Callable[[CoachApplication], Awaitable[None]]


def defaults() -> Defaults:
    """What every message the bot sends assumes: HTML, no link previews."""
    return Defaults(parse_mode=ParseMode.HTML,
                    link_preview_options=LinkPreviewOptions(is_disabled=True))


def build_application(
    token: str, *, base_url: str, catalog: Catalog,
    service: ConversationService | None = None, open_service: Hook | None = None,
    close_service: Hook | None = None, request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None, rate_limit_retries: int = 3,
    dispatch_every: float | None = None,
) -> CoachApplication:
    """The bot: typed context, HTML by default, a durable update queue (the inbox), per-user
    ordered concurrency, rate limiting.

    Give either a ready `service` (tests, benchmarks) or `open_service`, which sets
    `application.bot_data.service` in post_init (after migrations) for `coachbot run`.
    With `dispatch_every` (seconds) the JobQueue ticks the scheduled items' dispatcher.
    """
    dispatching: list[DispatchJob] = []
    checkpoints: list[Checkpointer] = []

    async def post_init(application: CoachApplication) -> None:
        if service is not None:
            application.bot_data.service = service
        if open_service is not None:
            await open_service(application)
        ready = application.bot_data.service
        if ready is None:
            raise RuntimeError("no conversation service: give `service` or `open_service`")
        ready.bot_username = application.bot.username  # invite links: t.me/<username>?start=…
        await inbox.open(ready, application.bot)  # before updates are fetched: a crash's leftovers first
        if dispatch_every is not None:
            assert application.job_queue is not None
            dispatching.append(dispatch_job(ready))
            dispatching[0].start(application.job_queue, dispatch_every)
            checkpointer = checkpointing.checkpointer_of(ready)
            if checkpointer is not None:  # a SQLite file: its log is copied back in the background
                checkpoints.append(checkpointer)
                checkpointing.start(application.job_queue, checkpointer)
        # Everyone starts with the mentees' menu; the first language is the fallback for others.
        for lang in LANGUAGES:
            await application.bot.set_my_commands(
                menu(catalog, lang), scope=BotCommandScopeDefault(),
                language_code=None if lang == LANGUAGES[0] else lang)
        # What start-up made (scripts, texts, compiled templates, the libraries' own tables)
        # lives as long as the process: left out of every later garbage collection, a full one
        # no longer walks it. Measured: a tenth of a 10,000-item dispatch went to such walks.
        gc.collect()
        gc.freeze()

    async def post_shutdown(application: CoachApplication) -> None:
        await inbox.flush()
        for job in dispatching:
            await job.close()
        for checkpointer in checkpoints:
            await checkpointer.close()
        if close_service is not None:
            await close_service(application)

    inbox = Inbox()
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .defaults(defaults())
        .context_types(ContextTypes(context=CoachContext, bot_data=BotData))
        .update_queue(inbox)
        .concurrent_updates(PerUserUpdateProcessor(256, finished=inbox.forget,
                                                   refuse=inbox.refuse))
        .rate_limiter(PacedRateLimiter(max_retries=rate_limit_retries))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    if request is not None:
        builder = builder.request(request)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    application: CoachApplication = builder.build()
    register_handlers(application)
    # Before all others: updates a crash left that were handled already go no further.
    application.add_handler(TypeHandler(Update, inbox.on_taken_up), group=-2)
    return application


def register_handlers(application: CoachApplication) -> None:
    """Handlers in the order they are tried (all in group 0; the first match wins)."""
    private = filters.ChatType.PRIVATE
    # Edited messages first: they also carry text and must not count as new answers.
    application.add_handler(MessageHandler(
        filters.UpdateType.EDITED_MESSAGE & filters.TEXT & private, handlers.on_edited))
    application.add_handler(CommandHandler([c.name for c in COMMANDS], handlers.on_command,
                                           filters=private & filters.UpdateType.MESSAGE))
    # Any other /word: the service answers that it does not know it.
    application.add_handler(MessageHandler(filters.COMMAND & private & filters.UpdateType.MESSAGE,
                                           handlers.on_command))
    application.add_handler(MessageHandler(filters.TEXT & private & filters.UpdateType.MESSAGE,
                                           handlers.on_text))
    application.add_handler(CallbackQueryHandler(handlers.on_press))
    application.add_handler(MessageHandler(
        private & filters.UpdateType.MESSAGE & ~filters.TEXT & ~filters.StatusUpdate.ALL,
        handlers.on_media))
    # Work for one person that is not an update (see bot/telegram/delivery.py).
    application.add_handler(TypeHandler(PersonWork, handlers.on_person_work))
    application.add_handler(TypeHandler(PeopleWork, handlers.on_people_work))
    application.add_handler(ChatMemberHandler(handlers.on_member_change,
                                              ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_error_handler(handlers.on_error)
