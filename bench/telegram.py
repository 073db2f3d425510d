"""Dialog steps per second through the real Telegram Application, with a Bot API that answers at once.

A full dialog step is one typed answer to a free-text step of `grow`, delivered as a Telegram
`Update` to the Application that `build_application` wires (durable update queue, per-user
ordered concurrent update processor, AIORateLimiter, typed context, HTML defaults): saved in the
inbox as `Inbox.put` does when the Updater or the webhook hands it over (one SQLite transaction,
which also forgets the updates handled before), then processed the way the Application's update
fetcher does it: `app.update_processor.process_update(update, app.process_update(update))`.
The handler hands the answer to the conversation service (one SQLite transaction: update claimed,
answer saved, run moved on, next question rendered) and sends the reply with `Bot.send_message`,
through the rate limiter, to a request layer that answers at once with the Bot API's JSON (no
network). Updates are built beforehand with `Update.de_json`; each user starts `grow` with a `/grow`
update (not counted) and answers its leading free-text steps.

Two baselines run in the same process, interleaved with the full step in rounds so that background
load hits all of them alike:

  echo:  a bare python-telegram-bot Application (ApplicationBuilder, the same instant request layer,
         `concurrent_updates(256)`) whose one MessageHandler answers `reply_text(the same text)`;
  floor: baseline (a) of bench/engine.py, imported from there: one SQLAlchemy Core transaction with
         one SELECT, one INSERT and one UPDATE on the app's SQLite engine.

Composed limit of our stack: cost per step = echo cost per update + floor cost per transaction (each
= wall time of its timed loops / count); limit = 1 / that. Targets: the full step reaches at least
half the composed limit sequentially (one update at a time) and with 200 users answering at once
(each user sends its next answer when the previous one was answered), and at 200 users the p99
latency of a step stays within 5 × its p50. The floor is a single SQLite writer, so both limits use
its sequential cost; its cost under 200 concurrent clients is printed for reference.

Telegram's pacing is not the bot's cost: AIORateLimiter lets at most 30 messages a second through.
To measure what the bot can do, the measured Application's limiter gets an overall budget of 10^9
messages a second (its code still runs on every call). A short paced section (not with --quick)
then runs the limiter as shipped with 200 users answering at once, to show it sending at Telegram's
rate, and the capacity in messages per second is printed beside Telegram's 30.

The flood section queues one person's 1,000 messages on the Application's own update queue and
times another person's /help from `put` to its reply, against the same on an idle bot; target: at
most 10 × the idle latency (the bot keeps 50 of the flood and refuses the rest with one note).

    python bench/telegram.py [--steps N] [--users N] [--answers N] [--waves N] [--rounds N]
                             [--quick] [--profile]

`--profile` runs the full step under cProfile (sequentially and with the concurrent users; self
time grouped by who spends it, then the top functions), and then, without the profiler, measures
where a step's time goes: the service call, sending the reply, statement compilation (cache misses)
and the SQLite write lock (BEGIN IMMEDIATE waits, how long it is held, new connections).
"""

from __future__ import annotations

import sys
from pathlib import Path

from typing_extensions import override

if __package__ in (None, ""):  # run as `python bench/telegram.py`: this file must not be `telegram`
    _BENCH = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH]
    sys.path.insert(0, str(_BENCH.parent))

import argparse
import asyncio
import cProfile
import functools
import gc
import html
import io
import json
import logging
import math
import os
import pstats
import re
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiolimiter import AsyncLimiter
from sqlalchemy import event
from sqlalchemy.dialects.sqlite import dml as sqlite_dml
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import elements
from telegram import Update
from telegram.constants import FloodLimit
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, MessageHandler, filters
from telegram.request import BaseRequest, RequestData

from bench.common import (
    NS_PER_MS,
    NS_PER_S,
    TIMING_HEADERS,
    Timing,
    environment_lines,
    load_average,
    migrated_engine,
    package_version,
    percentile,
    service_on,
    table,
    timing_rows,
)
from bench.engine import DIALOG, CoreBench, Work, answer_text, count_answers, text_steps, workload
from bot.telegram import handlers
from bot.telegram.application import CoachApplication, build_application
from bot.telegram.context import CoachContext
from bot.telegram.inbox import Inbox
from prompts.catalog import default_catalog
from service.conversation import ConversationService

TOKEN = "123456:BENCH-coachbot-token"
BASE_URL = "https://api.telegram.invalid/bot"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "CoachBot", "username": "coachbot_bench_bot",
            "can_join_groups": False, "can_read_all_group_messages": False,
            "supports_inline_queries": False}
TARGET_RATIO = 0.5
TAIL_LIMIT = 5.0
TELEGRAM_RATE = int(FloodLimit.MESSAGES_PER_SECOND)  # what AIORateLimiter lets through overall
FLOOD = 1_000  # messages one person has queued in the flood section
FLOOD_LIMIT = 10.0  # another person's reply during the flood, at most this × idle
UNPACED_RATE = 1_000_000_000
FIRST_UPDATE_ID = 100_000_000
FIRST_USER_ID = 10_000_000
_TAG = re.compile(r"<[^>]+>")

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


class BenchError(RuntimeError):
    """The bot did not do what the benchmark counts on (an error, a missing reply, an unknown call)."""


# --- the instant Bot API --------------------------------------------------------------------------


