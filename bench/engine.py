"""Durable dialog steps per second through the conversation service on a SQLite file.

A durable dialog step is one answer to a free-text step of a dialog, handled by
`ConversationService.handle` in its own transaction: the answer saved, the run moved on, the next
question rendered. Users start `grow` (not counted) and answer its leading free-text steps, one input
at a time, as a single SQLite writer serves them. Two baselines run the same number of transactions
in the same process, interleaved with the service in rounds so background load hits all three alike:

  (a) the floor of our own stack: `storage.database.create_engine` on its own SQLite file,
      each transaction one SELECT (by an indexed key), one INSERT (a JSON-ish text of an answer's
      size) and one UPDATE (by primary key) in SQLAlchemy Core;
  (b) the same three statements through raw aiosqlite with the same pragmas, BEGIN IMMEDIATE … COMMIT.

Target: the service reaches at least half the transactions per second of (a).

Memory: in a fresh process each (traced by tracemalloc from just after the imports), 1,000 and 10,000
distinct users answer the same number of steps after a warm-up; how far the Python heap's peak rises
above its level at the start of those answers must not grow with the number of users (flat = the
larger run's rise within 1.5× the smaller's; the absolute peaks are printed too). The users and their
open `grow` runs are copies of a user who started `grow` through the service, inserted in bulk
(starting 10,000 dialogs through the service would take minutes): the measured phase is the answer
path. The throughput runs without tracemalloc, which slows Python down about threefold.

    python bench/engine.py [--steps N] [--users N] [--memory-steps N] [--rounds N] [--quick]
                           [--profile [--top N]]

A full run takes 4–6 minutes on a busy 2-core machine, three quarters of it the 10,000-user run
(10,000 service calls under tracemalloc); `--users 4000` halves that, `--quick` takes about 15 s.
`--profile` runs only the service path under cProfile and prints the top costs.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import json
import math
import pstats
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as `python bench/engine.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiosqlite
from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.common import (
    TIMING_HEADERS,
    Timing,
    emit_json,
    environment_lines,
    load_average,
    mebibytes,
    migrated_engine,
    service_on,
    sqlite_url,
    table,
    timing_rows,
)
from dialogs.registry import default_scripts
from dialogs.schema import StepKind
from service.conversation import ConversationService
from service.inputs import (
    CommandIn,
    Person,
    TextIn,
)
from storage.database import SQLITE_BUSY_TIMEOUT_MS, create_engine
from storage.rows import RUNS, USERS
from storage.vocabulary import RunStatus

DIALOG = "grow"
TARGET_RATIO = 0.5
FLAT_LIMIT = 1.5
NOISE_BYTES = 64 * 1024
SUBJECT_ROWS = 1_000
SERVICE_WARMUP_STEPS = 200
MEMORY_WARMUP_USERS = 50
PRAGMAS = ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
# What the app's engine sets on every connection (storage/database.py).
SQLITE_SETUP = ("PRAGMA journal_mode=WAL", f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
                "PRAGMA foreign_keys=ON", "PRAGMA synchronous=NORMAL")


class BenchError(RuntimeError):
    """The service did not do what the benchmark counts on (a step not saved, a wrong reply)."""


def text_steps() -> tuple[str, ...]:
    """The leading unconditional free-text steps of the dialog: what one user answers in a row."""
    steps = []
    for step in default_scripts().get(DIALOG).steps:
        if step.kind is not StepKind.TEXT or step.when or step.foreach is not None:
            break
        steps.append(step.key)
    if not steps:
        raise BenchError(f"dialog {DIALOG!r} does not begin with a free-text step")
    return tuple(steps)


def answer_text(user: int, step: int) -> str:
    """An answer of a typical length (about 100 characters)."""
    return (f"Answer {step + 1} of user {user}: give clearer feedback to my team, "
            "a little every week, and ask how it lands.")


# --- the service ---------------------------------------------------------------------------------


class ServiceBench:
    """Users start the dialog (timed apart, not counted) and answer its free-text steps."""

    def __init__(self, service: ConversationService, steps: tuple[str, ...], first_user: int) -> None:
        self.service = service
        self.steps = steps
        self.next_user = first_user
        self.starts = Timing("dialog starts (not counted)", [])
        self.answered = 0

    async def start_users(self, count: int) -> list[Person]:
        persons = []
        for _ in range(count):
            person = Person(self.next_user, f"User {self.next_user}", "en")
            self.next_user += 1
            begin = time.perf_counter_ns()
            response = await self.service.handle(person, CommandIn(DIALOG))
            elapsed = time.perf_counter_ns() - begin
            self.starts.add([elapsed], elapsed)
            if not response.messages or not response.messages[-1].free_text:
                raise BenchError(f"/{DIALOG} did not ask a free-text question: {response}")
            persons.append(person)
        return persons

    async def run(self, count: int) -> tuple[list[int], int]:
        """`count` answer steps, round-robin over just enough fresh users; latencies and wall ns."""
        persons = await self.start_users(math.ceil(count / len(self.steps)))
        latencies: list[int] = []
        gc.collect()
        begin = time.perf_counter_ns()
        for step in range(len(self.steps)):
            for person in persons[:count - len(latencies)]:
                incoming = TextIn(answer_text(person.external_id, step))
                start = time.perf_counter_ns()
                response = await self.service.handle(person, incoming)
                latencies.append(time.perf_counter_ns() - start)
                if not response.messages:
                    raise BenchError(f"no reply to an answer: {response}")
        wall = time.perf_counter_ns() - begin
        self.answered += len(latencies)
        return latencies, wall


async def count_answers(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT count(*) FROM answers"))).scalar_one())


async def pragmas_of(execute: Callable[[str], Awaitable[Any]]) -> str:
    values = [f"{name}={await execute(f'PRAGMA {name}')}" for name in PRAGMAS]
    return " ".join(values)


async def engine_pragmas(engine: AsyncEngine) -> str:
    async with engine.connect() as connection:
        async def value(sql: str) -> Any:
            return (await connection.exec_driver_sql(sql)).scalar()
        return await pragmas_of(value)


# --- the baselines -------------------------------------------------------------------------------

METADATA = MetaData()
SUBJECTS = Table(
    "bench_subjects", METADATA,
    Column("id", Integer, primary_key=True),
    Column("key", BigInteger, nullable=False, unique=True),
    Column("step", String(48), nullable=False),
    Column("state", Text, nullable=False),
)
ENTRIES = Table(
    "bench_entries", METADATA,
    Column("id", Integer, primary_key=True),
    Column("subject_id", ForeignKey("bench_subjects.id"), nullable=False),
    Column("payload", Text, nullable=False),
)
RAW_SELECT = "SELECT id, key, step, state FROM bench_subjects WHERE key = ?"
RAW_INSERT = "INSERT INTO bench_entries (subject_id, payload) VALUES (?, ?)"
RAW_UPDATE = "UPDATE bench_subjects SET step = ?, state = ? WHERE id = ?"


@dataclass(frozen=True)
class Work:
    """What transaction `i` reads and writes: a subject key, an answer payload, a new state."""

    key: int
    step: str
    payload: str
    state: str


def workload(steps: tuple[str, ...]) -> list[Work]:
    """Payloads the size of the service's (an answer as JSON, a run state with its answers),
    made up front so the baselines time the database, not json.dumps."""
    works = []
    for i in range(SUBJECT_ROWS):
        position = i % len(steps)
        answers = {steps[j]: answer_text(i, j) for j in range(position + 1)}
        state = {"v": 1, "step": steps[position], "answers": answers,
                 "history": [[s, 0] for s in answers], "index": 0, "loops": {},
                 "editing": False, "finished": False}
        works.append(Work(key=i, step=steps[position],
                          payload=json.dumps({"step_key": steps[position],
                                              "value": answer_text(i, position)}),
                          state=json.dumps(state)))
    return works


def initial_subjects() -> list[dict[str, Any]]:
    return [{"key": i, "step": "start", "state": "{}"} for i in range(SUBJECT_ROWS)]


class TransactionBench:
    """A baseline: the same timed loop over `transaction`, one per work item."""

    works: list[Work]
    done: int

    async def transaction(self, work: Work) -> None:
        raise NotImplementedError

    async def run(self, count: int) -> tuple[list[int], int]:
        latencies: list[int] = []
        works = [self.works[(self.done + i) % len(self.works)] for i in range(count)]
        gc.collect()
        begin = time.perf_counter_ns()
        for work in works:
            start = time.perf_counter_ns()
            await self.transaction(work)
            latencies.append(time.perf_counter_ns() - start)
        wall = time.perf_counter_ns() - begin
        self.done += count
        return latencies, wall


class CoreBench(TransactionBench):
    """(a) One SELECT, one INSERT, one UPDATE per transaction in SQLAlchemy Core, on the app's
    engine; statements built per call, as the storage modules build them."""

    def __init__(self, engine: AsyncEngine, works: list[Work]) -> None:
        self.engine = engine
        self.works = works
        self.done = 0

    @classmethod
    async def open(cls, path: Path, works: list[Work]) -> CoreBench:
        engine = create_engine(sqlite_url(path))
        async with engine.begin() as connection:
            await connection.run_sync(METADATA.create_all)
            await connection.execute(insert(SUBJECTS), initial_subjects())
        return cls(engine, works)

    async def transaction(self, work: Work) -> None:
        async with self.engine.begin() as connection:
            row = (await connection.execute(
                select(SUBJECTS).where(SUBJECTS.c.key == work.key))).one()
            await connection.execute(insert(ENTRIES).values(subject_id=row.id, payload=work.payload))
            await connection.execute(update(SUBJECTS).where(SUBJECTS.c.id == row.id)
                                     .values(step=work.step, state=work.state))

    async def entries(self) -> int:
        async with self.engine.connect() as connection:
            return int((await connection.execute(select(func.count()).select_from(ENTRIES)))
                       .scalar_one())

    async def close(self) -> None:
        await self.engine.dispose()


class RawBench(TransactionBench):
    """(b) The same three statements through raw aiosqlite, same pragmas, BEGIN IMMEDIATE."""

    def __init__(self, connection: aiosqlite.Connection, works: list[Work]) -> None:
        self.connection = connection
        self.works = works
        self.done = 0

    @classmethod
    async def open(cls, path: Path, works: list[Work]) -> RawBench:
        schema = create_engine(sqlite_url(path))  # the same DDL as (a), then out of the way
        async with schema.begin() as ddl:
            await ddl.run_sync(METADATA.create_all)
        await schema.dispose()
        connection = await aiosqlite.connect(path, isolation_level=None)
        for statement in SQLITE_SETUP:
            await connection.execute(statement)
        await connection.execute("BEGIN IMMEDIATE")
        await connection.executemany(
            "INSERT INTO bench_subjects (key, step, state) VALUES (:key, :step, :state)",
            initial_subjects())
        await connection.execute("COMMIT")
        return cls(connection, works)

    async def transaction(self, work: Work) -> None:
        connection = self.connection
        await connection.execute("BEGIN IMMEDIATE")
        try:
            rows = await connection.execute_fetchall(RAW_SELECT, (work.key,))
            subject_id = next(iter(rows))[0]
            await connection.execute(RAW_INSERT, (subject_id, work.payload))
            await connection.execute(RAW_UPDATE, (work.step, work.state, subject_id))
        except BaseException:
            await connection.execute("ROLLBACK")
            raise
        await connection.execute("COMMIT")

    async def pragmas(self) -> str:
        async def value(sql: str) -> Any:
            rows = await self.connection.execute_fetchall(sql)
            return next(iter(rows))[0]
        return await pragmas_of(value)

    async def entries(self) -> int:
        rows = await self.connection.execute_fetchall("SELECT count(*) FROM bench_entries")
        return int(next(iter(rows))[0])

    async def close(self) -> None:
        await self.connection.close()


# --- throughput ----------------------------------------------------------------------------------


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


async def throughput(steps: int, rounds: int, directory: Path, warmup: int) -> None:
    """The three sections, after `warmup` untimed steps or transactions each."""
    keys = text_steps()
    works = workload(keys)
    print(f"\nThroughput: {steps:,} answer steps, and as many transactions for each baseline, "
          f"in {rounds} interleaved round(s); {DIALOG!r}: {len(keys)} free-text steps per user "
          f"({', '.join(keys)}).")
    async with migrated_engine(directory / "service.sqlite3") as engine:
        service = ServiceBench(service_on(engine, directory / "service.sqlite3"), keys,
                               first_user=1_000_000)
        core = await CoreBench.open(directory / "core.sqlite3", works)
        raw = await RawBench.open(directory / "raw.sqlite3", works)
        try:
            print("pragmas  service: " + await engine_pragmas(engine))
            print("         (a):     " + await engine_pragmas(core.engine))
            print("         (b):     " + await raw.pragmas())
            await service.run(warmup)
            await core.run(warmup)
            await raw.run(warmup)
            service.starts = Timing(service.starts.label, [])
            timings = {"service": Timing("service: answer steps", []),
                       "core": Timing("(a) SQLAlchemy Core, 3 statements", []),
                       "raw": Timing("(b) raw aiosqlite, 3 statements", [])}
            runners = {"service": service.run, "core": core.run, "raw": raw.run}
            order = list(runners)
            for number, chunk in enumerate(split(steps, rounds)):
                for name in order[number % 3:] + order[:number % 3]:
                    timings[name].add(*await runners[name](chunk))
            expected = warmup + steps
            if (saved := await count_answers(engine)) != expected:
                raise BenchError(f"service saved {saved} answers, expected {expected}")
            for bench in (core, raw):
                if (rows := await bench.entries()) != warmup + steps:
                    raise BenchError(f"baseline inserted {rows} rows, expected "
                                     f"{warmup + steps}")
        finally:
            await core.close()
            await raw.close()
    service_t, core_t, raw_t = timings["service"], timings["core"], timings["raw"]
    print()
    print(table(TIMING_HEADERS, timing_rows([service_t, core_t, raw_t, service.starts])))
    versus_core = service_t.per_second / core_t.per_second
    versus_raw = service_t.per_second / raw_t.per_second
    print(f"\nservice / (a) = {versus_core:.2f}    service / (b) = {versus_raw:.2f}    "
          f"(a) / (b) = {core_t.per_second / raw_t.per_second:.2f}")
    verdict = "MET" if versus_core >= TARGET_RATIO else "MISSED"
    print(f"target: service ≥ {TARGET_RATIO} × (a): {verdict} "
          f"({service_t.per_second:,.1f} vs {TARGET_RATIO * core_t.per_second:,.1f} steps/s needed)")


# --- memory --------------------------------------------------------------------------------------


async def seed_users(service: ConversationService, template: Person, first: int,
                     count: int) -> None:
    """`count` users, each a copy of `template` (a user who just started the dialog through the
    service) with a copy of its open run: the same rows the service writes, in one transaction."""
    ids = range(first, first + count)
    async with service.sessionmaker.begin() as session:
        user = dict((await session.execute(select(USERS).where(
            USERS.c.telegram_id == template.external_id))).one()._mapping)
        run = dict((await session.execute(select(RUNS).where(
            RUNS.c.user_id == user.pop("id"), RUNS.c.status == RunStatus.ACTIVE)))
            .one()._mapping)
        del run["id"]
        await session.execute(insert(USERS),
                              [{**user, "telegram_id": i, "name": f"User {i}"} for i in ids])
        user_ids = dict((await session.execute(
            select(USERS.c.telegram_id, USERS.c.id)
            .where(USERS.c.telegram_id >= first))).all())
        await session.execute(insert(RUNS), [{**run, "user_id": user_ids[i]} for i in ids])


async def memory_child(users: int, steps_per_user: int, directory: Path) -> None:
    """In a fresh process, traced from just after the imports: build the service, warm up, seed
    `users`, then measure the heap while each of them answers."""
    tracemalloc.start()
    keys = text_steps()
    path = Path(tempfile.mkdtemp(dir=directory)) / f"memory-{users}.sqlite3"
    async with migrated_engine(path) as engine:
        service = ServiceBench(service_on(engine, path), keys, first_user=1)
        await service.run(MEMORY_WARMUP_USERS * steps_per_user)
        [template] = await service.start_users(1)
        first = 10_000_000
        await seed_users(service.service, template, first, users)
        gc.collect()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        begin = time.perf_counter()
        for step in range(steps_per_user):
            for telegram_id in range(first, first + users):
                response = await service.service.handle(
                    Person(telegram_id, f"User {telegram_id}", "en"),
                    TextIn(answer_text(telegram_id, step)))
                if not response.messages:
                    raise BenchError(f"no reply to an answer: {response}")
        seconds = time.perf_counter() - begin
        current, peak = tracemalloc.get_traced_memory()
        gc.collect()
        retained = tracemalloc.get_traced_memory()[0]
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        expected = service.answered + users * steps_per_user
        if (saved := await count_answers(engine)) != expected:
            raise BenchError(f"service saved {saved} answers, expected {expected}")
    emit_json({"users": users, "steps": steps_per_user, "seconds": seconds, "before": before,
               "peak": peak, "current": current, "retained": retained,
               "rss_before_kib": rss_before, "rss_after_kib": rss_after})


def memory(small: int, large: int, steps_per_user: int, directory: Path) -> None:
    print(f"\nMemory: {small:,} and {large:,} distinct users answering {steps_per_user} step(s) each, "
          "in a fresh process and database each (the two side by side), traced by tracemalloc from "
          "just after the imports; users seeded and the service warmed up before the measured "
          "answers.")
    children = {
        users: subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--memory-child", str(users),
             "--memory-steps", str(steps_per_user), "--directory", str(directory)],
            stdout=subprocess.PIPE, text=True)
        for users in (small, large)}
    results: dict[int, dict[str, Any]] = {}
    for users, child in children.items():
        out, _ = child.communicate()
        if child.returncode != 0:
            raise BenchError(f"memory run for {users} users failed ({child.returncode})")
        results[users] = json.loads(out.strip().splitlines()[-1])
    rows = []
    for users in (small, large):
        r = results[users]
        answered = users * steps_per_user
        rows.append([f"{users:,}", f"{answered:,}", mebibytes(r["before"]), mebibytes(r["peak"]),
                     mebibytes(r["peak"] - r["before"]), mebibytes(r["retained"] - r["before"]),
                     f"{(r['retained'] - r['before']) / users:,.1f} B",
                     mebibytes(r["rss_after_kib"] * 1024), f"{answered / r['seconds']:,.0f}"])
    print()
    print(table(("users", "steps", "heap at start", "heap peak", "peak growth", "kept after gc",
                 "kept/user", "maxrss", "steps/s (traced)"), rows))
    print("heap: tracemalloc (Python allocations since the imports); peak growth = heap peak − "
          "heap at the start of the answers; kept = heap after a full gc − heap at start; "
          "maxrss: the whole process, tracemalloc's own tables included")

    def ratio(key: str) -> float:
        """How much more the large run rose above its start than the small one (rises below
        NOISE_BYTES count as NOISE_BYTES: a few dict resizes are not growth)."""
        rise = {users: max(results[users][key] - results[users]["before"], NOISE_BYTES)
                for users in (small, large)}
        return rise[large] / rise[small]

    absolute = results[large]["peak"] / results[small]["peak"]
    growth = ratio("peak")
    kept = ratio("retained")
    print(f"\n{large:,} users / {small:,} users:  heap peak {absolute:.2f}   peak growth {growth:.2f}"
          f"   kept after gc {kept:.2f}   (rises under {NOISE_BYTES // 1024} KiB count as "
          f"{NOISE_BYTES // 1024} KiB)")
    print(f"memory flat: {'YES' if growth <= FLAT_LIMIT else 'NO'} (the peak growth of {large:,} "
          f"users within {FLAT_LIMIT}× that of {small:,}: the growth, not the absolute peak, so "
          "that the heap both runs hold anyway does not dilute it)")
    print(f"kept flat:   {'YES' if kept <= FLAT_LIMIT else 'NO'} (a growing peak over flat kept "
          "memory is garbage waiting for the cyclic collector, not data held per user)")


# --- profile -------------------------------------------------------------------------------------


async def profile(steps: int, directory: Path, top: int) -> None:
    """The service path only, under cProfile (slower than real; look at the shares)."""
    keys = text_steps()
    path = directory / "profile.sqlite3"
    async with migrated_engine(path) as engine:
        service = ServiceBench(service_on(engine, path), keys, first_user=1)
        await service.run(SERVICE_WARMUP_STEPS)
        persons = await service.start_users(math.ceil(steps / len(keys)))
        profiler = cProfile.Profile()
        profiler.enable()
        done = 0
        for step in range(len(keys)):
            for person in persons[:steps - done]:
                await service.service.handle(person, TextIn(answer_text(person.external_id, step)))
                done += 1
        profiler.disable()
    for order in ("tottime", "cumulative"):
        stream = io.StringIO()
        stats = pstats.Stats(profiler, stream=stream)
        stats.sort_stats(order).print_stats(top)
        print(f"\n--- {done} answer steps under cProfile, by {order} (a coroutine's ncalls "
              "counts its resumptions) ---")
        print(stream.getvalue())


# --- main ----------------------------------------------------------------------------------------


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--steps", type=int, default=None,
                        help="timed answer steps, and transactions per baseline (default 2000; "
                             "quick: 200)")
    parser.add_argument("--users", type=int, default=None,
                        help="distinct users of the larger memory run; the smaller has a tenth "
                             "(default 10000; quick: 100)")
    parser.add_argument("--memory-steps", type=int, default=1,
                        help="answer steps per user in the memory runs (default 1)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="interleaved rounds for the throughput (default 4)")
    parser.add_argument("--quick", action="store_true", help="a short smoke run (~15 s)")
    parser.add_argument("--profile", action="store_true",
                        help="only profile the service path with cProfile and print the top costs")
    parser.add_argument("--top", type=int, default=35, help="rows per profile listing")
    parser.add_argument("--memory-child", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--directory", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.steps = args.steps or (200 if args.quick else 2000)
    args.users = args.users or (100 if args.quick else 10_000)
    args.rounds = args.rounds or 4
    if args.steps < 1 or args.users < 10 or args.rounds < 1 or args.memory_steps < 1:
        parser.error("need --steps ≥ 1, --users ≥ 10, --rounds ≥ 1, --memory-steps ≥ 1")
    if args.memory_steps > len(text_steps()):
        parser.error(f"--memory-steps: {DIALOG!r} has {len(text_steps())} free-text steps in a row")
    return args


def main(argv: list[str] | None = None) -> None:
    args = arguments(argv)
    if args.memory_child is not None:
        asyncio.run(memory_child(args.memory_child, args.memory_steps, args.directory))
        return
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="coachbot-bench-") as name:
        directory = Path(name)
        if args.profile:
            asyncio.run(profile(args.steps, directory, args.top))
            return
        print("coachbot engine benchmark: durable dialog steps through the conversation service")
        for line in environment_lines():
            print("  " + line)
        print(f"  database files in {directory} (SQLite, WAL, synchronous=NORMAL)")
        asyncio.run(throughput(args.steps, args.rounds, directory, 50 if args.quick else 300))
        print(f"(throughput section: {time.perf_counter() - started:.0f} s)")
        memory(args.users // 10, args.users, args.memory_steps, directory)
    print(f"\ndone in {time.perf_counter() - started:.0f} s; load average now {load_average()}")


if __name__ == "__main__":
    main()
