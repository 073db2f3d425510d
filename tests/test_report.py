"""`coachbot report`: one self-contained page a coordinator can open and print — the programme's
figures, charts drawn inline, in their language, and never a word of what anyone answered."""

from __future__ import annotations

import asyncio
import re
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bot.cli import main
from prompts.catalog import default_catalog
from service.conversation import ConversationService
from service.programmes.report import (
    Ending,
    PairAttention,
    PulsePoint,
    ReportData,
    WeekRate,
    report_page,
)
from service.programmes.report_data import report_data
from storage import migrate
from storage.database import create_engine, create_sessionmaker
from storage.programmes import create_programme, programme_by_name
from storage.pulses import add_pulse, set_comment
from storage.schedule import NewItem, add_items, item_by_key, set_status
from storage.users import update_user
from storage.vocabulary import ItemStatus, Role
from tests.support.clock import FakeClock
from tests.support.cohort import member, pair, programme, seed_answer

TODAY = date(2027, 3, 15)
SECRET_ANSWERS = ("I feel my mentor never listens to me", "Mein Chef hat mich angeschrien")
VOID = {"meta", "br", "rect", "line", "circle", "polyline", "link", "img", "hr"}


class _Structure(HTMLParser):
    """Checks that every element closes in order, and collects what a page must not hold."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.problems: list[str] = []
        self.tags: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.links += [f"{name}={value}" for name, value in attrs if name in ("src", "href")]
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.links += [f"{name}={value}" for name, value in attrs if name in ("src", "href")]

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.open[-1:]}")
        else:
            self.open.pop()


def _checked(page: str) -> _Structure:
    """The page parsed: well nested, no script, nothing fetched from elsewhere."""
    structure = _Structure()
    structure.feed(page)
    structure.close()
    assert page.startswith("<!doctype html>")
    assert structure.problems == []
    assert structure.open == []
    assert "script" not in structure.tags
    assert "<script" not in page.lower()
    assert structure.links == []  # no src, no href: nothing outside the file
    assert not re.search(r"(src|href)\s*=\s*[\"']?\s*https?://", page, re.IGNORECASE)
    assert "@import" not in page
    assert "url(" not in page
    assert "svg" in structure.tags
    return structure


def _data(**changes: object) -> ReportData:
    base = ReportData(
        programme="Spring cohort", today=TODAY, members=12, pairs=6,
        stages={"initiation": 1, "establishing": 2, "maturing": 3, "ending": 0},
        weeks=(WeekRate(date(2027, 2, 15), 8, 6), WeekRate(date(2027, 2, 22), 8, 4),
               WeekRate(date(2027, 3, 1), 0, 0), WeekRate(date(2027, 3, 8), 10, 9)),
        pulse=(PulsePoint(date(2027, 1, 1), 3.5, 4), PulsePoint(date(2027, 2, 1), 4.25, 8)),
        attention=(PairAttention("Ana", "Ben", stalled_days=25),
                   PairAttention("Cleo", "Dan", missed_streak=3, pulse=2.0),
                   PairAttention("Eve", "Finn", unreachable=("Eve",)),
                   PairAttention("Gil", "Hal", missed_streak=1, pulse=4.5)),
        endings=(Ending("Ivy", "Jo", TODAY + timedelta(days=9)),),
    )
    return ReportData(**{**base.__dict__, **changes})  # type: ignore[arg-type]


def test_the_page_is_self_contained_printable_and_shows_the_figures() -> None:
    page = report_page(_data(), default_catalog(), "en")
    _checked(page)
    assert "Spring cohort: programme report" in page
    assert "@page{size:A4" in page
    assert "@media print" in page
    assert page.count("<svg") == 3  # stages, weeks, pulse
    assert "<b>12</b>members" in page
    assert "<b>6</b>pairs" in page
    assert "<b>73 %</b>" in page  # 19 of 26 invitations started
    assert "<b>4.0</b>" in page  # the pulse over all 12 answers
    assert ">Making progress</text>" in page
    assert ">3</text>" in page
    assert ">75 %</text>" in page
    assert ">–</text>" in page  # a week with nothing sent
    assert ">4.2</text>" in page  # February's pulse (4.25)
    assert "no activity for 25 days" in page
    assert "3 check-ins missed in a row" in page
    assert "low relationship pulse (2.0)" in page
    assert "cannot be reached (blocked the bot): Eve" in page
    assert "Gil" not in page  # one missed check-in and a good pulse: nothing to look at
    assert "Ivy" in page
    assert "24 March 2027 (in 9 days)" in page


def test_the_page_in_german() -> None:
    page = report_page(_data(), default_catalog(), "de")
    _checked(page)
    assert '<html lang="de">' in page
    assert "Spring cohort: Programmbericht" in page
    assert "Wo die Tandems stehen" in page
    assert ">Vorankommen</text>" in page
    assert "<b>4,0</b>" in page  # the German decimal comma
    assert "seit 25 Tagen keine Aktivität" in page
    assert "24. März 2027 (in 9 Tagen)" in page
    assert "Stand: 15. März 2027" in page
    for english in ("programme report", "Where the pairs are", "missed in a row"):
        assert english not in page


@pytest.mark.parametrize(("lang", "days", "said"), [
    ("en", 0, "15 March 2027 (today)"), ("en", 1, "16 March 2027 (tomorrow)"),
    ("de", 0, "15. März 2027 (heute)"), ("de", 1, "16. März 2027 (morgen)")])
def test_an_ending_today_or_tomorrow_is_said_so(lang: str, days: int, said: str) -> None:
    ending = Ending("Ivy", "Jo", TODAY + timedelta(days=days))
    assert said in report_page(_data(endings=(ending,)), default_catalog(), lang)


def test_an_empty_programme_says_so_instead_of_drawing_nothing() -> None:
    page = report_page(_data(members=0, pairs=0, stages={}, weeks=(), pulse=(), attention=(),
                             endings=()), default_catalog(), "en")
    _checked(page)
    assert "No check-ins were sent in these weeks." in page
    assert "No pulse answers yet." in page
    assert "No pair needs attention right now." in page
    assert "No pairing ends in the next 30 days." in page


def test_names_are_escaped() -> None:
    page = report_page(_data(attention=(PairAttention("<b>Ana</b>", "Ben", stalled_days=30),),
                             programme="A & B"), default_catalog(), "en")
    _checked(page)
    assert "&lt;b&gt;Ana&lt;/b&gt;" in page
    assert "A &amp; B" in page


async def test_the_report_of_a_seeded_programme(service: ConversationService,
                                                clock: FakeClock) -> None:
    now = clock()
    made = await programme(service, coordinators=(900,))
    mentors = [await member(service, 100 + i, f"Mentor{i} Long", "Europe/Berlin", made.id,
                            role=Role.MENTOR) for i in range(3)]
    mentees = [await member(service, 200 + i, f"Mentee{i} Surname", "America/New_York", made.id,
                            stage=stage) for i, stage in
               enumerate(("initiation", "maturing", "maturing"))]
    today = now.date()
    pairings = [await pair(service, mentors[i], mentees[i], made.id,
                           started=today - timedelta(days=40),
                           ends=today + timedelta(days=10) if i == 0 else None) for i in range(3)]
    for mentee, text in zip(mentees, SECRET_ANSWERS, strict=False):
        await seed_answer(service, mentee, text)
    async with service.sessionmaker.begin() as session:
        low = await add_pulse(session, pairings[1], mentees[1].id, "mentee", 2, now)
        await set_comment(session, low, mentees[1].id, "he never listens")
        await add_pulse(session, pairings[2], mentees[2].id, "mentee", 5, now)
        await update_user(session, mentees[2].id, now, active=False)  # blocked the bot
        for n in range(2):  # two check-ins missed in a row
            key = f"checkin:{mentees[1].id}:{n}"
            await add_items(session, [NewItem(key, "checkin", mentees[1].id,
                                              now - timedelta(days=7 * n + 1), {})], now)
            item = await item_by_key(session, key)
            assert item is not None
            await set_status(session, item.id, ItemStatus.MISSED, now)
        key = f"checkin:{mentees[0].id}:started"  # two weeks ago, started: the second week
        await add_items(session, [NewItem(key, "checkin", mentees[0].id,
                                          now - timedelta(days=16), {"started": True})], now)
        item = await item_by_key(session, key)
        assert item is not None
        await set_status(session, item.id, ItemStatus.SENT, now)
    async with service.sessionmaker.begin() as session:
        found = await programme_by_name(session, "Spring cohort")
        assert found is not None
        data = await report_data(session, found, now)

    assert data.members == 6
    assert data.pairs == 3
    assert data.stages["maturing"] == 2
    assert data.stages["initiation"] == 1
    assert [e.mentee for e in data.endings] == ["Mentee0"]
    assert [(week.sent, week.started) for week in data.weeks] == [(0, 0), (1, 1), (1, 0), (1, 0)]
    assert [p.count for p in data.pulse] == [2]
    attention = {p.mentee: p for p in data.attention if p.needs_attention}
    assert attention["Mentee1"].missed_streak == 2
    assert attention["Mentee1"].pulse == 2.0
    assert attention["Mentee2"].unreachable == ("Mentee2",)
    for lang in ("en", "de"):
        page = report_page(data, default_catalog(), lang)
        _checked(page)
        for secret in (*SECRET_ANSWERS, "he never listens", "Surname", "Long"):
            assert secret not in page


async def test_the_report_counts_check_ins_completed_beside_the_invitations(
        service: ConversationService, clock: FakeClock) -> None:
    """A mentee who missed the one check-in she was invited to but did two with /checkin in the
    last 4 weeks: the response rate stays that of the invitations (0 %), and the two completed
    show beside it, in en and de, as in /stats; an older one and another dialog do not count."""
    made = await programme(service, coordinators=(900,))
    mentor = await member(service, 300, "Rita", "Europe/Berlin", made.id, role=Role.MENTOR)
    eve = await member(service, 301, "Eve", "Europe/Berlin", made.id)
    await pair(service, mentor, eve, made.id, started=clock().date())
    await seed_answer(service, eve, "long ago")
    clock.advance(days=35)
    for text in ("Eve's first own check-in", "Eve's second own check-in"):
        await seed_answer(service, eve, text)
    await seed_answer(service, eve, "a goal", dialog="grow", step="goal")
    now = clock()
    async with service.sessionmaker.begin() as session:
        await add_items(session, [NewItem("checkin:eve", "checkin", eve.id,
                                          now - timedelta(days=2), {})], now)
        item = await item_by_key(session, "checkin:eve")
        assert item is not None
        await set_status(session, item.id, ItemStatus.MISSED, now)
        found = await programme_by_name(session, "Spring cohort")
        assert found is not None
        data = await report_data(session, found, now)
    assert data.completed == 2
    pages = {lang: report_page(data, default_catalog(), lang) for lang in ("en", "de")}
    assert "<b>0 %</b>check-in invitations started (last 4 weeks)" in pages["en"]
    assert ("<b>2</b>check-ins completed by paired mentees (last 4 weeks, invited or on their "
            "own)") in pages["en"]
    assert "<b>0 %</b>begonnene Check-in-Einladungen (letzte 4 Wochen)" in pages["de"]
    assert ("<b>2</b>abgeschlossene Check-ins der Mentees in Tandems (letzte 4 Wochen, "
            "eingeladen oder aus eigenem Antrieb)") in pages["de"]
    for page in pages.values():
        _checked(page)
        assert not any(secret in page for secret in ("long ago", "own check-in", "a goal"))


def _database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **defaults: str) -> str:
    """A SQLite file with one programme, the environment pointing at it."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'coachbot.sqlite3'}"

    async def seed() -> None:
        engine = create_engine(url)
        await migrate.upgrade(engine)
        async with create_sessionmaker(engine).begin() as session:
            await create_programme(session, "Spring cohort", dict(defaults), {}, FakeClock()())
        await engine.dispose()

    asyncio.run(seed())
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "COACHBOT_ADMINS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def test_the_report_command_writes_the_page_in_the_programme_s_language(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _database(tmp_path, monkeypatch, language="de")
    assert main(["report", "--programme", "Spring cohort", "-o", "report.html"]) == 0
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    _checked(page)
    assert "Programmbericht" in page
    assert "wrote report.html" in capsys.readouterr().err

    assert main(["report", "--programme", "Spring cohort", "-o", "en.html", "--lang", "en"]) == 0
    assert "programme report" in (tmp_path / "en.html").read_text(encoding="utf-8")