class InstantRequest(BaseRequest):
    """A Bot API that answers every call at once with Telegram's JSON shapes, and counts the calls."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.unknown: list[str] = []
        self.send_times: list[int] | None = None  # perf_counter_ns of each sendMessage, when set
        self.sent_to: Counter[int] = Counter()  # sendMessage calls per chat
        self.watched: dict[int, asyncio.Event] = {}  # chat -> set at its next sendMessage
        self.kept: dict[int, dict[str, Any]] = {}  # chat -> its last sendMessage's parameters
        self._message_id = 0

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        """No connections to open."""

    async def shutdown(self) -> None:
        """No connections to close."""

    @override
    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = None, write_timeout: Any = None,
                         connect_timeout: Any = None, pool_timeout: Any = None) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        self.calls[name] += 1
        parameters = request_data.parameters if request_data is not None else {}
        if name == "sendMessage":
            if self.send_times is not None:
                self.send_times.append(time.perf_counter_ns())
            chat = int(parameters.get("chat_id", 0))
            self.sent_to[chat] += 1
            if chat in self.watched:
                self.watched.pop(chat).set()
            if chat in self.kept:
                self.kept[chat] = dict(parameters)
        result = self.result(name, parameters)
        if result is None:
            self.unknown.append(name)
            return 404, b'{"ok":false,"error_code":404,"description":"Not Found"}'
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def result(self, name: str, parameters: dict[str, Any]) -> object | None:
        if name == "sendMessage":
            self._message_id += 1
            return self.message(self._message_id, parameters)
        if name in ("editMessageText", "editMessageReplyMarkup"):
            return self.message(int(parameters.get("message_id", 0)), parameters)
        if name in ("answerCallbackQuery", "sendChatAction", "setMyCommands", "deleteWebhook"):
            return True
        if name == "getMe":
            return BOT_USER
        return None

    @staticmethod
    def message(message_id: int, parameters: dict[str, Any]) -> dict[str, Any]:
        """The sent or edited message as Telegram returns it: the text with its HTML parsed away."""
        chat_id = int(parameters.get("chat_id", 0))
        message: dict[str, Any] = {
            "message_id": message_id, "from": BOT_USER, "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"},
        }
        if "text" in parameters:
            message["text"] = html.unescape(_TAG.sub("", str(parameters["text"])))
        if "reply_markup" in parameters:
            markup = parameters["reply_markup"]
            message["reply_markup"] = json.loads(markup) if isinstance(markup, str) else markup
        return message

    def sent(self) -> int:
        return self.calls["sendMessage"]


# --- updates ---------------------------------------------------------------------------------------


class Updates:
    """Updates of private text messages from distinct users; update ids unique for the whole run."""

    def __init__(self) -> None:
        self.next_id = FIRST_UPDATE_ID
        self.next_user = FIRST_USER_ID

    def users(self, count: int) -> list[int]:
        first = self.next_user
        self.next_user += count
        return list(range(first, first + count))

    def text(self, bot: Any, user_id: int, text: str) -> Update:
        self.next_id += 1
        sender = {"id": user_id, "is_bot": False, "first_name": f"User {user_id}",
                  "language_code": "en"}
        message: dict[str, Any] = {
            "message_id": self.next_id, "from": sender, "date": int(time.time()), "text": text,
            "chat": {"id": user_id, "type": "private", "first_name": f"User {user_id}"},
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": len(text.split(" ", 1)[0])}]
        update = Update.de_json({"update_id": self.next_id, "message": message}, bot)
        assert update is not None
        return update


# --- the applications ------------------------------------------------------------------------------


@dataclass
class Running:
    """An initialised Application, its instant request layer, and the errors its handlers raised."""

    app: AnyApplication
    request: InstantRequest
    errors: list[BaseException] = field(default_factory=list)

    async def forget_handled(self) -> None:
        """Before another Application opens the same database: it would take up what this one
        handled but has not forgotten yet, as after a crash."""
        if isinstance(self.app.update_queue, Inbox):
            await self.app.update_queue.flush()

    async def process(self, update: Update) -> int:
        """One update the way the Application takes it, its latency in ns: saved in the inbox as
        `Inbox.put` does (the echo bot has none), then run as the update fetcher runs it."""
        start = time.perf_counter_ns()
        if isinstance(self.app.update_queue, Inbox):
            await self.app.update_queue.keep(update)
        await self.app.update_processor.process_update(update, self.app.process_update(update))
        return time.perf_counter_ns() - start

    def check(self) -> None:
        if self.errors:
            raise BenchError(f"{len(self.errors)} update(s) failed, first: {self.errors[0]!r}")
        if self.request.unknown:
            raise BenchError(f"unanswered Bot API methods: {sorted(set(self.request.unknown))}")

    async def close(self) -> None:
        await self.app.shutdown()
        if self.app.post_shutdown is not None:
            await self.app.post_shutdown(self.app)


def unpace(app: CoachApplication) -> None:
    """Lift AIORateLimiter's overall budget of 30 messages/s (its code still runs on every call)."""
    limiter = app.bot.rate_limiter
    if not isinstance(limiter, AIORateLimiter) or not hasattr(limiter, "_base_limiter"):
        raise BenchError("the application has no AIORateLimiter with an overall limiter to lift")
    limiter._base_limiter = AsyncLimiter(UNPACED_RATE, 1)


