"""People without a first name (met in `coachbot chat`, or added on Telegram by id before they
ever wrote) are named one way in every text (service/names.py): the mentee reads "your mentor"
("deine Mentorin oder dein Mentor"), a mentor with several nameless mentees reads "Mentee 2", the
same in every place and for as long as that pairing lasts; never "…", "?", an id or "ohne Namen".
And a mentee paired by the programme team is paired in every text, whether their mentor has a
name or not (the agreement told one "No mentor is linked here yet")."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import cohort_cli
from bot.settings import Settings
from bot.terminal import to_plain
from service.conversation import ConversationService
from service.messages import Delivery, Response
from service.programmes.broadcasts import parse_at, schedule_broadcast
from service.programmes.pairs import pair, unpair
from service.programmes.report import report_page
from service.programmes.report_data import report_data
from service.programmes.stats import in_language
from storage.programmes import ProgrammeRecord, grant
from storage.users import create_user, update_user
from storage.vocabulary import Role
from tests.support.chat import Chat
from tests.support.clock import FakeClock
from tests.support.cohort import one_pass, programme, replan_people
from tests.support.mentoring import saved_run

MENTOR, FIRST, SECOND, THIRD = 9101, 9202, 9203, 9204
OTHER_MENTOR, COORDINATOR = 9102, 9301
PULSE_DAY = datetime(2026, 12, 21, 17, 0, tzinfo=UTC)  # 30 days after the clock's start, 17:00
YOUR_MENTOR = {"en": "your mentor", "de": "deine Mentorin oder dein Mentor"}
YOUR_MENTOR_ANY_CASE = {"en": r"your mentor", "de": r"deine[rn]? mentorin oder dein(?:em|en)? mentor"}
NOT_LINKED = {"en": ("No mentor is linked", "once your mentor joins"),
              "de": ("niemand mit dir verknüpft", "sobald deine Mentorin oder dein Mentor dazukommt")}


def stand_ins(text: str) -> list[str]:
    """What stands where a name is missing and should not: a lone "…" or "?", a Telegram id,
    "ohne Namen"."""
    found = re.findall(r"(?:^|\s)[…?](?=[\s.,:;)]|$)", text, flags=re.M)
    found += re.findall(rf"\b(?:{MENTOR}|{FIRST}|{SECOND}|{THIRD})\b", text)
    found += re.findall(r"ohne Namen|without a name|no name", text)
    return found


def plain(*parts: Response | Delivery | list[Delivery]) -> str:
    """Every message (and button label) of these, as the person reads them."""
    lines: list[str] = []
    for part in parts:
        for delivery in part if isinstance(part, list) else [part]:
            for message in delivery.messages:
                lines.append(to_plain(message.text))
                lines += [button.label for button in message.choices]
    return "\n".join(lines)


def to(telegram_id: int, deliveries: list[Delivery]) -> list[Delivery]:
    return [d for d in deliveries if d.recipient == telegram_id]


async def cohort(service: ConversationService, lang: str, mentor_name: str | None = None,
                 mentees: tuple[int, ...] = (FIRST, SECOND)) -> ProgrammeRecord:
    """A programme whose coordinators paired one mentor (nameless unless named) with nameless
    mentees, as `coachbot pair` does; the introductions are sent."""
    made = await programme(service)
    now = service.clock()
    async with service.sessionmaker.begin() as session:
        for telegram_id, name, role in ((MENTOR, mentor_name, Role.MENTOR),
                                        *((m, None, Role.MENTEE) for m in mentees)):
            user, _ = await create_user(session, telegram_id, name=name, language=lang,
                                        timezone="UTC", now=now, role=role)
            await update_user(session, user.id, now, programme_id=made.id)
        for mentee in mentees:
            await pair(session, made, MENTOR, mentee, now)
    await replan_people(service, MENTOR, *mentees)
    return made


async def end(service: ConversationService, made: ProgrammeRecord, mentee: int) -> None:
    async with service.sessionmaker.begin() as session:
        await unpair(session, made, mentee, service.clock())


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_mentee_reads_your_mentor_wherever_the_mentor_has_no_name(
        service: ConversationService, clock: FakeClock, lang: str) -> None:
    await cohort(service, lang)
    mentee = Chat(service, FIRST, language=lang, name="")
    texts = {"introduction": plain(to(FIRST, await one_pass(service)))}
    texts["settings"] = plain(await mentee.send("/settings"))
    texts["share on"] = plain(await mentee.send("/settings share on"))
    texts["askmentor"] = plain(await mentee.send("/askmentor"))
    texts["note sent"] = plain(await mentee.send("Could we talk before Friday?"))
    texts["delete"] = plain(await mentee.send("/delete"))
    await mentee.send("/cancel")
    clock.now = PULSE_DAY
    texts["pulse"] = plain(to(FIRST, await one_pass(service)))
    for place, text in texts.items():
        assert text, place
        assert stand_ins(text) == [], (place, text)
        assert re.search(YOUR_MENTOR_ANY_CASE[lang], text.casefold()), (place, text)
        assert not any(phrase in text for phrase in NOT_LINKED[lang]), (place, text)


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_mentor_tells_nameless_mentees_apart_by_the_order_they_came_in(
        service: ConversationService, clock: FakeClock, lang: str) -> None:
    made = await cohort(service, lang, mentees=(FIRST, SECOND, THIRD))
    mentor = Chat(service, MENTOR, language=lang, name="")
    third = Chat(service, THIRD, language=lang, name="")
    texts = {"introductions": plain(to(MENTOR, await one_pass(service)))}
    await end(service, made, FIRST)
    texts["ended"] = plain(to(MENTOR, await one_pass(service)))
    assert "Mentee 1" in texts["ended"]
    texts["mentees"] = plain(await mentor.send("/mentees"))
    texts["one opened"] = plain(await mentor.send("/mentees Mentee 3"))
    texts["settings"] = plain(await mentor.send("/settings"))
    texts["end offer"] = plain(await mentor.press("Mentee 3"))
    await mentor.press(1)  # no, keep it
    texts["help"] = plain(to(MENTOR, list((await third.send("/askmentor Stuck")).deliveries)))
    mentor.buttons = [b for d in to(MENTOR, list(third.log[-1].deliveries))
                      for m in d.messages for b in m.choices]
    texts["reply asked"] = plain(await mentor.press(0))
    texts["reply sent"] = plain(await mentor.send("Call me tonight."))
    await saved_run(third, "checkin", {"helped": "a talk", "confidence": 6}, shared=True)
    texts["digest"] = plain(await mentor.send("/digest"))
    clock.now = PULSE_DAY
    texts["pulse"] = plain(to(MENTOR, await one_pass(service)))
    for place, text in texts.items():
        assert stand_ins(text) == [], (place, text)
    for place in ("mentees", "settings", "digest", "pulse"):  # the two still paired, apart
        assert "Mentee 2" in texts[place], (place, texts[place])
        assert "Mentee 3" in texts[place], (place, texts[place])
    assert "Mentee 1" not in texts["mentees"]  # ended: the others keep their numbers
    for place in ("one opened", "end offer", "help", "reply asked", "reply sent"):
        assert "Mentee 3" in texts[place], (place, texts[place])
        assert "Mentee 2" not in texts[place], (place, texts[place])


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_the_mentor_hears_which_nameless_mentee_ended_the_pairing_or_left(
        service: ConversationService, lang: str) -> None:
    await cohort(service, lang, mentees=(FIRST, SECOND, THIRD))
    await one_pass(service)
    third, first = Chat(service, THIRD, language=lang, name=""), Chat(service, FIRST, language=lang,
                                                                      name="")
    await third.send("/settings")
    await third.press(-1)  # end the pairing with your mentor
    ended = await third.press(0)  # yes
    assert re.search(YOUR_MENTOR_ANY_CASE[lang], plain(ended).casefold())
    told = plain(to(MENTOR, list(ended.deliveries)))
    assert "Mentee 3" in told, told
    assert stand_ins(told) == [], told
    await first.send("/delete")
    gone = plain(to(MENTOR, list((await first.press(0)).deliveries)))  # yes, erase everything
    assert "Mentee 1" in gone, gone
    assert stand_ins(gone) == [], gone


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_sole_nameless_mentee_is_your_mentee(service: ConversationService,
                                                    lang: str) -> None:
    await cohort(service, lang, mentees=(FIRST,))
    mentor = Chat(service, MENTOR, language=lang, name="")
    texts = {"introduction": plain(to(MENTOR, await one_pass(service))),
             "settings": plain(await mentor.send("/settings")),
             "mentees": plain(await mentor.send("/mentees"))}
    for place, text in texts.items():
        assert stand_ins(text) == [], (place, text)
        assert "Mentee 1" not in text, (place, text)
    mentee = {"en": "your mentee", "de": "die du begleitest"}[lang]
    assert mentee in texts["settings"].casefold()


@pytest.mark.parametrize("mentor_name", ["Maria", None])
@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_mentee_paired_by_the_programme_team_is_paired_in_every_text(
        service: ConversationService, lang: str, mentor_name: str | None) -> None:
    """The walk: mentee 202, paired with `coachbot pair`, was told at the agreement's sharing
    question that no one was linked with them yet (the text took a missing name for no mentor)."""
    await cohort(service, lang, mentor_name=mentor_name, mentees=(FIRST,))
    mentee = Chat(service, FIRST, language=lang, name="")
    await mentee.send("/agreement")
    for answer in ("To lead a team", "A team of my own", "Honest feedback", "To prepare",
                   "No calls after 8"):
        await mentee.send(answer)
    texts = {"agreement": plain(await mentee.send("/skip")),
             "settings": plain(await mentee.send("/settings")),
             "share on": plain(await mentee.send("/settings share on")),
             "answers": plain(await mentee.send("/answers"))}
    called = mentor_name or YOUR_MENTOR_ANY_CASE[lang]
    for place, text in texts.items():
        assert not any(phrase in text for phrase in NOT_LINKED[lang]), (place, text)
        assert stand_ins(text) == [], (place, text)
    for place in ("agreement", "settings", "share on"):
        assert re.search(called, texts[place], flags=re.I), (place, texts[place])


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_coordinator_tells_nameless_people_apart(
        service: ConversationService, clock: FakeClock, database_url: str, tmp_path: Path,
        lang: str) -> None:
    """/stats, `coachbot stats`'s CSV and the report name a nameless mentee as their mentor does
    ("Mentee 2", also an only mentee) and a nameless mentor by the order mentors were first paired
    in the programme ("Mentor 2"), in the coordinator's language: never "?" for each of them."""
    made = await cohort(service, lang)
    now = service.clock()
    async with service.sessionmaker.begin() as session:
        for telegram_id, role in ((OTHER_MENTOR, Role.MENTOR), (THIRD, Role.MENTEE)):
            user, _ = await create_user(session, telegram_id, name=None, language=lang,
                                        timezone="UTC", now=now, role=role)
            await update_user(session, user.id, now, programme_id=made.id)
        await pair(session, made, OTHER_MENTOR, THIRD, now)
        await grant(session, made.id, COORDINATOR, now)
    clock.advance(days=22)  # every pair stalled: /stats lists them by name
    mentor = {"en": "Mentor", "de": "Mentorin oder Mentor"}[lang]
    pairs = [(f"{mentor} 1", "Mentee 1"), (f"{mentor} 1", "Mentee 2"), (f"{mentor} 2", "Mentee 1")]

    coordinator = Chat(service, COORDINATOR, language=lang, name="Cora")
    await coordinator.send("/start")
    figures = coordinator.texts(await coordinator.send("/stats"))
    assert ", ".join(f"{one} & {other}" for one, other in pairs) in figures
    assert stand_ins(figures) == [], figures

    written = tmp_path / "pairs.csv"
    assert await cohort_cli.stats(Settings(DATABASE_URL=database_url), made.name, written,
                                  lang) == 0
    rows = csv.DictReader(io.StringIO(written.read_text(encoding="utf-8")))
    assert [(row["mentor"], row["mentee"]) for row in rows] == pairs

    async with service.sessionmaker.begin() as session:
        data = await report_data(session, made, service.clock(), in_language(lang))
    page = report_page(data, service.catalog, lang)
    for one, other in pairs:
        assert f"<td>{other}</td><td>{one}</td>" in page