def test_the_report_command_s_errors_are_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _database(tmp_path, monkeypatch)
    assert main(["report", "--programme", "Autumn", "-o", "report.html"]) == 1
    assert capsys.readouterr().err == "coachbot: no programme called 'Autumn'\n"
    assert not (tmp_path / "report.html").exists()

    assert main(["report", "--programme", "Spring cohort", "-o", "missing/report.html"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("coachbot: cannot write missing/report.html")
    assert error.count("\n") == 1


def test_programme_safety_command(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _database(tmp_path, monkeypatch)
    (tmp_path / "contacts.txt").write_text("Programme office: Mia, 0301 234 (weekdays)\n")
    (tmp_path / "words.yaml").write_text("en: [burnt out]\nde: [ausgebrannt]\n")
    assert main(["programme", "safety", "Spring cohort", "--contacts", "contacts.txt",
                 "--alert", "on", "--keywords", "words.yaml"]) == 0
    out = capsys.readouterr().out
    assert "its own (42 characters)" in out
    assert "en 1, de 1" in out
    assert "coordinators alerted: on" in out

    assert main(["programme", "safety", "Spring cohort", "--alert", "off"]) == 0
    out = capsys.readouterr().out
    assert "its own (42 characters)" in out  # what was not given stays
    assert "coordinators alerted: off" in out
    assert "at most once per member every 24 hours" in out  # the default

    assert main(["programme", "safety", "Spring cohort", "--alert-hours", "6"]) == 0
    assert "at most once per member every 6 hours" in capsys.readouterr().out
    assert main(["programme", "safety", "Spring cohort", "--alert-hours", "-1"]) == 1
    assert capsys.readouterr().err == "coachbot: --alert-hours must be between 0 and 720\n"
    assert main(["programme", "safety", "Spring cohort"]) == 0
    assert "every 6 hours" in capsys.readouterr().out  # the bad value changed nothing


@pytest.mark.parametrize(("args", "files", "error"), [
    (["Autumn"], {}, "coachbot: no programme called 'Autumn'"),
    (["Spring cohort", "--contacts", "nothing.txt"], {},
     "coachbot: nothing.txt: cannot read it (No such file or directory)"),
    (["Spring cohort", "--contacts", "empty.txt"], {"empty.txt": "\n\n"},
     "coachbot: empty.txt: it is empty: write the help contacts in it"),
    (["Spring cohort", "--keywords", "words.yaml"], {"words.yaml": "fr: [épuisé]"},
     "coachbot: words.yaml: unknown language 'fr' (known: en, de)"),
    (["Spring cohort", "--keywords", "words.yaml"], {"words.yaml": "en: ["},
     "coachbot: words.yaml: not valid YAML"),
    # A phrase without a letter or digit would bring the crisis message to any answer with it.
    (["Spring cohort", "--keywords", "words.yaml"], {"words.yaml": 'en: [burnt out, "("]'},
     "coachbot: words.yaml: en: '(' has no letter or digit: a phrase is one or more words"),
    (["Spring cohort", "--keywords", "words.yaml"], {"words.yaml": 'de: ["  ?! "]'},
     "coachbot: words.yaml: de: '?!' has no letter or digit"),
])
def test_programme_safety_command_errors_are_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        args: list[str], files: dict[str, str], error: str) -> None:
    _database(tmp_path, monkeypatch)
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert main(["programme", "safety", *args]) == 1
    err = capsys.readouterr().err
    assert err.startswith(error)
    assert err.count("\n") == 1