async def coach_bot(service: ConversationService, *, paced: bool = False) -> Running:
    """The product Application (build_application), initialised as run_polling would do it."""
    request = InstantRequest()
    app = build_application(TOKEN, base_url=BASE_URL, catalog=default_catalog(), service=service,
                            request=request, get_updates_request=InstantRequest())
    running = Running(app, request)

    async def record(_update: object, context: CoachContext) -> None:
        assert context.error is not None
        running.errors.append(context.error)

    app.add_error_handler(record)
    if not paced:
        unpace(app)
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)  # run_polling calls it after initialize(): the service, the menus
    return running


async def echo_bot() -> Running:
    """A bare python-telegram-bot echo: stock builder, stock concurrent processor, one handler."""
    request = InstantRequest()
    app: AnyApplication = (ApplicationBuilder().token(TOKEN).base_url(BASE_URL).request(request)
                           .get_updates_request(InstantRequest()).concurrent_updates(256).build())
    running = Running(app, request)

    async def echo(update: Update, _context: Any) -> None:
        assert update.message is not None
        assert update.message.text is not None
        await update.message.reply_text(update.message.text)

    async def record(_update: object, context: Any) -> None:
        running.errors.append(context.error)

    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_error_handler(record)
    await app.initialize()
    return running


# --- timed work ------------------------------------------------------------------------------------


@dataclass
class Chunk:
    """One timed loop: per-operation latencies, its wall and CPU time, the Bot API calls it made."""

    latencies: list[int]
    wall_ns: int
    cpu_ns: int
    calls: Counter[str]


async def timed(work: Callable[[], Awaitable[list[int]]], request: InstantRequest | None) -> Chunk:
    before = request.calls.copy() if request is not None else Counter[str]()
    gc.collect()
    cpu = time.process_time_ns()
    begin = time.perf_counter_ns()
    latencies = await work()
    wall = time.perf_counter_ns() - begin
    cpu = time.process_time_ns() - cpu
    calls = request.calls - before if request is not None else Counter[str]()
    return Chunk(latencies, wall, cpu, calls)


@dataclass
class Section:
    """One kind of timed work, folded over its chunks."""

    timing: Timing
    cpu_ns: int = 0
    calls: Counter[str] = field(default_factory=Counter)

    def add(self, chunk: Chunk) -> None:
        self.timing.add(chunk.latencies, chunk.wall_ns)
        self.cpu_ns += chunk.cpu_ns
        self.calls.update(chunk.calls)

    @property
    def label(self) -> str:
        return self.timing.label

    @property
    def cost_s(self) -> float:
        """Seconds of wall time per operation (1 / throughput)."""
        return self.timing.wall_ns / self.timing.count / NS_PER_S

    @property
    def cpu_ms(self) -> float:
        """CPU time of the whole process (all threads) per operation."""
        return self.cpu_ns / self.timing.count / NS_PER_MS

    def per_step(self, method: str) -> float:
        return self.calls[method] / self.timing.count

    def tail(self) -> float:
        return self.timing.quantile_ms(0.99) / self.timing.quantile_ms(0.5)


class DialogBench:
    """Users start `grow` (not timed) and answer its free-text steps through an Application."""

    def __init__(self, running: Running, updates: Updates, steps: tuple[str, ...]) -> None:
        self.running = running
        self.updates = updates
        self.steps = steps
        self.answered = 0

    def update(self, user: int, step: int) -> Update:
        return self.updates.text(self.running.app.bot, user, answer_text(user, step))

    async def start(self, users: list[int]) -> None:
        """Each user sends /grow, all at once through the processor; each must get a question."""
        sent = self.running.request.sent()
        bot = self.running.app.bot
        await asyncio.gather(*(self.running.process(self.updates.text(bot, user, f"/{DIALOG}"))
                               for user in users))
        self.running.check()
        if self.running.request.sent() - sent < len(users):
            raise BenchError(f"/{DIALOG} went unanswered")

    def sequential_plan(self, count: int) -> list[Update]:
        """`count` answers, round-robin over just enough fresh users (started, not timed)."""
        users = self.updates.users(math.ceil(count / len(self.steps)))
        return [self.update(user, step) for step in range(len(self.steps)) for user in users][:count]

    def concurrent_plans(self, users: int, answers: int) -> list[list[Update]]:
        """`users` fresh users, each with its first `answers` answers in order."""
        return [[self.update(user, step) for step in range(answers)]
                for user in self.updates.users(users)]

    async def prepared(self, plans: list[list[Update]]) -> None:
        users = sorted({plan[0].effective_user.id for plan in plans if plan[0].effective_user})
        await self.start(users)

    async def sequential(self, count: int) -> Chunk:
        plan = self.sequential_plan(count)
        await self.prepared([[update] for update in plan])
        return await self.timed_sequence(plan)

    async def timed_sequence(self, plan: list[Update]) -> Chunk:
        async def work() -> list[int]:
            return [await self.running.process(update) for update in plan]

        chunk = await timed(work, self.running.request)
        self.finish(chunk)
        return chunk

    async def concurrent(self, users: int, answers: int) -> Chunk:
        plans = self.concurrent_plans(users, answers)
        await self.prepared(plans)
        return await self.timed_users(plans)

    async def timed_users(self, plans: list[list[Update]]) -> Chunk:
        """Every user at once (asyncio.gather), each sending its answers one after another."""
        async def work() -> list[int]:
            latencies: list[int] = []

            async def user(plan: list[Update]) -> None:
                for update in plan:
                    latencies.append(await self.running.process(update))

            await asyncio.gather(*(user(plan) for plan in plans))
            return latencies

        chunk = await timed(work, self.running.request)
        self.finish(chunk)
        return chunk

    def finish(self, chunk: Chunk) -> None:
        self.running.check()
        if chunk.calls["sendMessage"] < len(chunk.latencies):
            raise BenchError(f"{len(chunk.latencies)} answers got {chunk.calls['sendMessage']} "
                             "messages")
        self.answered += len(chunk.latencies)


