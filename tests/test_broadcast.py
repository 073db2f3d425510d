"""`coachbot broadcast` from the shell: what it planned, for whom (`--to`), one-line errors; a
broadcast reaches its audience only and its report counts only them; a programme's recurring
cohort check-in makes one broadcast per occurrence, each with its coordinators' report."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from bot.terminal import to_plain
from dialogs.registry import default_scripts
from prompts.catalog import default_catalog
from service.callbacks import item_data
from service.conversation import ConversationService
from service.inputs import CommandIn, Person, PressIn
from service.programmes.broadcasts import (
    BroadcastError,
    audience_of,
    parse_at,
    report_to_new_coordinator,
    schedule_broadcast,
)
from service.schedule.rhythm import Rhythm
from storage.database import create_engine, create_sessionmaker
from storage.programmes import grant, update_programme
from storage.schedule import item_by_key, latest_items, pending_items
from storage.users import update_user
from storage.vocabulary import Role
from tests.support.clock import FakeClock
from tests.support.cohort import member, one_pass, programme, replan_people, seed_answer
from tests.test_cli import coachbot

SECRET = "my secret worry about work"


def _local(text: str) -> datetime:
    moment = parse_at(text)
    assert moment is not None
    return moment


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
            await member(service, 13, "Max", "Europe/Berlin", cohort.id, role=Role.MENTOR)
            fri2 = await programme(service, "Fri2")  # its mentees only so far
            await member(service, 14, "Eva", "Europe/Berlin", fri2.id)
        finally:
            await engine.dispose()

    asyncio.run(make())
    done = coachbot(tmp_path, "broadcast", "--programme", "Spring", "--at", "2027-01-12 18:00")
    assert done.returncode == 0, done.stderr
    assert done.stderr == (  # nobody coordinates Spring yet: said, in one line
        "coachbot: warning: no coordinator of Spring has written to the bot yet; the report goes "
        "to whoever coordinates it by then (coachbot programme grant 'Spring' --user-id N, then "
        "/start in the bot)\n")
    assert done.stdout.splitlines()[:2] == [
        "Broadcast 1: checkin at 2027-01-12 18:00 local time for 2 mentees of Spring.",
        "First at 2027-01-12 09:00 UTC, last at 2027-01-12 23:00 UTC."]
    done = coachbot(tmp_path, "broadcast", "--programme", "Spring", "--dialog", "mentor_checkin",
                    "--at", "2027-01-12 18:00")
    assert done.stdout.splitlines()[:2] == [
        "Broadcast 2: mentor_checkin at 2027-01-12 18:00 local time for 1 mentor of Spring.",
        "First at 2027-01-12 17:00 UTC, last at 2027-01-12 17:00 UTC."]
    for args, error in [
        (("--programme", "Nowhere", "--at", "2027-01-12 18:00"), "no programme called 'Nowhere'"),
        (("--programme", "Spring", "--at", "tomorrow"), "cannot read 'tomorrow'"),
        (("--programme", "Spring", "--dialog", "dance", "--at", "2027-01-12 18:00"),
         "no dialog called 'dance'"),
        (("--programme", "Spring", "--at", "2020-01-01 18:00"),
         "2020-01-01 18:00 has passed for 2 members in their time zone; give a moment to come"),
        # The calendar's first minute, for Ana in Tokyo (ahead of UTC): no UTC moment exists.
        (("--programme", "Spring", "--at", "0001-01-01 00:00"),
         "0001-01-01 00:00 has passed; give a moment to come"),
        (("--programme", "Spring", "--at", "0001-01-02 00:00"),
         "0001-01-02 00:00 has passed for 2 members in their time zone"),
        (("--programme", "Fri2", "--dialog", "mentor_checkin", "--at", "2027-01-12 18:00"),
         "Fri2 has no mentors yet: nobody to send mentor_checkin to; nothing was planned (invite "
         "them first: coachbot invite --programme 'Fri2' --role mentor)"),
        (("--programme", "Spring", "--dialog", "grow", "--at", "2027-01-12 18:00"),
         "a cohort is sent a check-in (checkin or mentor_checkin), not grow: that one each member "
         "takes at their own pace"),
        (("--programme", "Spring", "--dialog", "mentor_story", "--to", "mentees", "--at",
          "2027-01-12 18:00"), "a cohort is sent a check-in"),
        (("--programme", "Spring", "--to", "all", "--at", "2027-01-12 18:00"),
         "checkin is for mentees only: the mentors could not start it, so it cannot go to "
         "everyone; broadcast each side its own check-in"),
    ]:
        failed = coachbot(tmp_path, "broadcast", *args)
        assert failed.returncode == 1
        assert failed.stderr.startswith(f"coachbot: {error}")
        assert failed.stderr.count("\n") == 1
    late = coachbot(  # nothing was stored by the refusals: the next one is the third
        tmp_path, "broadcast", "--programme", "Spring", "--at", "2027-01-13 23:30")
    assert late.stdout.splitlines()[:3] == [  # in both mentees' quiet hours (21:00-08:00)
        "Broadcast 3: checkin at 2027-01-13 23:30 local time for 2 mentees of Spring.",
        "2 of 2 are in their quiet hours then: theirs go out when those end, at 2027-01-14 08:00 "
        "local time.",
        "First at 2027-01-13 23:00 UTC, last at 2027-01-14 13:00 UTC."]


async def test_a_moment_passed_for_a_programme_without_members_names_its_offset_as_typed(
        service: ConversationService, clock: FakeClock) -> None:
    """Reaching nobody yet, the refusal names the programme's zone: UTC+2, not Etc/GMT-2."""
    cohort = replace(await programme(service), defaults={"timezone": "Etc/GMT-2"})
    async with service.sessionmaker.begin() as session:
        with pytest.raises(BroadcastError) as refused:
            await schedule_broadcast(session, cohort, service.scripts.get("checkin"),
                                     _local("2020-01-01 18:00"), created_by=None,
                                     policy=service.content.policy, now=clock())
    assert str(refused.value) == "2020-01-01 18:00 has passed in UTC+2; give a moment to come"


