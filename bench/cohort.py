"""A programme of 10,000 members: health figures, the report, and a broadcast planned and
dispatched.

1. Stats: a programme of 10,000 members (5,000 pairs, 4 invitations and a dialog run each, two
   pulses per pair) on a SQLite file; `service.programmes.stats.programme_stats` timed (best of 5;
   target under 1 s), and SQLite's EXPLAIN QUERY PLAN of each query it ran, briefly (which index
   each table is read by).
2. The report: what `coachbot report` does for the same 10,000 members — its figures read
   (`service.programmes.report_data.report_data`: the health figures, response rate by week,
   pulse trend, pairs needing attention) and its page rendered (`report_page`: Jinja2 template,
   inline SVG charts), timed apart and together (best of 3). A plain figure: there is no
   baseline to compare with and the issue sets no target.
3. A broadcast to the 10,000: planned (`schedule_broadcast`, one item per member at 18:00 in their
   own zone: the mentees' check-in and the mentors' own, each side its own broadcast) and
   dispatched by the product Application (`build_application(dispatch_every=…)`) against a Bot API
   that answers at once with the rate limiter lifted, beside a bare loop calling
   `bot.send_message` on the same bot in the same run (the scheduling bench's baseline). Target:
   dispatch ≥ 0.5 × the bare loop. The service's clock stands just after the last member's 18:00
   and the grace window is two days, so all 10,000 are due at once.

    python bench/cohort.py [--quick]
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/cohort.py`
    _BENCH = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH]
    sys.path.insert(0, str(_BENCH.parent))

import argparse
import asyncio
import json
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import event, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.common import NS_PER_S, environment_lines, load_average, migrated_engine
from bench.schedule import BenchError, Bot
from bot.telegram.sending import keyboard
from dialogs.registry import default_scripts
from prompts.catalog import default_catalog
from service.conversation import ConversationService
from service.messages import OutMessage
from service.programmes.broadcasts import parse_at, schedule_broadcast
from service.programmes.report import report_page
from service.programmes.report_data import report_data
from service.programmes.stats import programme_stats
from service.schedule.invitation import invitation_message
from service.schedule.policy import SchedulePolicy
from storage.broadcasts import KIND
from storage.database import create_sessionmaker
from storage.programmes import ProgrammeRecord, create_programme
from storage.rows import ITEMS, PAIRINGS, PULSES, RUNS, USERS
from storage.schedule import pending_items
from storage.vocabulary import ItemStatus

TARGET_SECONDS = 1.0
TARGET_RATIO = 0.5
FIRST_USER = 30_000_000
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Tokyo", "Asia/Kolkata", "UTC",
         "Australia/Sydney", "America/Sao_Paulo", "Africa/Nairobi", "Europe/London",
         "Pacific/Auckland")
NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
CHUNK = 5_000


def verdict(met: bool) -> str:
    return "MET" if met else "MISSED"


async def seed(engine: AsyncEngine, members: int) -> ProgrammeRecord:
    """A programme of `members` people: half mentors, half mentees, paired one to one."""
    sessionmaker = create_sessionmaker(engine)
    async with sessionmaker.begin() as session:
        programme = await create_programme(session, "Bench cohort", {}, {}, NOW)
        assert programme is not None
        ids = list(range(FIRST_USER, FIRST_USER + members))
        for start in range(0, members, CHUNK):
            await session.execute(insert(USERS), [{
                "telegram_id": i, "name": f"Member{i} Lastname", "language": "en",
                "timezone": ZONES[i % len(ZONES)], "role": "mentor" if i % 2 else "mentee",
                "stage": ("initiation", "establishing", "maturing", "ending")[i % 4],
                "share_by_default": False, "active": i % 50 != 0, "mentors": False,
                "programme_id": programme.id, "created_at": NOW, "updated_at": NOW}
                for i in ids[start:start + CHUNK]])
        user = dict((await session.execute(select(USERS.c.telegram_id, USERS.c.id)
                                           .where(USERS.c.programme_id == programme.id))).all())
        pairs = [(user[i + 1], user[i]) for i in ids[::2]]  # (mentor, mentee)
        for start in range(0, len(pairs), CHUNK):
            await session.execute(insert(PAIRINGS), [{
                "mentor_id": mentor, "mentee_id": mentee, "programme_id": programme.id,
                "status": "active", "started_on": date(2026, 9, 1) + timedelta(days=n % 120),
                "ends_on": date(2027, 1, 1) + timedelta(days=n % 90), "created_at": NOW,
                "updated_at": NOW} for n, (mentor, mentee) in enumerate(pairs[start:start + CHUNK],
                                                                        start)])
        pairing_ids = [row for (row,) in await session.execute(
            select(PAIRINGS.c.id).where(PAIRINGS.c.programme_id == programme.id))]
        for start in range(0, members, CHUNK):
            part = [user[i] for i in ids[start:start + CHUNK]]
            await session.execute(insert(RUNS), [{
                "user_id": uid, "dialog": "checkin", "stage": "maturing", "step": "done",
                "status": "completed", "state": {}, "started_at": NOW,
                "updated_at": NOW - timedelta(days=uid % 45)} for uid in part])
            statuses = (ItemStatus.SENT, ItemStatus.MISSED, ItemStatus.SKIPPED, ItemStatus.SENT)
            await session.execute(insert(ITEMS), [{
                "key": f"checkin:{uid}:{week}", "kind": "checkin", "user_id": uid,
                "due_at": NOW - timedelta(days=7 * week + 1),
                "status": statuses[(uid + week) % 4].value, "attempts": 0,
                "payload": {"started": True} if (uid + week) % 4 == 0 else {},
                "created_at": NOW, "updated_at": NOW} for uid in part for week in range(4)])
        for start in range(0, len(pairing_ids), CHUNK):
            await session.execute(insert(PULSES), [{
                "pairing_id": pid, "user_id": pairs[n % len(pairs)][side], "side": label,
                "score": 1 + (pid + side) % 5, "created_at": NOW}
                for n, pid in enumerate(pairing_ids[start:start + CHUNK], start)
                for side, label in ((0, "mentor"), (1, "mentee"))])
    return programme


async def time_report(engine: AsyncEngine, programme: ProgrammeRecord,
                      runs: int) -> tuple[float, float, int, int]:
    """Best seconds to read the report's figures and to render its page (apart, each best of
    `runs`), the page's size in bytes, and how many pairs it lists as needing attention."""
    sessionmaker = create_sessionmaker(engine)
    catalog = default_catalog()
    reading = rendering = float("inf")
    page = ""
    data = None
    for _ in range(runs):
        begin = time.perf_counter_ns()
        async with sessionmaker.begin() as session:
            data = await report_data(session, programme, NOW)
        reading = min(reading, (time.perf_counter_ns() - begin) / NS_PER_S)
        begin = time.perf_counter_ns()
        page = report_page(data, catalog, "en")
        rendering = min(rendering, (time.perf_counter_ns() - begin) / NS_PER_S)
    if data is None or "<svg" not in page:
        raise BenchError("the report has no chart")
    return reading, rendering, len(page.encode()), len(data.attention)