class EchoBench(DialogBench):
    """The same traffic to the bare echo bot; there is no dialog to start."""

    async def start(self, users: list[int]) -> None:
        """Nothing to start."""


class FloorBench:
    """bench/engine.py's baseline (a) transaction, one client at a time or many at once."""

    def __init__(self, core: CoreBench) -> None:
        self.core = core
        self.done = 0

    def works(self, count: int) -> list[Work]:
        works = [self.core.works[(self.done + i) % len(self.core.works)] for i in range(count)]
        self.done += count
        return works

    async def transaction(self, work: Work) -> int:
        start = time.perf_counter_ns()
        await self.core.transaction(work)
        return time.perf_counter_ns() - start

    async def sequential(self, count: int) -> Chunk:
        works = self.works(count)

        async def work() -> list[int]:
            return [await self.transaction(item) for item in works]

        return await timed(work, None)

    async def concurrent(self, clients: int, each: int) -> Chunk:
        works = self.works(clients * each)

        async def work() -> list[int]:
            latencies: list[int] = []

            async def client(mine: list[Work]) -> None:
                for item in mine:
                    latencies.append(await self.transaction(item))

            await asyncio.gather(*(client(works[i::clients]) for i in range(clients)))
            return latencies

        return await timed(work, None)


# --- the measured run ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    steps: int
    users: int
    answers: int
    waves: int
    rounds: int
    warmup: int
    warm_users: int
    paced: bool


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


