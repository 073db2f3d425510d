"""`coachbot broadcast` from the shell: what it planned, one-line errors; and a programme's
recurring cohort check-in planned for a member like their own rule."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time
from pathlib import Path

from dialogs.registry import default_scripts
from prompts.catalog import default_catalog
from service.conversation import ConversationService
from service.schedule.rhythm import Rhythm
from storage.database import create_engine, create_sessionmaker
from storage.programmes import update_programme
from storage.schedule import pending_items
from tests.support.clock import FakeClock
from tests.support.cohort import member, programme, replan_people
from tests.test_cli import coachbot


def test_the_cli_plans_a_broadcast_and_says_what(tmp_path: Path) -> None:
    assert coachbot(tmp_path, "db", "upgrade").returncode == 0

    async def make() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'coachbot.sqlite3'}")
        try:
            service = ConversationService(create_sessionmaker(engine), scripts=default_scripts(),
                                          catalog=default_catalog(), clock=FakeClock())
            cohort = await programme(service, "Spring")
            await member(service, 11, "Ana", "Asia/Tokyo", cohort.id)
            await member(service, 12, "Ben", "America/New_York", cohort.id)
        finally:
            await engine.dispose()

    asyncio.run(make())
    done = coachbot(tmp_path, "broadcast", "--programme", "Spring", "--at", "2027-01-12 18:00")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:2] == [
        "Broadcast 1: checkin at 2027-01-12 18:00 local time for 2 member(s) of Spring.",
        "First at 2027-01-12 09:00 UTC, last at 2027-01-12 23:00 UTC."]
    for args, error in [
        (("--programme", "Nowhere", "--at", "2027-01-12 18:00"), "no programme called 'Nowhere'"),
        (("--programme", "Spring", "--at", "tomorrow"), "cannot read 'tomorrow'"),
        (("--programme", "Spring", "--dialog", "dance", "--at", "2027-01-12 18:00"),
         "no dialog called 'dance'"),
    ]:
        failed = coachbot(tmp_path, "broadcast", *args)
        assert failed.returncode == 1
        assert failed.stderr.startswith(f"coachbot: {error}")
        assert failed.stderr.count("\n") == 1


async def test_a_recurring_cohort_check_in_is_planned_for_each_member(
        service: ConversationService, clock: FakeClock) -> None:
    cohort = await programme(service)
    async with service.sessionmaker.begin() as session:
        rule = Rhythm(time(18, 0), frozenset({0})).to_json()  # Mondays 18:00
        await update_programme(session, cohort.id, clock(), defaults={"cohort_checkin": rule})
    ana = await member(service, 21, "Ana", "Europe/Berlin", cohort.id)
    await replan_people(service, 21)
    async with service.sessionmaker.begin() as session:
        items = await pending_items(session, ana.id, ["cohort_checkin"])
    assert [(i.due_at, i.payload) for i in items] == [
        (datetime(2026, 11, 23, 17, 0, tzinfo=UTC),
         {"dialog": "checkin", "programme": "Spring cohort"})]