async def time_stats(engine: AsyncEngine, programme: ProgrammeRecord,
                     runs: int) -> tuple[float, list[str]]:
    """Best seconds of `runs` computations, and the statements the first one ran."""
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    sessionmaker = create_sessionmaker(engine)
    best = float("inf")
    for run in range(runs):
        if run == 0:
            event.listen(engine.sync_engine, "before_cursor_execute", capture)
        begin = time.perf_counter_ns()
        async with sessionmaker.begin() as session:
            figures = await programme_stats(session, programme, NOW, NOW.date())
        best = min(best, (time.perf_counter_ns() - begin) / NS_PER_S)
        if run == 0:
            event.remove(engine.sync_engine, "before_cursor_execute", capture)
            if figures.pairs == 0:
                raise BenchError("no pairs were counted")
    plans: list[str] = []
    async with engine.connect() as connection:
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            raw = await connection.get_raw_connection()
            cursor = await raw.driver_connection.execute(  # type: ignore[union-attr]
                "EXPLAIN QUERY PLAN " + statement, parameters)
            rows = await cursor.fetchall()
            plans.append("; ".join(str(row[3]) for row in rows))
    return best, plans


@dataclass(frozen=True)
class Dispatched:
    """The broadcast's figures: seconds to plan it, items planned, items dispatched a second;
    a bare send_message loop's messages a second with the same invitation (text and buttons),
    with a plain text of one line (the scheduling bench's), and with the same invitation sent as
    the product sends it (its answer not read back into a Message)."""

    planning: float
    items: int
    rate: float
    bare: float
    plain: float
    raw: float