class LogWatch(logging.Handler):
    """Every log record at the level `coachbot run` logs at (INFO), to show none carries an answer."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.name}: {record.getMessage()}")


@contextmanager
def watched_logs() -> Iterator[LogWatch]:
    """Logging configured like `coachbot run` (root at INFO, noisy libraries at WARNING), captured."""
    watch = LogWatch()
    root = logging.getLogger()
    level = root.level
    root.addHandler(watch)
    root.setLevel(logging.INFO)
    for noisy in ("httpx", "httpcore", "apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        yield watch
    finally:
        root.removeHandler(watch)
        root.setLevel(level)


@dataclass(frozen=True)
class Paced:
    users: int
    messages: int
    seconds: float
    steady_rate: float


async def measure(plan: Plan, directory: Path) -> None:
    keys = text_steps()
    updates = Updates()
    per_wave = plan.users * plan.answers
    print(f"\n{DIALOG!r}: {len(keys)} free-text steps in a row ({', '.join(keys)}).")
    print(f"sequential: {plan.steps:,} steps per section, users answering in turn; concurrent: "
          f"{plan.waves} wave(s) of {plan.users} fresh users answering {plan.answers} step(s) each "
          f"= {plan.waves * per_wave:,} steps per section; {plan.rounds} interleaved round(s); "
          f"warm-up first ({plan.warmup} sequential steps and a wave of "
          f"{plan.warm_users} users per section).")
    path = directory / "service.sqlite3"
    with watched_logs() as watch:
        async with migrated_engine(path) as engine:
            coach = await coach_bot(service_on(engine, path))
            echo = await echo_bot()
            core = await CoreBench.open(directory / "floor.sqlite3", workload(keys))
            full = DialogBench(coach, updates, keys)
            bare = EchoBench(echo, updates, keys)
            floor = FloorBench(core)
            try:
                warm_users = plan.warm_users
                await full.sequential(plan.warmup)
                await full.concurrent(warm_users, plan.answers)
                await bare.sequential(plan.warmup)
                await bare.concurrent(warm_users, plan.answers)
                await floor.sequential(plan.warmup)
                await floor.concurrent(warm_users, plan.answers)
                warm_answers = full.answered
                sections = {
                    "full_seq": Section(Timing("full step, sequential", [])),
                    "echo_seq": Section(Timing("echo, sequential", [])),
                    "floor_seq": Section(Timing("floor (a), sequential", [])),
                    "full_conc": Section(Timing(f"full step, {plan.users} users", [])),
                    "echo_conc": Section(Timing(f"echo, {plan.users} users", [])),
                    "floor_conc": Section(Timing(f"floor (a), {plan.users} clients", [])),
                }
                runners: dict[str, Callable[[int], Awaitable[Chunk]]] = {
                    "full_seq": full.sequential,
                    "echo_seq": bare.sequential,
                    "floor_seq": floor.sequential,
                    "full_conc": lambda _: full.concurrent(plan.users, plan.answers),
                    "echo_conc": lambda _: bare.concurrent(plan.users, plan.answers),
                    "floor_conc": lambda _: floor.concurrent(plan.users, plan.answers),
                }
                order = list(runners)
                started = time.perf_counter()
                for number, (chunk, waves) in enumerate(zip(split(plan.steps, plan.rounds),
                                                            split(plan.waves, plan.rounds),
                                                            strict=True)):
                    shift = number % len(order)
                    for name in order[shift:] + order[:shift]:
                        for _ in range(waves if name.endswith("_conc") else 1):
                            sections[name].add(await runners[name](chunk))
                measured_seconds = time.perf_counter() - started
                if (saved := await count_answers(engine)) != full.answered:
                    raise BenchError(f"the service saved {saved} answers, expected {full.answered}")
                if (rows := await core.entries()) != floor.done:
                    raise BenchError(f"the floor inserted {rows} rows, expected {floor.done}")
                paced = (await paced_section(engine, path, full, plan.users)
                         if plan.paced else None)
            finally:
                await coach.close()
                await echo.close()
                await core.close()
            flood = await flood_section(engine, path, updates)
    report(sections, paced, plan.users)
    print(flood.report())
    print(f"\n(measured rounds: {measured_seconds:.0f} s including the untimed /{DIALOG} starts; "
          f"answers saved by the service: {full.answered:,}, {warm_answers:,} of them warm-up)")
    answers_seen = [m for m in watch.messages if "Answer " in m or " of user " in m]
    print(f"log records at INFO during the run: {len(watch.messages)}; carrying answer text: "
          f"{len(answers_seen)}")
    if answers_seen:
        raise BenchError("answer text reached the log")


async def paced_section(engine: AsyncEngine, path: Path, full: DialogBench, users: int) -> Paced:
    """The rate limiter as shipped: `users` users (started on the unpaced bot) answer at once."""
    plans = full.concurrent_plans(users, 1)
    await full.prepared(plans)
    await full.running.forget_handled()
    paced = await coach_bot(service_on(engine, path), paced=True)
    try:
        bench = DialogBench(paced, full.updates, full.steps)
        times: list[int] = []
        paced.request.send_times = times
        chunk = await bench.timed_users(plans)
        # The limiter's bucket starts full: its first 30 messages go at once, then 30 a second.
        steady = ((len(times) - 1 - TELEGRAM_RATE) * NS_PER_S / (times[-1] - times[TELEGRAM_RATE])
                  if len(times) > TELEGRAM_RATE + 1 else float("nan"))
        return Paced(users, chunk.calls["sendMessage"], chunk.wall_ns / NS_PER_S, steady)
    finally:
        await paced.close()


@dataclass(frozen=True)
class Flood:
    """Another person's /help latency, idle and while one person's flood is queued."""

    idle_ms: float
    flooded_ms: float
    flooder_messages: int

    def report(self) -> str:
        ratio = self.flooded_ms / self.idle_ms
        verdict = "MET" if ratio <= FLOOD_LIMIT else "MISSED"
        return (f"\nflood ({FLOOD:,} messages of one person queued): /help of another person "
                f"{self.flooded_ms:,.1f} ms / idle {self.idle_ms:,.1f} ms = {ratio:.2f}; "
                f"target ≤ {FLOOD_LIMIT:g}: {verdict}\n  (the flooding person got "
                f"{self.flooder_messages:,} messages: the replies to the backlog the bot keeps "
                f"and one note to slow down)")


async def flood_section(engine: AsyncEngine, path: Path, updates: Updates) -> Flood:
    """One person's messages are queued on the Application's own update queue (the inbox) while
    it is stopped; started again, its update fetcher and per-person processor take them. Another
    person's /help is timed from `put` to its reply: idle (median of 5), and right after the flood.
    The Bot API answers at once and the rate limiter is lifted, as in the sections above: with
    Telegram's 30 messages a second, the reply may also wait up to 1/30 s for the shared budget."""
    running = await coach_bot(service_on(engine, path))
    app, request = running.app, running.request
    flooder, other = updates.users(2)

    async def reply_ms(user: int, text: str) -> float:
        replied = request.watched[user] = asyncio.Event()
        start = time.perf_counter_ns()
        await app.update_queue.put(updates.text(app.bot, user, text))
        await asyncio.wait_for(replied.wait(), 300)
        return (time.perf_counter_ns() - start) / NS_PER_MS

    async def settled(latency: float) -> float:
        await app.update_queue.join()
        return latency

    await app.start()
    try:
        for user in (other, flooder):
            await settled(await reply_ms(user, "/start"))
        idle = statistics.median([await settled(await reply_ms(other, "/help")) for _ in range(5)])
        before = request.sent_to[flooder]
        await app.stop()  # the flood is queued (and saved in the inbox) before any of it is handled
        for number in range(FLOOD):
            await app.update_queue.put(updates.text(app.bot, flooder, f"message {number}"))
        await app.start()
        flooded = await settled(await reply_ms(other, "/help"))
    finally:
        if app.running:
            await app.stop()
        await running.close()
    running.check()
    return Flood(idle, flooded, request.sent_to[flooder] - before)


def ratio_line(label: str, measured: float, limit: float) -> str:
    ratio = measured / limit
    verdict = "MET" if ratio >= TARGET_RATIO else "MISSED"
    return (f"{label} {measured:,.1f} steps/s / composed limit {limit:,.1f} steps/s = {ratio:.2f};"
            f" target ≥ {TARGET_RATIO}: {verdict}")


