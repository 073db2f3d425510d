"""Mentor digests: how many can be built and rendered per second, and whether memory stays flat.

Setup: a fresh, migrated SQLite file with M mentors (default 1,000), 3 mentees each, and 10
completed check-ins per mentee whose answers are shared (plus one private run each, which must
never show). Digest: for each mentor, in its own transaction, the digest's queries
(`service.mentors.digest.gather`: the mentor's pairings, each mentee's shared answers, shared
goals and help notes through `storage.shared`) and the rendering of the messages in the
mentor's language (`render_digest`).

Throughput: "digest" (queries + rendering) against "baseline" (the same queries without
rendering), in interleaved rounds over all mentors; the ratio of their rates is printed with the
target (rendering keeps at least half of the throughput: ratio ≥ 0.5).

Memory: in a fresh process each (tracemalloc from just after the imports), 100 and 1,000 mentors
(the larger one as set) build and render every digest; the peak growth of the larger must stay
within 1.5× that of the smaller (the digests are built one mentor at a time, nothing kept). Also
shown: the heap once a full collection ran after the loop. The peak includes memory CPython keeps
in its free lists until a full collection (bounded, but filling as more digests run).

    python bench/digest.py [--mentors 1000] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.common import (
    TIMING_HEADERS,
    Timing,
    emit_json,
    environment_lines,
    mebibytes,
    migrated_engine,
    service_on,
    table,
    timing_rows,
)
from service.conversation import ConversationService
from service.mentors.digest import gather, render_digest
from service.render import Renderer
from storage.rows import ANSWERS, PAIRINGS, RUNS, USERS

MENTEES = 3
CHECKINS = 10
TARGET_RATIO = 0.5
FLAT_LIMIT = 1.5
ROUNDS = 4
NOW = datetime(2026, 11, 27, 16, tzinfo=UTC)
TODAY = NOW.date()


def _answers(mentee: int, week: int) -> dict[str, object]:
    return {"helped": f"Mentee {mentee} week {week}: my running group and an early night",
            "in_the_way": "Work ran late twice; I lost the thread on Thursday.",
            "confidence": 4 + (mentee + week) % 6,
            "next_focus": "Two short runs and one long one",
            "for_mentor": "Could we talk about pacing next time?"}


async def seed(session: AsyncSession, mentors: int) -> list[int]:
    """Mentors, their mentees and the mentees' check-ins, in bulk; the mentors' ids."""
    people = []
    for index in range(mentors * (1 + MENTEES)):
        people.append({"telegram_id": 10_000 + index, "name": f"Person {index}",
                       "language": "en" if index % 2 else "de", "timezone": "Europe/Berlin",
                       "role": "mentor" if index < mentors else "mentee", "stage": "maturing",
                       "share_by_default": True, "active": True, "mentors": index < mentors,
                       "created_at": NOW, "updated_at": NOW})
    await session.execute(insert(USERS), people)
    ids = [row[0] for row in (await session.execute(
        USERS.select().with_only_columns(USERS.c.id).order_by(USERS.c.id))).all()]
    mentor_ids, mentee_ids = ids[:mentors], ids[mentors:]
    await session.execute(insert(PAIRINGS), [
        {"mentor_id": mentor_ids[i // MENTEES], "mentee_id": mentee, "status": "active",
         "started_on": date(2026, 9, 1), "ends_on": date(2027, 3, 1), "created_at": NOW,
         "updated_at": NOW} for i, mentee in enumerate(mentee_ids)])
    runs = [{"user_id": mentee, "dialog": "checkin", "stage": "maturing", "step": "done",
             "status": "completed", "state": {}, "started_at": NOW, "updated_at": NOW,
             "completed_at": NOW} for mentee in mentee_ids for _ in range(CHECKINS + 1)]
    await session.execute(insert(RUNS), runs)
    run_ids = [row[0] for row in (await session.execute(
        RUNS.select().with_only_columns(RUNS.c.id, RUNS.c.user_id).order_by(RUNS.c.id))).all()]
    rows = []
    for position, run_id in enumerate(run_ids):
        mentee, week = divmod(position, CHECKINS + 1)
        private = week == CHECKINS
        at = NOW - timedelta(days=7 * (CHECKINS - week) + 1)
        for key, value in _answers(mentee, week).items():
            rows.append({"run_id": run_id, "user_id": mentee_ids[mentee], "stage": "maturing",
                         "dialog": "checkin", "step_key": key,
                         "value": "PRIVATE" if private else value,
                         "visibility": "private" if private else "shared",
                         "created_at": at, "updated_at": at})
    for start in range(0, len(rows), 5_000):
        await session.execute(insert(ANSWERS), rows[start:start + 5_000])
    return mentor_ids


async def one_digest(service: ConversationService, mentor: int, lang: str,
                     render: bool) -> int:
    """One mentor's digest (queries, and rendering when asked); the characters rendered."""
    async with service.sessionmaker.begin() as session:
        news = await gather(session, mentor, None, TODAY, service.content.scripts,
                            service.content.goal_parts, Renderer(service.content.catalog, lang).text)
    if not render:
        return len(news)
    messages = render_digest(Renderer(service.content.catalog, lang), service.content.scripts,
                             news, "Europe/Berlin", None)
    size = sum(len(m.text) for m in messages)
    if "PRIVATE" in "".join(m.text for m in messages) or not messages:
        raise SystemExit("a digest showed a private answer, or nothing")
    return size


