"""A cohort check-in as a programme lives it: 40 members in 5 time zones, a broadcast at 18:00
local, the clock moved by hand through the day and the dispatcher run at each step. Each member
gets it at their own 18:00, exactly once; some start, some skip, some have blocked the bot, some
pause; after the answer window the coordinator gets the response report with the right counts
and the first names of who has not answered, never an answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.terminal import to_plain
from dialogs.registry import default_scripts
from prompts.catalog import default_catalog
from service.callbacks import item_data
from service.conversation import ConversationService
from service.inputs import Person, PressIn
from service.programmes.broadcasts import parse_at, schedule_broadcast
from storage.database import create_sessionmaker
from storage.schedule import item_by_key
from storage.users import set_active, update_user
from tests.support.clock import FakeClock
from tests.support.cohort import member, one_pass, programme, seed_answer

ZONES = ("Australia/Sydney", "Asia/Tokyo", "Asia/Kolkata", "Europe/Berlin", "America/New_York")
COORDINATOR, ADMIN = 900, 901
FIRST = 1000
SECRET = "my secret worry about work"


def service_with_admin(engine: AsyncEngine, clock: FakeClock) -> ConversationService:
    return ConversationService(create_sessionmaker(engine), scripts=default_scripts(),
                               catalog=default_catalog(), clock=clock, admins=(ADMIN,))


async def test_forty_members_in_five_zones_get_it_at_their_1800_once_and_the_report_counts(
        engine: AsyncEngine, clock: FakeClock) -> None:
    service = service_with_admin(engine, clock)
    cohort = await programme(service, coordinators=(COORDINATOR,))
    await member(service, COORDINATOR, "Cora Coordinator", "Europe/Berlin", None)
    await member(service, ADMIN, "Ada Admin", "Europe/Berlin", None)  # did not set it: no report
    members = {FIRST + n: await member(service, FIRST + n, f"Member{n:02d} Lastname",
                                       ZONES[n % 5], cohort.id) for n in range(40)}
    await member(service, 5000, "Outsider", "UTC", None)  # not in the programme: nothing
    for telegram_id in (FIRST, FIRST + 20):
        await seed_answer(service, members[telegram_id], SECRET)

    paused_early = [FIRST + 36, FIRST + 37]  # paused before it was planned: never made
    blocked = [FIRST + 38, FIRST + 39, FIRST + 35]  # blocked the bot before their moment
    async with service.sessionmaker.begin() as session:
        for telegram_id in paused_early:
            await update_user(session, members[telegram_id].id, clock(),
                              paused_until=datetime(2026, 12, 1, tzinfo=UTC))
        local_at = parse_at("2026-11-23 18:00")
        assert local_at is not None
        planned = await schedule_broadcast(session, cohort, service.scripts.get("checkin"),
                                           local_at, created_by=None,
                                           policy=service.content.policy, now=clock())
        for telegram_id in blocked:
            await set_active(session, telegram_id, False, clock())
    assert planned.members == 38
    assert planned.reports == 1  # the coordinator; the admin did not create it

    received: dict[int, list[datetime]] = {}
    clock.now = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    while clock.now <= datetime(2026, 11, 24, 1, 0, tzinfo=UTC):
        for delivery in await one_pass(service):
            received.setdefault(delivery.recipient, []).append(clock.now)
            assert "Spring cohort" in to_plain(delivery.messages[0].text)
        clock.advance(minutes=30)
    reachable = set(members) - set(paused_early) - set(blocked)
    assert set(received) == reachable
    for telegram_id, moments in received.items():
        assert len(moments) == 1, telegram_id
        local = moments[0].astimezone(ZoneInfo(members[telegram_id].timezone))
        assert (local.hour, local.minute) == (18, 0), (telegram_id, local)

    starters = [FIRST + n for n in range(10)]
    skippers = [FIRST + n for n in range(10, 15)]
    for telegram_id in [*starters, *skippers]:
        async with service.sessionmaker.begin() as session:
            item = await item_by_key(session, f"broadcast:{planned.broadcast.id}:"
                                              f"{members[telegram_id].id}")
        assert item is not None
        op = "start" if telegram_id in starters else "skip"
        response = await service.handle(Person(telegram_id, None, "en"),
                                        PressIn(item_data(item.id, op)))
        assert response.messages or response.toast
        if op == "start":
            await service.handle(Person(telegram_id, None, "en"), PressIn("x"))
    paused_late = FIRST + 34  # paused after the invitation went out: it still counts as missed
    async with service.sessionmaker.begin() as session:
        await update_user(session, members[paused_late].id, clock(),
                          paused_until=clock() + timedelta(days=30))

    reports = []
    for _ in range(8):  # through the answer window and the report
        clock.advance(hours=12)
        reports += [d for d in await one_pass(service) if d.recipient in (COORDINATOR, ADMIN)]
    assert [d.recipient for d in reports] == [COORDINATOR]
    text = to_plain(reports[0].messages[0].text)
    assert "Answered: 10" in text
    assert "Not answered: 25" in text
    assert "Paused: 2" in text
    assert "Unreachable: 3" in text
    for n in range(15, 35):
        assert f"Member{n:02d}" in text
    assert "Member00" not in text
    assert "Lastname" not in text
    assert SECRET not in text