async def _reports(service: ConversationService, clock: FakeClock, until: datetime,
                   coordinator: int) -> list[str]:
    """Dispatch every half hour up to `until`; the coordinator's reports as plain text."""
    texts = []
    while clock.now <= until:
        texts += [to_plain(d.messages[0].text) for d in await one_pass(service)
                  if d.recipient == coordinator]
        clock.advance(minutes=30)
    return texts


async def test_a_broadcast_reaches_its_audience_and_the_report_counts_only_them(
        service: ConversationService, clock: FakeClock) -> None:
    cohort = await programme(service, coordinators=(900,))
    await member(service, 900, "Cora", "Europe/Berlin", None)
    ana = await member(service, 21, "Ana Lastname", "Europe/Berlin", cohort.id)
    await member(service, 22, "Ben", "Europe/Berlin", cohort.id)
    await member(service, 23, "Max Mentor", "Europe/Berlin", cohort.id, role=Role.MENTOR)
    async with service.sessionmaker.begin() as session:
        planned = await schedule_broadcast(session, cohort, service.scripts.get("checkin"),
                                           _local("2026-11-23 18:00"),
                                           created_by=None, policy=service.content.policy,
                                           now=clock(), audience="mentees")
    assert planned.members == 2
    clock.now = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
    sent = await one_pass(service)
    assert {d.recipient for d in sent} == {21, 22}  # the mentor is not invited to a mentee's
    async with service.sessionmaker.begin() as session:
        item = await item_by_key(session, f"broadcast:{planned.broadcast.id}:{ana.id}")
    assert item is not None
    await service.handle(Person(21, None, "en"), PressIn(item_data(item.id, "start")))
    [report] = await _reports(service, clock, clock.now + timedelta(days=4), 900)
    assert "responses of the mentees" in report
    assert "Answered: 1" in report
    assert "Not answered: 1 (Ben)" in report
    assert "Max" not in report