async def prepared(path: Path, mentors: int) -> tuple[ConversationService, list[int], object]:
    engine_cm = migrated_engine(path)
    engine = await engine_cm.__aenter__()
    service = service_on(engine, path)
    maker: async_sessionmaker[AsyncSession] = service.sessionmaker
    async with maker.begin() as session:
        ids = await seed(session, mentors)
    return service, ids, engine_cm


async def throughput(mentors: int, directory: Path) -> None:
    service, ids, engine_cm = await prepared(directory / "throughput.sqlite", mentors)
    try:
        langs = {mentor: "en" if i % 2 else "de" for i, mentor in enumerate(ids)}
        for mentor in ids[:20]:  # warm-up
            await one_digest(service, mentor, langs[mentor], True)
        timings = {"digest": Timing("digest (queries + rendering)", []),
                   "baseline": Timing("baseline (the same queries)", [])}
        chunk = max(1, len(ids) // ROUNDS)
        characters = 0
        for start in range(0, len(ids), chunk):
            part = ids[start:start + chunk]
            for name in ("baseline", "digest") if start // chunk % 2 else ("digest", "baseline"):
                latencies = []
                began = time.perf_counter_ns()
                for mentor in part:
                    one = time.perf_counter_ns()
                    size = await one_digest(service, mentor, langs[mentor], name == "digest")
                    latencies.append(time.perf_counter_ns() - one)
                    characters += size if name == "digest" else 0
                timings[name].add(latencies, time.perf_counter_ns() - began)
    finally:
        await engine_cm.__aexit__(None, None, None)  # type: ignore[attr-defined]
    digest, baseline = timings["digest"], timings["baseline"]
    print(table(TIMING_HEADERS, timing_rows([digest, baseline])))
    print(f"\n{mentors:,} mentors × {MENTEES} mentees × {CHECKINS} shared check-ins; "
          f"{characters / digest.count:,.0f} characters per digest on average")
    ratio = digest.per_second / baseline.per_second
    verdict = "MET" if ratio >= TARGET_RATIO else "MISSED"
    print(f"digests per second: {digest.per_second:,.1f} / baseline {baseline.per_second:,.1f} = "
          f"{ratio:.2f}; target ≥ {TARGET_RATIO}: {verdict}")


async def memory_child(mentors: int, directory: Path) -> None:
    service, ids, engine_cm = await prepared(directory / f"memory-{mentors}.sqlite", mentors)
    try:
        for mentor in ids[:20]:
            await one_digest(service, mentor, "en", True)
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        for i, mentor in enumerate(ids):
            await one_digest(service, mentor, "en" if i % 2 else "de", True)
        current, peak = tracemalloc.get_traced_memory()
        gc.collect()  # after the peak: what stays once a full collection empties the free lists
        retained = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
    finally:
        await engine_cm.__aexit__(None, None, None)  # type: ignore[attr-defined]
    emit_json({"mentors": mentors, "before": before, "peak": peak, "current": current,
               "retained": retained})


def memory(small: int, large: int, directory: Path) -> None:
    print(f"\nmemory: {small:,} and {large:,} mentors, each in a fresh process and database, "
          "traced by tracemalloc while every digest is built and rendered")
    results = {}
    for mentors in (small, large):
        child = subprocess.run([sys.executable, __file__, "--memory-child", str(mentors),
                                "--directory", str(directory)], capture_output=True, text=True,
                               check=True)
        results[mentors] = json.loads(child.stdout.strip().splitlines()[-1])
    rows = [[f"{m:,}", mebibytes(r["before"]), mebibytes(r["peak"]),
             mebibytes(r["peak"] - r["before"]), mebibytes(r["retained"])]
            for m, r in results.items()]
    print(table(("mentors", "heap at start", "heap peak", "peak growth",
                 "kept after a full gc"), rows))
    growth = [max(1, r["peak"] - r["before"]) for r in results.values()]
    ratio = growth[1] / growth[0]
    verdict = "MET" if ratio <= FLAT_LIMIT else "MISSED"
    print(f"peak growth: {large:,} mentors / {small:,} mentors = {ratio:.2f}; "
          f"target ≤ {FLAT_LIMIT}: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mentors", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="200 mentors, memory 50 and 200")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--directory", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        asyncio.run(memory_child(args.memory_child, args.directory))
        return
    mentors = 200 if args.quick else args.mentors
    small = 50 if args.quick else 100
    print("\n".join(environment_lines()))
    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(throughput(mentors, Path(directory)))
        memory(small, mentors, Path(directory))


if __name__ == "__main__":
    main()
