"""Scheduled items: next occurrences, dispatch throughput, memory, and Telegram's pace.

1. Rules: 100,000 people's rhythms (daily, weekly, fortnightly, monthly, in ten IANA zones), the
   next occurrence of each computed with `service.schedule.rhythm.next_occurrence` (µs per rule,
   the rule read from its JSON included).
2. Throughput: 10,000 items due at once on a SQLite file, dispatched by the product Application
   (`build_application(dispatch_every=…)`: the JobQueue tick claims batches, each item is opened in
   its person's turn (one transaction: claim checked, marked sent, the next occurrence planned)
   and delivered through the per-person ordered path) against a Bot API that answers at once, the
   rate limiter lifted. Beside it, in the same run and on the same bot, a bare loop calling
   `bot.send_message` once per item. Target: dispatch ≥ 0.5 × the bare loop.
3. Memory: the same 10,000 due items dispatched with 10,000 and with 100,000 people (each with a
   rule and a pending item) in the database, each in a fresh process traced by tracemalloc. Flat:
   the peak growth with 100,000 people within 1.5 × that with 10,000.
4. Pace: with the limiter as shipped (30 messages/s), 20 s of a fan-out: the achieved rate within
   3 % of 30/s, and no second (counted from the first message) above 30.

    python bench/schedule.py [--quick]
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/schedule.py`
    _BENCH = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH]
    sys.path.insert(0, str(_BENCH.parent))

import argparse
import asyncio
import gc
import json
import os
import subprocess
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any

from sqlalchemy import func, insert, select

from bench.common import (
    NS_PER_S,
    emit_json,
    environment_lines,
    load_average,
    mebibytes,
    migrated_engine,
    package_version,
)
from bench.telegram import InstantRequest, unpace
from bot.telegram.application import CoachApplication, build_application
from bot.telegram.context import CoachContext
from bot.telegram.sending import keyboard, send_text
from dialogs.registry import default_scripts
from prompts.catalog import default_catalog
from service.conversation import ConversationService
from service.messages import OutMessage, Response
from service.schedule.kinds import PersonKind, Planner, Registry
from service.schedule.registry import default_registry
from service.schedule.rhythm import Rhythm, next_occurrence
from service.turn import Turn
from storage.database import create_sessionmaker
from storage.rows import ITEMS, SCHEDULES, USERS
from storage.schedule import ItemRecord, NewItem
from storage.users import create_user
from storage.vocabulary import ItemStatus, JSONObject

KIND = "bench"
TARGET_RATIO = 0.5
FLAT_LIMIT = 1.5
NOISE_BYTES = 64 * 1024
RATE = 30
RATE_TOLERANCE = 0.03
FIRST_USER = 20_000_000
ZONES = ("Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata",
         "Pacific/Chatham", "UTC", "America/Sao_Paulo", "Asia/Tokyo", "Africa/Nairobi",
         "Europe/London")
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class BenchError(RuntimeError):
    """The dispatcher did not do what the benchmark counts on."""


# --- rules -----------------------------------------------------------------------------------


def rule(number: int) -> JSONObject:
    """A varied rhythm: daily, weekly, fortnightly or monthly, at a varied minute."""
    at = clock_time(6 + number % 14, (number * 7) % 60)
    shape = number % 4
    if shape == 0:
        rhythm = Rhythm(at)
    elif shape == 1:
        rhythm = Rhythm(at, frozenset({number % 7, (number + 3) % 7}))
    elif shape == 2:
        rhythm = Rhythm(at, frozenset({number % 7}), every_weeks=2,
                        anchor=date(2026, 1, 5) + timedelta(days=number % 14))
    else:
        rhythm = Rhythm(at, frozenset({number % 7}), nth=(1, 2, 3, 4, -1)[number % 5])
    return rhythm.to_json()


def occurrences(people: int) -> float:
    """µs per rule: read the rule, compute its next occurrence in the person's zone."""
    rules = [(rule(n), ZONES[n % len(ZONES)]) for n in range(people)]
    after = START
    begin = time.perf_counter_ns()
    for data, zone in rules:
        next_occurrence(Rhythm.from_json(data), zone, after)
    return (time.perf_counter_ns() - begin) / people / 1000


# --- the kind being dispatched ---------------------------------------------------------------