async def test_a_mentor_check_in_goes_to_every_mentor(
        service: ConversationService, clock: FakeClock) -> None:
    cohort = await programme(service)
    await member(service, 21, "Ana", "Europe/Berlin", cohort.id)
    max_ = await member(service, 23, "Max", "Europe/Berlin", cohort.id, role=Role.MENTOR)
    both = await member(service, 24, "Bo", "Europe/Berlin", cohort.id)  # a mentee, and a mentor
    async with service.sessionmaker.begin() as session:
        await update_user(session, both.id, clock(), mentors=True)
        script = service.scripts.get("mentor_checkin")
        to_mentors = await schedule_broadcast(session, cohort, script, _local("2026-11-23 18:00"),
                                              created_by=None, policy=service.content.policy,
                                              now=clock())
    assert audience_of(script) == "mentors"
    assert audience_of(service.scripts.get("checkin")) == "mentees"
    assert to_mentors.members == 2
    async with service.sessionmaker.begin() as session:
        assert await item_by_key(session, f"broadcast:{to_mentors.broadcast.id}:{max_.id}")
        assert await item_by_key(session, f"broadcast:{to_mentors.broadcast.id}:{both.id}")


@pytest.mark.parametrize("lang", ["en", "de"])
@pytest.mark.parametrize(("dialog", "role", "whom"), [
    ("mentor_checkin", Role.MENTOR, {"en": "All mentors in", "de": "Alle Mentorinnen und Mentoren in"}),
    ("checkin", Role.MENTEE, {"en": "All mentees in", "de": "Alle Mentees in"})])
async def test_a_broadcast_invitation_says_which_side_is_invited(
        service: ConversationService, clock: FakeClock, lang: str, dialog: str, role: Role,
        whom: dict[str, str]) -> None:
    """Only one side gets a cohort check-in: "Everyone in Spring cohort is invited" told the
    mentors of a check-in the mentees never got."""
    cohort = await programme(service)
    invited = await member(service, 23, "Max", "Europe/Berlin", cohort.id, role=role)
    async with service.sessionmaker.begin() as session:
        await update_user(session, invited.id, clock(), language=lang)
        await schedule_broadcast(session, cohort, service.scripts.get(dialog),
                                 _local("2026-11-23 18:00"), created_by=None,
                                 policy=service.content.policy, now=clock())
    clock.now = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
    [invitation] = await one_pass(service)
    text = to_plain(invitation.messages[0].text)
    assert f"{whom[lang]} Spring cohort" in text
    assert text.startswith(to_plain(default_catalog().render(
        lang, "programmes.broadcast.invite", name="Max", programme="Spring cohort",
        title=default_catalog().render(lang, f"{dialog}.title"), audience=audience_of(
            service.scripts.get(dialog)))))


async def test_a_late_joiner_gets_an_open_broadcast_of_their_side_only(
        service: ConversationService, clock: FakeClock) -> None:
    """Joining after it was planned, further west than everyone counted then: the response
    report waits for the late joiner's answer window too, and counts them."""
    cohort = await programme(service, coordinators=(900,))
    cora = await member(service, 900, "Cora", "Europe/Berlin", None)
    await member(service, 20, "Ben", "Asia/Tokyo", cohort.id)
    async with service.sessionmaker.begin() as session:
        planned = await schedule_broadcast(session, cohort, service.scripts.get("checkin"),
                                           _local("2026-11-23 18:00"),
                                           created_by=None, policy=service.content.policy,
                                           now=clock(), audience="mentees")
    assert planned.report_at == datetime(2026, 11, 26, 10, 0, tzinfo=UTC)  # Tokyo's 09:00 + 73 h
    ana = await member(service, 21, "Ana", "America/Los_Angeles", cohort.id)
    max_ = await member(service, 23, "Max", "Europe/Berlin", cohort.id, role=Role.MENTOR)
    await replan_people(service, 21, 23)
    async with service.sessionmaker.begin() as session:
        invited = await item_by_key(session, f"broadcast:{planned.broadcast.id}:{ana.id}")
        assert invited is not None
        assert invited.due_at == datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
        assert await item_by_key(session, f"broadcast:{planned.broadcast.id}:{max_.id}") is None
        report = await item_by_key(session, f"broadcast_report:{planned.broadcast.id}:{cora.id}")
    assert report is not None
    assert report.due_at == datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # after Ana's window
    await replan_people(service, 20)  # Ben planned again: the report stays after Ana's window
    reports: list[tuple[datetime, str]] = []
    while clock.now <= datetime(2026, 11, 28, tzinfo=UTC):
        reports += [(clock.now, to_plain(d.messages[0].text)) for d in await one_pass(service)
                    if d.recipient == 900]
        clock.advance(minutes=30)
    [(when, text)] = reports
    assert when == datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
    assert "Not answered: 2 (Ben, Ana)" in text