def report(sections: dict[str, Section], paced: Paced | None, users: int) -> None:
    print()
    print(table((*TIMING_HEADERS, "wall ms/op", "CPU ms/op"),
                [[*row, f"{s.cost_s * 1e3:.3f}", f"{s.cpu_ms:.3f}"]
                 for row, s in zip(timing_rows([s.timing for s in sections.values()]),
                                   sections.values(), strict=True)]))
    print("(per s and wall ms/op from the wall time of the timed loops; CPU ms/op: the whole "
          "process, SQLite's threads included)")

    full_seq, echo_seq, floor_seq = sections["full_seq"], sections["echo_seq"], sections["floor_seq"]
    full_conc, echo_conc, floor_conc = (sections["full_conc"], sections["echo_conc"],
                                        sections["floor_conc"])
    print("\nBot API calls per step (timed sections):")
    for section in (full_seq, full_conc, echo_seq, echo_conc):
        calls = ", ".join(f"{name} {count / section.timing.count:.2f}"
                          for name, count in sorted(section.calls.items())) or "none"
        print(f"  {section.label:<24} {calls}")

    seq_limit = 1 / (echo_seq.cost_s + floor_seq.cost_s)
    conc_limit = 1 / (echo_conc.cost_s + floor_seq.cost_s)
    print("\ncomposed limit = 1 / (echo wall ms per update + floor wall ms per transaction):")
    print(f"  sequential: 1 / ({echo_seq.cost_s * 1e3:.3f} + {floor_seq.cost_s * 1e3:.3f} ms) = "
          f"{seq_limit:,.1f} steps/s")
    print(f"  {users} users:  1 / ({echo_conc.cost_s * 1e3:.3f} + {floor_seq.cost_s * 1e3:.3f} ms) = "
          f"{conc_limit:,.1f} steps/s  (the floor's sequential cost: one SQLite writer)")
    loaded_limit = 1 / (echo_conc.cost_s + floor_conc.cost_s)
    print(f"  for reference, with the floor at {users} concurrent clients "
          f"({floor_conc.cost_s * 1e3:.3f} ms): {loaded_limit:,.1f} steps/s; full step / that = "
          f"{full_conc.timing.per_second / loaded_limit:.2f}")
    print()
    print(ratio_line("sequential:", full_seq.timing.per_second, seq_limit))
    print(ratio_line(f"{users} users: ", full_conc.timing.per_second, conc_limit))
    p50, p99 = full_conc.timing.quantile_ms(0.5), full_conc.timing.quantile_ms(0.99)
    print(f"p99 / p50 at {users} users: {p99:,.2f} / {p50:,.2f} ms = {full_conc.tail():.2f}; "
          f"≤ {TAIL_LIMIT:g}: {'MET' if full_conc.tail() <= TAIL_LIMIT else 'MISSED'}")
    print(f"  (for reference: echo at {users} users {echo_conc.tail():.2f}, floor at {users} "
          f"clients {floor_conc.tail():.2f}; sequential full step "
          f"{full_seq.tail():.2f})")

    sends = full_conc.per_step("sendMessage")
    capacity = full_conc.timing.per_second * sends
    print(f"\nmessages sent per step: {full_seq.per_step('sendMessage'):.2f} sequential, "
          f"{sends:.2f} at {users} users; capacity at {users} users {capacity:,.0f} messages/s = "
          f"{capacity / TELEGRAM_RATE:.1f} × Telegram's ~{TELEGRAM_RATE} messages/s")
    if paced is not None:
        print(f"paced (AIORateLimiter as shipped), {paced.users} users answering at once: "
              f"{paced.messages} messages in {paced.seconds:.2f} s; after the limiter's initial "
              f"burst of {TELEGRAM_RATE}: {paced.steady_rate:.1f} messages/s (the limiter sets the "
              f"pace, not the bot)")


# --- profile and breakdown -------------------------------------------------------------------------


COMPILE = "SQL compiled (statement cache misses)"
EXCLUDED = "INSERT … ON CONFLICT `excluded` built"