async def broadcast(engine: AsyncEngine, programme: ProgrammeRecord, members: int) -> Dispatched:
    """A broadcast to every member (the mentees their check-in, the mentors theirs, at the same
    moment), planned and dispatched, beside the bare loops."""
    policy = SchedulePolicy(grace=timedelta(days=2))
    local_at = parse_at("2027-01-12 18:00")
    assert local_at is not None
    clock_at = [NOW]
    service = ConversationService(create_sessionmaker(engine), scripts=default_scripts(),
                                  catalog=default_catalog(), clock=lambda: clock_at[0],
                                  policy=policy)
    begin = time.perf_counter_ns()
    async with service.sessionmaker.begin() as session:  # each side its own check-in
        planned = [await schedule_broadcast(session, programme, service.scripts.get(dialog),
                                            local_at, created_by=None, policy=policy, now=NOW)
                   for dialog in ("checkin", "mentor_checkin")]
    planning = (time.perf_counter_ns() - begin) / NS_PER_S
    moments = [p.last for p in planned if p.last is not None]
    if not moments:
        raise BenchError("nothing was planned")
    items = sum(p.members for p in planned)
    clock_at[0] = max(moments) + timedelta(minutes=1)
    async with service.sessionmaker.begin() as session:  # the seeded check-ins are history
        await session.execute(text("UPDATE scheduled_items SET status = 'sent' "
                                   "WHERE status = 'pending' AND kind != 'broadcast'"))
    chats = list(range(FIRST_USER, FIRST_USER + members))
    message = await invitation_to(service, FIRST_USER + 1)
    async with Bot(service, paced=False) as bot:  # the scheduling bench's, limiter lifted
        bot.request.kept[FIRST_USER + 1] = {}
        plain = await bot.bare(chats[: items // 4])
        bare_before = await bot.bare(chats[: items // 2], message)
        seconds, times = await bot.dispatch(items, timeout=900)
        if len(times) < items:
            raise BenchError(f"only {len(times)} of {items} sent in time")
        sent = bot.request.kept[FIRST_USER + 1]
        markup = sent.get("reply_markup")
        markup = json.loads(markup) if isinstance(markup, str) else markup
        markup_sent = keyboard(message)
        if sent.get("text") != message.text or markup_sent is None \
                or markup != markup_sent.to_dict():
            raise BenchError("the bare loop's message is not the one dispatched")
        bare_after = await bot.bare(chats[: items // 2], message)
        plain = (plain + await bot.bare(chats[: items // 4])) / 2
        raw = await bot.bare(chats[: items // 2], message, raw=True)
    return Dispatched(planning, items, items / seconds,
                      (bare_before + bare_after) / 2, plain, raw)


async def invitation_to(service: ConversationService, chat: int) -> OutMessage:
    """The invitation the broadcast sends this member, as the dispatcher will make it (their
    pending broadcast item's message, nothing stored): what the bare loop sends too."""
    async with service.turn_of(chat) as turn:
        assert turn is not None
        [item] = await pending_items(turn.session, turn.user.id, [KIND])
        return await invitation_message(turn, item, item)


async def run(members: int, directory: Path) -> None:
    async with migrated_engine(directory / "cohort.sqlite3") as engine:
        begin = time.perf_counter()
        programme = await seed(engine, members)
        print(f"  seeded {members:,} members in {time.perf_counter() - begin:.1f} s")
        seconds, plans = await time_stats(engine, programme, runs=5)
        print(f"\nhealth figures of {members:,} members ({members // 2:,} pairs), best of 5:")
        print(f"stats: {seconds:.3f} s; target < {TARGET_SECONDS:.0f} s: "
              f"{verdict(seconds < TARGET_SECONDS)}")
        print("query plans (SQLite EXPLAIN QUERY PLAN, per query):")
        for number, plan in enumerate(plans, 1):
            print(f"  {number}. {plan[:400]}")
        reading, rendering, size, attention = await time_report(engine, programme, runs=3)
        print(f"\nreport of {members:,} members, best of 3:")
        print(f"report: {reading + rendering:.3f} s (figures read {reading:.3f} s, page rendered "
              f"{rendering:.3f} s); {size / 1024:,.0f} KiB of HTML, {attention:,} pairs needing "
              "attention listed")
        try:
            sent = await broadcast(engine, programme, members)
        except BenchError as error:
            print(f"\nbroadcast dispatch: did not complete ({error}); target ≥ {TARGET_RATIO}: "
                  "MISSED")
            return
        ratio = sent.rate / sent.bare
        print(f"\nbroadcast to {members:,} members: {sent.items:,} items planned in "
              f"{sent.planning:.2f} s ({members // 50:,} unreachable members left out)")
        print(f"broadcast dispatch: {sent.rate:,.1f} items/s / baseline bare send_message of the "
              f"same invitation {sent.bare:,.1f} messages/s = {ratio:.2f}; target ≥ "
              f"{TARGET_RATIO}: {verdict(ratio >= TARGET_RATIO)}")
        print(f"  (a bare send_message of one line of plain text, no buttons: {sent.plain:,.1f} "
              f"messages/s; the dispatch is {sent.rate / sent.plain:.2f} of that)")
        print(f"  (a bare loop sending the invitation as the product sends it, its answers not "
              f"read back into Message objects: {sent.raw:,.1f} messages/s; the dispatch is "
              f"{sent.rate / sent.raw:.2f} of that)")


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="1,000 members instead of 10,000")
    parser.add_argument("--members", type=int, default=None, help="members (default 10,000)")
    args = parser.parse_args(argv)
    members = args.members or (1_000 if args.quick else 10_000)
    started = time.perf_counter()
    print("coachbot cohort benchmark")
    for line in environment_lines():
        print("  " + line)
    with tempfile.TemporaryDirectory(prefix="coachbot-bench-") as name:
        asyncio.run(run(members, Path(name)))
    print(f"\ndone in {time.perf_counter() - started:.0f} s; load average now {load_average()}")


if __name__ == "__main__":
    main()