@pytest.mark.parametrize(("lang", "mentees", "mentors"), [
    ("en", "Not answered: 3 (Mentee 1 (Mentor 1's), Mentee 2 (Mentor 1's) and 1 more)",
     "Not answered: 1 (Mentor 1)"),
    ("de", "Nicht beantwortet: 3 (Mentee 1 (von Mentorin oder Mentor 1), "
           "Mentee 2 (von Mentorin oder Mentor 1) und 1 weitere)",
     "Nicht beantwortet: 1 (Mentorin oder Mentor 1)")])
async def test_a_broadcast_s_report_names_the_nameless_as_coordinators_read_them(
        service: ConversationService, clock: FakeClock, lang: str, mentees: str,
        mentors: str) -> None:
    """Who has not answered a cohort check-in: a nameless mentee is "Mentee 2" with their mentor
    beside them and a nameless mentor "Mentor 1", as in /stats; someone nameless in no pair is
    counted, never "?"."""
    made = await cohort(service, lang)
    now = service.clock()
    async with service.sessionmaker.begin() as session:
        user, _ = await create_user(session, THIRD, name=None, language=lang, timezone="UTC",
                                    now=now, role=Role.MENTEE)  # in the programme, unpaired
        await update_user(session, user.id, now, programme_id=made.id)
        await grant(session, made.id, COORDINATOR, now)
    await Chat(service, COORDINATOR, language=lang, name="Cora").send("/start")
    at = parse_at("2026-11-23 18:00")  # a wall time in each member's zone
    assert at is not None
    async with service.sessionmaker.begin() as session:
        planned = [await schedule_broadcast(session, made, service.scripts.get(dialog), at,
                                            created_by=None, policy=service.content.policy,
                                            now=now) for dialog in ("checkin", "mentor_checkin")]
    clock.now = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)  # in UTC, where everyone is
    await one_pass(service)  # the invitations go out; nobody starts
    clock.now = max(p.report_at for p in planned if p.report_at is not None)
    reports = plain(to(COORDINATOR, await one_pass(service)))
    assert mentees in reports
    assert mentors in reports
    assert stand_ins(reports) == [], reports