async def test_a_programme_member_moving_west_moves_the_recurring_report_with_them(
        service: ConversationService, clock: FakeClock) -> None:
    """A recurring occurrence's report, planned for the members counted when it was made, also
    waits for a member who moves west afterwards and gets it later."""
    cohort = await programme(service, coordinators=(900,))
    cora = await member(service, 900, "Cora", "Europe/Berlin", None)
    async with service.sessionmaker.begin() as session:
        rule = Rhythm(time(18, 0), frozenset({0})).to_json()  # Mondays 18:00
        await update_programme(session, cohort.id, clock(), defaults={"cohort_checkin": rule})
    ana = await member(service, 21, "Ana", "Europe/Berlin", cohort.id)
    await replan_people(service, 21)
    async with service.sessionmaker.begin() as session:
        [invited] = await pending_items(session, ana.id, ["broadcast"])
        broadcast = invited.payload["broadcast"]
        report = await item_by_key(session, f"broadcast_report:{broadcast}:{cora.id}")
        assert report is not None
        assert report.due_at == datetime(2026, 11, 26, 18, 0, tzinfo=UTC)
        await update_user(session, ana.id, clock(), timezone="America/Los_Angeles")
    await replan_people(service, 21)
    async with service.sessionmaker.begin() as session:
        report = await item_by_key(session, f"broadcast_report:{broadcast}:{cora.id}")
        assert report is not None
        assert report.due_at == datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # LA 18:00 + 73 h


async def test_each_occurrence_of_a_recurring_cohort_check_in_is_reported(
        service: ConversationService, clock: FakeClock) -> None:
    cohort = await programme(service, coordinators=(900,))
    await member(service, 900, "Cora", "Europe/Berlin", None)
    async with service.sessionmaker.begin() as session:
        rule = Rhythm(time(18, 0), frozenset({0})).to_json()  # Mondays 18:00
        await update_programme(session, cohort.id, clock(), defaults={"cohort_checkin": rule})
    ana = await member(service, 21, "Ana", "Europe/Berlin", cohort.id)
    await member(service, 22, "Ben", "America/New_York", cohort.id)
    await member(service, 23, "Max", "Europe/Berlin", cohort.id, role=Role.MENTOR)
    await seed_answer(service, ana, SECRET)
    await replan_people(service, 21, 22, 23)
    async with service.sessionmaker.begin() as session:
        items = await pending_items(session, ana.id, ["broadcast"])
    assert [(i.due_at, i.payload["dialog"]) for i in items] == [
        (datetime(2026, 11, 23, 17, 0, tzinfo=UTC), "checkin")]

    received: dict[int, list[datetime]] = {}
    reports: list[str] = []
    while clock.now <= datetime(2026, 12, 4, tzinfo=UTC):  # two Mondays and their windows
        for delivery in await one_pass(service):
            if delivery.recipient == 900:
                reports.append(to_plain(delivery.messages[0].text))
            else:
                received.setdefault(delivery.recipient, []).append(clock.now)
                if delivery.recipient == 21 and len(received[21]) == 1:  # Ana starts the first
                    async with service.sessionmaker.begin() as session:
                        [item, *_] = await latest_items(session, ana.id, "broadcast")
                    await service.handle(Person(21, None, "en"),
                                         PressIn(item_data(item.id, "start")))
        clock.advance(minutes=30)
    for telegram_id, utc_hour in ((21, 17), (22, 23)):  # each Monday 18:00 in their zone
        assert datetime(2026, 11, 23, utc_hour, 0, tzinfo=UTC) in received[telegram_id]
        assert datetime(2026, 11, 30, utc_hour, 0, tzinfo=UTC) in received[telegram_id]
    assert 23 not in received  # a mentor: the cohort check-in is the mentees'
    assert len(reports) == 2, reports
    first, second = reports
    assert "Answered: 1" in first
    assert "Not answered: 1 (Ben)" in first
    assert "Answered: 0" in second
    assert "Not answered: 2 (Ana, Ben)" in second
    assert all(SECRET not in text and "Max" not in text for text in reports)