#: What each dispatched item sends here, and the bare loop too.
BARE = OutMessage("Time for your check-in: how did this week go?")


async def invitation(_turn: Turn, _item: ItemRecord) -> Response:
    return Response(messages=(BARE,))


async def plan(turn: Turn, rules: Mapping[str, JSONObject]) -> Iterable[NewItem]:
    """The next occurrence of the person's rhythm, as the shipped planners make it."""
    if KIND not in rules:
        return ()
    due = next_occurrence(Rhythm.from_json(rules[KIND]), turn.user.timezone, turn.now)
    return (NewItem(f"{KIND}:{turn.user.id}:{due.isoformat()}", KIND, turn.user.id, due, {}),)


def registry() -> Registry:
    return default_registry().add(PersonKind(KIND, invitation), Planner(frozenset({KIND}), plan))


def service_on(engine: Any) -> ConversationService:
    return ConversationService(create_sessionmaker(engine), scripts=default_scripts(),
                               catalog=default_catalog(), clock=lambda: datetime.now(UTC),
                               schedule=registry())


async def seed(service: ConversationService, people: int, due_now: int) -> list[int]:
    """`people` people with a rule and one pending item each; `due_now` of them due a minute ago,
    the rest tomorrow. Their Telegram ids."""
    now = datetime.now(UTC)
    chunk = 5_000
    async with service.sessionmaker.begin() as session:
        await create_user(session, 1, name="Template", language="en", timezone="UTC", now=now)
        template = dict((await session.execute(select(USERS).where(USERS.c.telegram_id == 1)))
                        .one()._mapping)
        del template["id"]
        ids = list(range(FIRST_USER, FIRST_USER + people))
        for start in range(0, people, chunk):
            await session.execute(insert(USERS), [
                {**template, "telegram_id": i, "name": f"User {i}",
                 "timezone": ZONES[i % len(ZONES)]} for i in ids[start:start + chunk]])
        user_ids = dict((await session.execute(select(USERS.c.telegram_id, USERS.c.id)
                                               .where(USERS.c.telegram_id >= FIRST_USER))).all())
        for start in range(0, people, chunk):
            part = ids[start:start + chunk]
            await session.execute(insert(SCHEDULES), [
                {"user_id": user_ids[i], "kind": KIND, "rule": rule(i), "created_at": now,
                 "updated_at": now} for i in part])
            items = []
            for n, i in enumerate(part, start):
                due = now - timedelta(minutes=1) if n < due_now else now + timedelta(days=1)
                items.append({"key": f"{KIND}:{user_ids[i]}:seed", "kind": KIND,
                              "user_id": user_ids[i], "due_at": due,
                              "status": ItemStatus.PENDING.value, "attempts": 0, "payload": {},
                              "created_at": now, "updated_at": now})
            await session.execute(insert(ITEMS), items)
    return ids


# --- one dispatch run ------------------------------------------------------------------------