@pytest.mark.parametrize(("lang", "jon_s", "maria_s"), [
    ("en", "Mentee 1 (Jon's)", "Mentee 1 (Maria's)"),
    ("de", "Mentee 1 (von Jon)", "Mentee 1 (von Maria)")])
async def test_two_mentors_nameless_mentees_are_told_apart_in_the_broadcast_s_report(
        service: ConversationService, clock: FakeClock, lang: str, jon_s: str,
        maria_s: str) -> None:
    """Each mentor's first nameless mentee is their "Mentee 1": in the one list of who has not
    answered, each carries their mentor's name, so the coordinator knows whom to ask."""
    made = await cohort(service, lang, mentor_name="Jon", mentees=(FIRST,))
    now = service.clock()
    async with service.sessionmaker.begin() as session:
        for telegram_id, name, role in ((OTHER_MENTOR, "Maria", Role.MENTOR),
                                        (THIRD, None, Role.MENTEE)):
            user, _ = await create_user(session, telegram_id, name=name, language=lang,
                                        timezone="UTC", now=now, role=role)
            await update_user(session, user.id, now, programme_id=made.id)
        await pair(session, made, OTHER_MENTOR, THIRD, now)
        await grant(session, made.id, COORDINATOR, now)
    await replan_people(service, OTHER_MENTOR, THIRD)
    await Chat(service, COORDINATOR, language=lang, name="Cora").send("/start")
    at = parse_at("2026-11-23 18:00")
    assert at is not None
    async with service.sessionmaker.begin() as session:
        planned = await schedule_broadcast(session, made, service.scripts.get("checkin"), at,
                                           created_by=None, policy=service.content.policy,
                                           now=now)
    clock.now = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
    await one_pass(service)  # the invitations go out; nobody starts
    assert planned.report_at is not None
    clock.now = planned.report_at
    report = plain(to(COORDINATOR, await one_pass(service)))
    names = re.search(r": 2 \((.*)\)$", report, flags=re.M)
    assert names is not None, report
    assert sorted(names[1].split(", ")) == sorted([jon_s, maria_s])


def test_the_stand_ins_are_found() -> None:
    """The check above finds what the walk saw."""
    assert stand_ins("Neue Antworten mit … teilen") == [" …"]
    assert stand_ins("mit ? für dich, nicht ?.") == [" ?", " ?"]
    assert stand_ins("your mentor is 9101.") == ["9101"]
    assert stand_ins("Mentee ohne Namen") == ["ohne Namen"]
    assert stand_ins("Are you sure? Until a date…") == []