async def test_a_coordinator_added_later_gets_the_report_still_to_come(
        service: ConversationService, clock: FakeClock) -> None:
    """The report goes to whoever coordinates when it is due: granted after the broadcast, or
    granted before it but writing to the bot only afterwards."""
    cohort = await programme(service)
    await member(service, 21, "Ana", "Europe/Berlin", cohort.id)
    await member(service, 900, "Cora", "Europe/Berlin", None)
    async with service.sessionmaker.begin() as session:
        planned = await schedule_broadcast(session, cohort, service.scripts.get("checkin"),
                                           _local("2026-11-23 18:00"),
                                           created_by=None, policy=service.content.policy,
                                           now=clock(), audience="mentees")
        assert planned.reports == 0
        await grant(session, cohort.id, 900, clock())
        assert await report_to_new_coordinator(session, cohort, 900,
                                               policy=service.content.policy, now=clock()) == 1
        await grant(session, cohort.id, 901, clock())  # has not written to the bot yet
    await service.handle(Person(901, "Dana", "de"), CommandIn("start", ""))
    texts: dict[int, list[str]] = {900: [], 901: []}
    while clock.now <= datetime(2026, 11, 28, tzinfo=UTC):
        for delivery in await one_pass(service):
            if delivery.recipient in texts:
                texts[delivery.recipient].append(to_plain(delivery.messages[0].text))
        clock.advance(minutes=30)
    assert [t.splitlines()[1] for t in texts[900]] == ["Answered: 0"]
    assert len(texts[901]) == 1
    assert "Beantwortet: 0" in texts[901][0]


async def test_the_same_broadcast_given_twice_at_one_instant_is_planned_once(
        service: ConversationService, clock: FakeClock) -> None:
    """Two coordinators (or one double-clicking a script) send the same broadcast at once: the
    second waits for the first and is refused; members get one invitation, not two."""
    cohort = await programme(service)
    ana = await member(service, 21, "Ana", "Europe/Berlin", cohort.id)
    script = service.scripts.get("checkin")
    at = _local("2026-11-23 18:00")

    async def plan() -> None:
        async with service.sessionmaker.begin() as session:
            await schedule_broadcast(session, cohort, script, at, created_by=None,
                                     policy=service.content.policy, now=clock())

    async with service.sessionmaker.begin() as session:
        await schedule_broadcast(session, cohort, script, at, created_by=None,
                                 policy=service.content.policy, now=clock())
        second = asyncio.create_task(plan())
        await asyncio.sleep(0.3)  # the second is under way before the first is committed
        assert not second.done()  # it waits for the first
    with pytest.raises(BroadcastError, match="already sends checkin"):
        await second
    async with service.sessionmaker.begin() as session:
        assert len(await pending_items(session, ana.id, ["broadcast"])) == 1