class Bot:
    """The product Application on an instant Bot API, its dispatcher ticking every 20 ms."""

    def __init__(self, service: ConversationService, *, paced: bool) -> None:
        self.request = InstantRequest()
        self.request.send_times = []
        self.app: CoachApplication = build_application(
            "123456:BENCH-schedule", base_url="https://api.telegram.invalid/bot",
            catalog=default_catalog(), service=service, request=self.request,
            get_updates_request=InstantRequest(), dispatch_every=0.02)
        self.paced = paced
        self.errors: list[BaseException] = []

        async def record(_update: object, context: CoachContext) -> None:
            assert context.error is not None
            self.errors.append(context.error)

        self.app.add_error_handler(record)

    async def __aenter__(self) -> Bot:
        await self.app.initialize()
        if not self.paced:
            unpace(self.app)
        return self

    async def dispatch(self, expected: int, timeout: float) -> tuple[float, list[int]]:  # noqa: ASYNC109
        """Start the application (its first tick at once) and wait for `expected` messages:
        seconds from the start to the last, and each message's time. The clock starts once the
        application is set up (`post_init`: its menus), when it starts to run its jobs."""
        before = self.request.sent()
        assert self.app.post_init is not None
        await self.app.post_init(self.app)  # the bot's own set-up (its menus), not dispatching
        begin = time.perf_counter_ns()
        await self.app.start()
        deadline = time.perf_counter() + timeout
        while self.request.sent() - before < expected and time.perf_counter() < deadline:
            if self.errors:
                raise BenchError(f"dispatch failed: {self.errors[0]!r}")
            await asyncio.sleep(0.005)
        assert self.request.send_times is not None
        times = self.request.send_times[-(self.request.sent() - before):]
        await self.app.stop()
        if self.errors:
            raise BenchError(f"dispatch failed: {self.errors[0]!r}")
        return (times[-1] - begin) / NS_PER_S if times else 0.0, times

    async def bare(self, chats: list[int], message: OutMessage = BARE, *, raw: bool = False) -> float:
        """Messages a second of a loop calling bot.send_message once per chat (with `message`'s
        text and buttons: the message dispatched, so the ratio is what dispatching adds). `raw`:
        sending as the product does (`send_text`: Telegram's answer not read back into a
        `Message`), to show what the ratio owes to that."""
        markup = keyboard(message)
        bot = self.app.bot
        begin = time.perf_counter_ns()
        for chat in chats:
            if raw:
                await send_text(bot, chat, message.text, message.buttons)
            else:
                await bot.send_message(chat, message.text, reply_markup=markup)
        return len(chats) * NS_PER_S / (time.perf_counter_ns() - begin)

    async def __aexit__(self, *_exc: object) -> None:
        if self.app.running:  # a dispatch that failed midway
            await self.app.stop()
        await self.app.shutdown()
        if self.app.post_shutdown is not None:
            await self.app.post_shutdown(self.app)


async def sent_items(service: ConversationService) -> int:
    """The seeded items marked sent (a person's next occurrence may fall due during a long run
    and be sent too: that is the product working, not one of the items counted)."""
    async with service.sessionmaker.begin() as session:
        return int(await session.scalar(select(func.count()).select_from(ITEMS).where(
            ITEMS.c.kind == KIND, ITEMS.c.key.endswith(":seed"),
            ITEMS.c.status == ItemStatus.SENT.value)) or 0)