class Breakdown:
    """Where a step's wall time goes, without a profiler: wrappers around the service call, the
    sending of the reply, SQLAlchemy's statement compiler (a cache miss), the `excluded` namespace
    of SQLite's INSERT … ON CONFLICT, and SQLite write-lock events (BEGIN IMMEDIATE waits, how long
    the lock is held, new connections)."""

    def __init__(self, service: ConversationService, engine: AsyncEngine) -> None:
        self.service = service
        self.engine = engine
        self.totals: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()
        self.compiled: Counter[str] = Counter()
        self.begin_waits: list[int] = []
        self.held: list[tuple[int, int]] = []
        self._locked_at: dict[int, int] = {}
        self._undo: list[Callable[[], None]] = []

    def add(self, name: str, ns: int) -> None:
        self.totals[name] += ns
        self.counts[name] += 1

    def reset(self) -> None:
        for store in (self.totals, self.counts, self.compiled):
            store.clear()
        self.begin_waits.clear()
        self.held.clear()

    @contextmanager
    def installed(self) -> Iterator[Breakdown]:
        self._wrap_async(self.service, "handle", "service.handle (one transaction)")
        self._wrap_async(handlers, "deliver", "deliver (Bot API, rate limiter)")
        compiler = elements.CompilerElement._compiler

        def compile_probe(element: Any, dialect: Any, **kw: Any) -> Any:
            start = time.perf_counter_ns()
            compiled = compiler(element, dialect, **kw)
            self.add(COMPILE, time.perf_counter_ns() - start)
            self.compiled[" ".join(str(getattr(compiled, "string", "?")).split()[:4])] += 1
            return compiled

        setattr(elements.CompilerElement, "_compiler", compile_probe)  # noqa: B010
        self._undo.append(lambda: setattr(elements.CompilerElement, "_compiler", compiler))
        descriptor = sqlite_dml.Insert.__dict__["excluded"]
        excluded = descriptor.fget

        def excluded_probe(statement: Any) -> Any:
            start = time.perf_counter_ns()
            try:
                return excluded(statement)
            finally:
                self.add(EXCLUDED, time.perf_counter_ns() - start)

        descriptor.fget = excluded_probe
        self._undo.append(lambda: setattr(descriptor, "fget", excluded))
        sync = self.engine.sync_engine
        listeners: list[tuple[Any, str, Callable[..., None]]] = [
            (sync, "connect", self._on_connect), (sync, "before_cursor_execute", self._before),
            (sync, "after_cursor_execute", self._after), (sync.pool, "checkin", self._on_checkin)]
        for target, name, listener in listeners:
            event.listen(target, name, listener)
            self._undo.append(functools.partial(event.remove, target, name, listener))
        try:
            yield self
        finally:
            while self._undo:
                self._undo.pop()()

    def _wrap_async(self, owner: Any, name: str, label: str) -> None:
        original = getattr(owner, name)

        async def probe(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter_ns()
            try:
                return await original(*args, **kwargs)
            finally:
                self.add(label, time.perf_counter_ns() - start)

        setattr(owner, name, probe)
        if owner is self.service:
            self._undo.append(lambda: delattr(owner, name))
        else:
            self._undo.append(lambda: setattr(owner, name, original))

    def _on_connect(self, *_: Any) -> None:
        self.counts["new SQLite connections"] += 1

    def _before(self, conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("BEGIN"):
            conn.info["bench_begin"] = time.perf_counter_ns()

    def _after(self, conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("BEGIN"):
            now = time.perf_counter_ns()
            self.begin_waits.append(now - conn.info.pop("bench_begin", now))
            self._locked_at[id(conn.connection.dbapi_connection)] = now

    def _on_checkin(self, dbapi_connection: Any, _record: Any) -> None:
        locked = self._locked_at.pop(id(dbapi_connection), None)
        if locked is not None:
            self.held.append((locked, time.perf_counter_ns()))

    def print(self, label: str, chunk: Chunk) -> None:
        steps = len(chunk.latencies)
        total = sum(chunk.latencies)
        print(f"\n--- where a step's time goes: {label} ({steps} steps, no profiler; "
              f"{steps * NS_PER_S / chunk.wall_ns:,.1f} steps/s; wrappers add a little) ---")
        print(f"  {'step latency (process_update)':<40} {total / steps / NS_PER_MS:8.3f} ms  100%")
        for name in (COMPILE, EXCLUDED):
            self.totals[name] += 0  # printed even when nothing was compiled or built
        for name in sorted(self.totals, key=lambda n: -self.totals[n]):
            share = self.totals[name] / total
            print(f"  {name:<40} {self.totals[name] / steps / NS_PER_MS:8.3f} ms  {share:4.0%}"
                  f"   ({self.counts[name] / steps:.2f} per step)")
        for text, count in self.compiled.most_common(5):
            print(f"      compiled {count / steps:.2f}× per step: {text} …")
        print(f"  new SQLite connections: {self.counts['new SQLite connections']}")
        if self.begin_waits:
            waits = sorted(self.begin_waits)
            print(f"  BEGIN IMMEDIATE wait for the write lock: p50 {percentile(waits, 0.5) / 1e6:.2f}"
                  f" ms, p99 {percentile(waits, 0.99) / 1e6:.2f} ms, mean "
                  f"{sum(waits) / len(waits) / 1e6:.2f} ms")
        if self.held:
            held = sorted(end - start for start, end in self.held)
            span = max(end for _, end in self.held) - min(start for start, _ in self.held)
            print(f"  write lock held (BEGIN done → connection back in the pool): p50 "
                  f"{percentile(held, 0.5) / 1e6:.2f} ms, p99 {percentile(held, 0.99) / 1e6:.2f} "
                  f"ms, mean {sum(held) / len(held) / 1e6:.2f} ms; held {sum(held) / span:.0%} of "
                  "the time from the first BEGIN to the last return")


# Where profiled self time goes, by who spends it (the first matching pattern wins).
SHARES = (
    ("event loop idle in epoll (waiting for SQLite's threads)", ("select.epoll",)),
    ("thread hand-off (aiosqlite queue, self-pipe wake-ups)",
     ("_queue.SimpleQueue", "_socket.socket", "aiosqlite", "selector_events.py")),
    ("SQLAlchemy (statements, cache keys, results, session)", ("sqlalchemy",)),
    ("greenlet switches (SQLAlchemy's async bridge)", ("greenlet",)),
    ("python-telegram-bot (dispatch, objects, Bot API calls)", ("telegram/", "aiolimiter")),
    ("coachbot (handlers, service, engine, rendering)", ("coachbot",)),
    ("json", ("json",)),
    ("asyncio scheduling", ("asyncio", "selectors.py", "_contextvars")),
)


def print_shares(profiler: cProfile.Profile, label: str, steps: int) -> None:
    """Self time of the profiled run grouped by who spends it, per step and as a share."""
    totals: Counter[str] = Counter()
    stats: dict[tuple[str, int, str], tuple[Any, ...]] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    for (filename, _, function), (_, _, tottime, *_) in stats.items():
        where = f"{filename} {function}"
        name = next((name for name, patterns in SHARES if any(p in where for p in patterns)),
                    "other (bench loop, builtins, gc)")
        totals[name] += tottime
    whole = sum(totals.values())
    print(f"\n--- full step, {label}, under cProfile: self time by who spends it "
          f"({whole:.2f} s, {whole / steps * 1e3:.2f} ms per step with the profiler's overhead) ---")
    for name, seconds in totals.most_common():
        print(f"  {name:<58} {seconds / steps * 1e3:7.3f} ms/step  {seconds / whole:4.0%}")


async def profile(steps: int, users: int, answers: int, directory: Path, top: int) -> None:
    keys = text_steps()
    updates = Updates()
    path = directory / "profile.sqlite3"
    async with migrated_engine(path) as engine:
        service = service_on(engine, path)
        coach = await coach_bot(service)
        full = DialogBench(coach, updates, keys)
        try:
            await full.sequential(200)
            await full.concurrent(50, answers)
            sequential = full.sequential_plan(steps)
            await full.prepared([[update] for update in sequential])
            concurrent = full.concurrent_plans(users, answers)
            await full.prepared(concurrent)
            runs: list[tuple[str, Callable[[], Awaitable[Chunk]]]] = [
                (f"{len(sequential)} sequential steps", lambda: full.timed_sequence(sequential)),
                (f"{users} users × {answers} steps", lambda: full.timed_users(concurrent))]
            for label, work in runs:
                profiler = cProfile.Profile()
                profiler.enable()
                chunk = await work()
                profiler.disable()
                print_shares(profiler, label, len(chunk.latencies))
                for order in ("tottime", "cumulative"):
                    stream = io.StringIO()
                    pstats.Stats(profiler, stream=stream).sort_stats(order).print_stats(top)
                    print(f"\n--- full step, {label}, under cProfile "
                          f"({chunk.wall_ns / NS_PER_S:.2f} s), by {order} ---")
                    print(stream.getvalue().strip())
            breakdown = Breakdown(service, engine)
            with breakdown.installed():
                for label, count in ((f"sequential, {steps} steps", 0), (f"{users} users", users)):
                    if count:
                        plans = full.concurrent_plans(users, answers)
                        await full.prepared(plans)
                        breakdown.reset()
                        chunk = await full.timed_users(plans)
                    else:
                        plan = full.sequential_plan(steps)
                        await full.prepared([[update] for update in plan])
                        breakdown.reset()
                        chunk = await full.timed_sequence(plan)
                    breakdown.print(label, chunk)
        finally:
            await coach.close()


# --- main ------------------------------------------------------------------------------------------


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--steps", type=int, default=None,
                        help="timed sequential steps per section (default 2400; quick: 150)")
    parser.add_argument("--users", type=int, default=200,
                        help="users answering at once in the concurrent sections (default 200)")
    parser.add_argument("--answers", type=int, default=None,
                        help="answers each concurrent user sends in a row (default: all 5 free-text "
                             "steps; quick: 2)")
    parser.add_argument("--waves", type=int, default=None,
                        help="waves of fresh concurrent users per concurrent section "
                             "(default 3; quick: 1)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="interleaved rounds (default 3; quick: 1)")
    parser.add_argument("--quick", action="store_true", help="a short smoke run (~15 s)")
    parser.add_argument("--profile", action="store_true",
                        help="only profile the full step (cProfile) and break its time down")
    parser.add_argument("--top", type=int, default=30, help="rows per profile listing")
    args = parser.parse_args(argv)
    args.steps = args.steps or (150 if args.quick else 2400)
    args.answers = args.answers or (2 if args.quick else len(text_steps()))
    args.waves = args.waves or (1 if args.quick else 3)
    args.rounds = args.rounds or (1 if args.quick else 3)
    if args.steps < args.rounds or args.waves < args.rounds or args.users < 1:
        parser.error("need --steps ≥ --rounds, --waves ≥ --rounds, --users ≥ 1")
    if not 1 <= args.answers <= len(text_steps()):
        parser.error(f"--answers: {DIALOG!r} has {len(text_steps())} free-text steps in a row")
    return args


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("PTB_TIMEDELTA", "true")  # PTB 22 warns about int time periods otherwise
    args = arguments(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="coachbot-bench-") as name:
        directory = Path(name)
        if args.profile:
            asyncio.run(profile(args.steps, args.users, args.answers, directory, args.top))
            return
        print("coachbot Telegram benchmark: dialog steps through Application.process_update, "
              "with a Bot API that answers at once")
        for line in environment_lines():
            print("  " + line)
        print(f"  python-telegram-bot {package_version('python-telegram-bot')}, "
              f"aiolimiter {package_version('aiolimiter')}; database files in {directory}")
        plan = Plan(steps=args.steps, users=args.users, answers=args.answers, waves=args.waves,
                    rounds=args.rounds, warmup=30 if args.quick else 300,
                    warm_users=min(args.users, 20 if args.quick else 50), paced=not args.quick)
        asyncio.run(measure(plan, directory))
    print(f"\ndone in {time.perf_counter() - started:.0f} s; load average now {load_average()}")


if __name__ == "__main__":
    main()