async def throughput(items: int, directory: Path) -> tuple[float, float, float]:
    """(dispatched items/s, bare send_message/s, bare as the product sends/s), measured in the
    same run."""
    async with migrated_engine(directory / "throughput.sqlite3") as engine:
        service = service_on(engine)
        chats = await seed(service, items, items)
        async with Bot(service, paced=False) as bot:
            bare_before = await bot.bare(chats[: items // 2])
            seconds, _ = await bot.dispatch(items, timeout=600)
            bare_after = await bot.bare(chats[: items // 2])
            raw = await bot.bare(chats[: items // 2], raw=True)
        if (sent := await sent_items(service)) != items:
            raise BenchError(f"{sent} items marked sent, expected {items}")
    return items / seconds, (bare_before + bare_after) / 2, raw


async def paced(seconds: int, directory: Path) -> tuple[float, int, int]:
    """(messages a second over `seconds`, the busiest second, messages counted) as shipped."""
    items = RATE * seconds + RATE * 2  # enough to stay saturated throughout
    async with migrated_engine(directory / "paced.sqlite3") as engine:
        service = service_on(engine)
        await seed(service, items, items)
        async with Bot(service, paced=True) as bot:
            _, times = await bot.dispatch(RATE * seconds + 1, timeout=seconds * 3)
    first = times[0]
    window = [t for t in times if t - first < seconds * NS_PER_S]
    per_second = Counter((t - first) // NS_PER_S for t in window)
    return len(window) / seconds, max(per_second.values()), len(window)


async def memory_child(people: int, items: int, directory: Path) -> None:
    """In a fresh process: seed, then trace the heap while `items` due items are dispatched."""
    tracemalloc.start()
    path = Path(tempfile.mkdtemp(dir=directory)) / f"memory-{people}.sqlite3"
    async with migrated_engine(path) as engine:
        service = service_on(engine)
        await seed(service, people, items)
        async with Bot(service, paced=False) as bot:
            gc.collect()
            before = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            seconds, _ = await bot.dispatch(items, timeout=1200)
            peak = tracemalloc.get_traced_memory()[1]
        gc.collect()
        retained = tracemalloc.get_traced_memory()[0]
        if (sent := await sent_items(service)) != items:
            raise BenchError(f"{sent} items marked sent, expected {items}")
    emit_json({"people": people, "before": before, "peak": peak, "retained": retained,
               "seconds": seconds})


def memory(small: int, large: int, items: int, directory: Path) -> dict[int, dict[str, Any]]:
    children = {people: subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--memory-child", str(people),
         "--items", str(items), "--directory", str(directory)], stdout=subprocess.PIPE, text=True)
        for people in (small, large)}
    results = {}
    for people, child in children.items():
        out, _ = child.communicate()
        if child.returncode != 0:
            raise BenchError(f"memory run with {people} people failed ({child.returncode})")
        results[people] = json.loads(out.strip().splitlines()[-1])
    return results


# --- main ------------------------------------------------------------------------------------


def verdict(met: bool) -> str:
    return "MET" if met else "MISSED"


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--people", type=int, default=None,
                        help="people with rules (default 100,000; quick: 10,000)")
    parser.add_argument("--items", type=int, default=None,
                        help="items due at once (default 10,000; quick: 1,000)")
    parser.add_argument("--pace-seconds", type=int, default=None,
                        help="length of the paced fan-out (default 20; quick: 5)")
    parser.add_argument("--memory-child", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--directory", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child is not None:
        asyncio.run(memory_child(args.memory_child, args.items, args.directory))
        return
    people, items, pace = (10_000, 1_000, 5) if args.quick else (100_000, 10_000, 20)
    people, items, pace = args.people or people, args.items or items, args.pace_seconds or pace
    started = time.perf_counter()
    print("coachbot scheduling benchmark")
    for line in environment_lines():
        print("  " + line)
    print(f"  python-telegram-bot {package_version('python-telegram-bot')}, "
          f"APScheduler {package_version('APScheduler')}")

    per_rule = occurrences(people)
    print(f"\nnext occurrence: {per_rule:.1f} µs per rule ({people:,} people's rules, "
          f"{len(ZONES)} zones, read from JSON and computed)")

    with tempfile.TemporaryDirectory(prefix="coachbot-bench-") as name:
        directory = Path(name)
        dispatched, bare, raw = asyncio.run(throughput(items, directory))
        ratio = dispatched / bare
        print(f"\n{items:,} items due at once, limiter lifted, instant Bot API:")
        print(f"dispatch: {dispatched:,.1f} items/s / baseline bare send_message "
              f"{bare:,.1f} messages/s = {ratio:.2f}; target ≥ {TARGET_RATIO}: "
              f"{verdict(ratio >= TARGET_RATIO)}")
        print(f"  (a bare loop sending as the product sends, its answers not read back into "
              f"Message objects: {raw:,.1f} messages/s; the dispatch is {dispatched / raw:.2f} "
              "of that)")

        small = max(items, people // 10)
        results = memory(small, people, items, directory)
        rise = {n: max(r["peak"] - r["before"], NOISE_BYTES) for n, r in results.items()}
        growth = rise[people] / rise[small]
        print(f"\nmemory while dispatching {items:,} due items (tracemalloc, fresh process each):")
        for n, r in results.items():
            print(f"  {n:>7,} people: heap at start {mebibytes(r['before'])}, peak "
                  f"{mebibytes(r['peak'])}, peak growth {mebibytes(r['peak'] - r['before'])}, "
                  f"kept after gc {mebibytes(r['retained'] - r['before'])}, "
                  f"{items / r['seconds']:,.0f} items/s traced")
        print(f"memory: peak growth {people:,} people {mebibytes(rise[people])} / baseline "
              f"{small:,} people {mebibytes(rise[small])} = {growth:.2f}; target ≤ {FLAT_LIMIT}: "
              f"{verdict(growth <= FLAT_LIMIT)}")

        rate, busiest, counted = asyncio.run(paced(pace, directory))
        off = abs(rate - RATE) / RATE
        print(f"\nlimiter as shipped, a fan-out for {pace} s ({counted:,} messages counted):")
        print(f"pace: {rate:.2f} messages/s / baseline {RATE} = {rate / RATE:.3f}; target within "
              f"{RATE_TOLERANCE:.0%}: {verdict(off <= RATE_TOLERANCE)}")
        print(f"busiest second: {busiest} messages; target ≤ {RATE}: {verdict(busiest <= RATE)}")
    print(f"\ndone in {time.perf_counter() - started:.0f} s; load average now {load_average()}")


if __name__ == "__main__":
    main()
