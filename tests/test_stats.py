"""Health figures on a seeded programme: exact numbers, the CSV's columns, /stats for the
coordinator of the programme only (a non-coordinator, and a forged button for another programme,
are refused with nothing leaked), and no coordinator output holding anyone's answer text."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli import main
from bot.cohort_cli import describe
from bot.terminal import to_plain
from dialogs.registry import default_scripts
from prompts.catalog import default_catalog
from service.callbacks import scheduling_data
from service.conversation import ConversationService
from service.csv_cells import safe_cell
from service.inputs import PressIn
from service.programmes.report_data import report_data
from service.programmes.stats import CSV_COLUMNS, programme_stats, to_csv
from storage.database import create_sessionmaker
from storage.programmes import ProgrammeRecord
from storage.pulses import add_pulse, set_comment
from storage.schedule import NewItem, add_items, item_by_key, set_status
from storage.users import UserRecord, set_active
from storage.vocabulary import ItemStatus, JSONObject, Role
from tests.support.chat import Chat
from tests.support.clock import FakeClock
from tests.support.cohort import member, pair, programme, seed_answer
from tests.test_cli import coachbot, into_a_gone_reader
from tests.test_programme_cli import _env, _members

COORDINATOR, OTHER_COORDINATOR, ADMIN, STRANGER = 700, 701, 702, 703
SECRETS = ("Ana's secret fear of failing", "Zed's private plan", "pulse comment: he never listens")


@dataclass
class Seeded:
    service: ConversationService
    spring: ProgrammeRecord
    autumn: ProgrammeRecord


async def invitation(service: ConversationService, user: UserRecord, key: str, due: datetime,
                     status: ItemStatus, payload: JSONObject, kind: str = "checkin") -> None:
    async with service.sessionmaker.begin() as session:
        await add_items(session, [NewItem(key, kind, user.id, due, {})], service.clock())
        item = await item_by_key(session, key)
        assert item is not None
        await set_status(session, item.id, status, service.clock(), payload=payload)


async def seed(engine: AsyncEngine, clock: FakeClock) -> Seeded:
    """Spring: Max & Ana (maturing, 51 days, ends in 19 days), Mo & Ben (establishing, 6 days),
    Mia & Dee (initiation, 51 days, silent: stalled), Cem (unpaired, blocked the bot).
    Autumn: Zed alone. Now: Saturday 21 November 2026, 09:00 UTC."""
    service = ConversationService(create_sessionmaker(engine), scripts=default_scripts(),
                                  catalog=default_catalog(), clock=clock, admins=(ADMIN,))
    spring = await programme(service, "Spring", coordinators=(COORDINATOR,))
    autumn = await programme(service, "Autumn", coordinators=(OTHER_COORDINATOR,))
    zone = "Europe/Berlin"
    people = {name: await member(service, 100 + n, f"{name} Surname", zone, spring.id,
                                 role=Role.MENTOR if name in ("Max", "Mo", "Mia") else Role.MENTEE,
                                 stage=stage)
              for n, (name, stage) in enumerate([
                  ("Max", "maturing"), ("Ana", "maturing"), ("Mo", "maturing"),
                  ("Ben", "establishing"), ("Mia", "maturing"), ("Dee", "initiation"),
                  ("Cem", "initiation")])}
    zed = await member(service, 200, "Zed", zone, autumn.id)
    ana_pair = await pair(service, people["Max"], people["Ana"], spring.id, date(2026, 10, 1),
                          date(2026, 12, 10))
    ben_pair = await pair(service, people["Mo"], people["Ben"], spring.id, date(2026, 11, 15))
    await pair(service, people["Mia"], people["Dee"], spring.id, date(2026, 10, 1))
    await seed_answer(service, people["Ana"], SECRETS[0])
    await seed_answer(service, zed, SECRETS[1])
    now = clock()
    ana, ben = people["Ana"], people["Ben"]
    started: JSONObject = {"started": True}
    await invitation(service, ana, "a1", now - timedelta(days=40), ItemStatus.SENT, started)
    await invitation(service, ana, "a2", now - timedelta(days=20), ItemStatus.SENT, started)
    await invitation(service, ana, "a3", now - timedelta(days=13), ItemStatus.MISSED,
                     {"unanswered": True})
    await invitation(service, ana, "a4", now - timedelta(days=6), ItemStatus.MISSED,
                     {"unanswered": True})
    await invitation(service, ben, "b1", now - timedelta(days=2), ItemStatus.SENT, started,
                     kind="broadcast")
    await invitation(service, ben, "b2", now - timedelta(days=1), ItemStatus.SKIPPED, {},
                     kind="broadcast")
    async with service.sessionmaker.begin() as session:
        await set_active(session, 106, False, now)  # Cem blocked the bot
        await add_pulse(session, ana_pair, people["Max"].id, "mentor", 4, now)
        await add_pulse(session, ana_pair, ana.id, "mentee", 2, now)
        pulse = await add_pulse(session, ana_pair, ana.id, "mentee", 4, now)
        await set_comment(session, pulse, ana.id, SECRETS[2])
        await add_pulse(session, ben_pair, ben.id, "mentee", 5, now)
    return Seeded(service, spring, autumn)


async def test_the_figures_of_a_seeded_programme(engine: AsyncEngine, clock: FakeClock) -> None:
    seeded = await seed(engine, clock)
    async with seeded.service.sessionmaker.begin() as session:
        figures = await programme_stats(session, seeded.spring, clock(), date(2026, 11, 21))
    assert figures.members == 7
    assert figures.pairs == 3
    assert figures.pairs_by_stage == {"initiation": 1, "establishing": 1, "maturing": 1,
                                      "ending": 0}
    assert (figures.invited, figures.started) == (5, 2)  # a1 is older than four weeks
    assert figures.response_rate == pytest.approx(0.4)
    assert figures.missed_streaks == 1  # Ana: two missed since her last start
    assert figures.stalled == 1
    assert figures.stalled_names == ["Mia & Dee"]
    assert figures.inactive == 0  # they all joined today: nobody has been silent for 30 days
    assert figures.attention == 2  # Max & Ana (two missed in a row), Mia & Dee (stalled)
    assert figures.unreachable == 1
    assert [(e.on, e.mentor, e.mentee) for e in figures.endings] == [
        (date(2026, 12, 10), "Max", "Ana")]
    assert figures.pulse_mentor == 4.0
    assert figures.pulse_mentee == 4.0  # Ana 3.0 and Ben 5.0
    assert figures.completed == 1  # Ana's check-in (seeded with her secret)

    async with seeded.service.sessionmaker.begin() as session:
        later = await programme_stats(session, seeded.spring, clock() + timedelta(days=31))
    assert later.inactive == 6  # 31 days on, everyone reachable is silent (Ana since her answer)

    rows = list(csv.DictReader(io.StringIO(to_csv(figures))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [(r["mentor"], r["mentee"], r["stage"], r["invited_4w"], r["started_4w"],
             r["response_rate_4w"], r["mentee_checkins_done_4w"], r["missed_streak"],
             r["stalled"], r["ends_within_30d"], r["pulse_mentor"], r["pulse_mentee"]) for r in rows] == [
        ("Max", "Ana", "maturing", "3", "1", "0.33", "1", "2", "0", "1", "4.00", "3.00"),
        ("Mo", "Ben", "establishing", "2", "1", "0.50", "0", "0", "0", "0", "", "5.00"),
        ("Mia", "Dee", "initiation", "0", "0", "", "0", "0", "1", "0", "", ""),
    ]
    assert not any(secret in to_csv(figures) for secret in SECRETS)


async def test_stats_for_the_coordinator_only(engine: AsyncEngine, clock: FakeClock) -> None:
    seeded = await seed(engine, clock)
    coordinator = Chat(seeded.service, user_id=COORDINATOR, name="Cora")
    text = coordinator.texts(await coordinator.send("/stats"))
    assert "Spring: how the programme is doing" in text
    assert "7 members, 3 pairs" in text
    assert "Check-in invitations in the last 4 weeks: 2 of 5 started (40 %)" in text
    assert ("Check-ins completed by paired mentees in the last 4 weeks (invited or on their "
            "own): 1") in text
    assert "Stalled pairs (21 days without activity): 1 (Mia & Dee)" in text
    assert "Relationship pulse (1–5): mentors 4.0, mentees 4.0" in text
    assert "Pairs needing attention: 2" in text
    assert "Silent for 30 days: 0 · unreachable (blocked the bot): 1" in text
    outputs = [text]

    forged = coordinator.texts(await coordinator.handle(PressIn(
        scheduling_data("stats", str(seeded.autumn.id)))))
    assert forged == to_plain(default_catalog().render("en", "programmes.stats.not_coordinator"))
    stranger = Chat(seeded.service, user_id=STRANGER, name="Sam")
    refused = stranger.texts(await stranger.send("/stats"))  # the command table refuses it
    assert refused == to_plain(default_catalog().render("en", "mentors.roles.not_yours",
                                                        for_mentors=False, for_coordinators=True))
    pressed = stranger.texts(await stranger.handle(PressIn(
        scheduling_data("stats", str(seeded.spring.id)))))
    assert pressed == forged
    outputs += [forged, refused, pressed]

    admin = Chat(seeded.service, user_id=ADMIN, name="Ada")
    outputs.append(admin.texts(await admin.send("/stats")))
    assert [b.label for b in admin.buttons] == ["Autumn", "Spring"]
    outputs.append(admin.texts(await admin.press("Autumn")))
    assert "Autumn: how the programme is doing" in outputs[-1]
    for output in outputs:
        assert "Zed" not in output or "Autumn" in output
        assert not any(secret in output for secret in SECRETS)


async def test_check_ins_begun_on_ones_own_show_as_activity(
        engine: AsyncEngine, clock: FakeClock) -> None:
    """A mentee nobody invited who did two check-ins with /checkin in the last 4 weeks: the
    response rate stays that of the invitations (0 of 0), and the two show as completed, in the
    shell, in /stats (en and de) and in the CSV; an older one and other dialogs do not count."""
    service = ConversationService(create_sessionmaker(engine), scripts=default_scripts(),
                                  catalog=default_catalog(), clock=clock)
    solo = await programme(service, "Solo", coordinators=(COORDINATOR,))
    mentor = await member(service, 300, "Rita", "Europe/Berlin", solo.id, role=Role.MENTOR)
    eve = await member(service, 301, "Eve", "Europe/Berlin", solo.id)
    await pair(service, mentor, eve, solo.id, date(2026, 9, 1))
    await seed_answer(service, eve, "long ago")
    clock.advance(days=35)
    for text in ("Eve's first own check-in", "Eve's second own check-in"):
        await seed_answer(service, eve, text)
    await seed_answer(service, eve, "a goal", dialog="grow", step="goal")
    async with service.sessionmaker.begin() as session:
        figures = await programme_stats(session, solo, clock())
    shell = describe(figures, "en")
    assert "check-in invitations in the last 4 weeks: 0 of 0 started\n" in shell
    assert ("check-ins completed by paired mentees in the last 4 weeks (invited or on their "
            "own): 2\n") in shell
    [row] = csv.DictReader(io.StringIO(to_csv(figures)))
    assert (row["invited_4w"], row["started_4w"], row["mentee_checkins_done_4w"]) == (
        "0", "0", "2")
    coordinator = Chat(service, user_id=COORDINATOR, name="Cora")
    text = coordinator.texts(await coordinator.send("/stats"))
    assert "Check-in invitations in the last 4 weeks: 0 of 0 started\n" in text
    assert ("Check-ins completed by paired mentees in the last 4 weeks (invited or on their "
            "own): 2\n") in text
    await coordinator.send("/settings language de")
    text = coordinator.texts(await coordinator.send("/stats"))
    assert "Check-in-Einladungen der letzten 4 Wochen: 0 von 0 begonnen\n" in text
    assert ("Abgeschlossene Check-ins der Mentees in Tandems, letzte 4 Wochen (eingeladen oder "
            "aus eigenem Antrieb): 2\n") in text
    assert not any(secret in shell + text + to_csv(figures)
                   for secret in ("long ago", "own check-in", "a goal"))


def test_the_cli_prints_the_figures_and_writes_the_csv(tmp_path: Path) -> None:
    assert coachbot(tmp_path, "db", "upgrade").returncode == 0
    missing = coachbot(tmp_path, "stats", "--programme", "Nowhere")
    assert (missing.returncode, missing.stderr) == (1, "coachbot: no programme called 'Nowhere'\n")

    import asyncio

    from storage import migrate  # noqa: F401  (the schema is there already)
    from storage.database import create_engine

    async def make() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'coachbot.sqlite3'}")
        try:
            await seed(engine, FakeClock(datetime.now(UTC)))
        finally:
            await engine.dispose()

    asyncio.run(make())
    done = coachbot(tmp_path, "stats", "--programme", "Spring", "--csv", "spring.csv")
    assert done.returncode == 0, done.stderr
    assert "Spring: 7 members, 3 open pairs" in done.stdout
    assert "pairs by stage: Getting started 1, Finding direction 1, Making progress 1" in done.stdout
    assert "silent for 30 days: 0; unreachable: 1" in done.stdout  # they joined just now
    german = coachbot(tmp_path, "stats", "--programme", "Spring", "--lang", "de", "--csv",
                      "frühling.csv")
    assert "Tandems nach Phase: Ankommen 1, Richtung finden 1, Vorankommen 1" in german.stdout
    assert "seit 30 Tagen still: 0; nicht erreichbar: 1" in german.stdout  # every line German
    assert "3 Zeilen in frühling.csv geschrieben" in german.stdout
    assert "pairs" not in german.stdout
    assert "wrote" not in german.stdout
    # A German programme's figures are German unless --lang says otherwise, not English lines
    # around German stage names.
    assert coachbot(tmp_path, "programme", "create", "Herbst", "--lang", "de").returncode == 0
    herbst = coachbot(tmp_path, "stats", "--programme", "Herbst").stdout.splitlines()
    assert herbst[:2] == ["Herbst: 0 Mitglieder, 0 laufende Tandems",
                          "Tandems nach Phase: Ankommen 0, Richtung finden 0, Vorankommen 0, "
                          "Zurückblicken 0"]
    assert "pairs by stage: Getting started 0" in coachbot(
        tmp_path, "stats", "--programme", "Herbst", "--lang", "en").stdout
    assert "wrote 3 rows to spring.csv" in done.stdout
    written = (tmp_path / "spring.csv").read_text(encoding="utf-8")
    assert written.splitlines()[0] == ",".join(CSV_COLUMNS)
    assert not any(secret in done.stdout + written for secret in SECRETS)


@pytest.mark.parametrize("unbuffered", ["", "1"])
def test_stats_into_a_reader_that_stops_early_still_writes_the_csv(
        tmp_path: Path, unbuffered: str) -> None:
    """`coachbot stats --csv F | head -2` whose reader is gone before a line is printed (written
    at once, or at exit): F is written all the same, and the cut ends quietly, as a shell says it."""
    assert coachbot(tmp_path, "db", "upgrade").returncode == 0
    assert coachbot(tmp_path, "programme", "create", "Spring").returncode == 0
    assert into_a_gone_reader(tmp_path, "stats", "--programme", "Spring", "--csv", "spring.csv",
                              unbuffered=unbuffered) == (141, "")  # quiet: no "Exception ignored"
    assert (tmp_path / "spring.csv").read_text(encoding="utf-8").splitlines() == [
        ",".join(CSV_COLUMNS)]


async def test_the_cli_the_chat_and_the_report_give_the_same_figures(
        engine: AsyncEngine, clock: FakeClock) -> None:
    """One function computes the figures, on the programme's date: `coachbot stats`, /stats (en and
    de) and the report count the same pairs needing attention and the same silent members, and
    name the stages alike."""
    seeded = await seed(engine, clock)
    clock.advance(days=31)
    async with seeded.service.sessionmaker.begin() as session:
        figures = await programme_stats(session, seeded.spring, clock())
        report = await report_data(session, seeded.spring, clock())
    shell = describe(figures, "en")
    assert "pairs needing attention: 3" in shell  # Max & Ana, Mo & Ben (both silent now), Mia & Dee
    assert "silent for 30 days: 6; unreachable: 1" in shell
    assert "pairs by stage: Getting started 1, Finding direction 1, Making progress 1, " \
           "Looking back 0" in shell
    assert len([p for p in report.attention if p.needs_attention]) == figures.attention == 3
    english = Chat(seeded.service, user_id=COORDINATOR, name="Cora")
    text = english.texts(await english.send("/stats"))
    assert "Pairs needing attention: 3" in text
    assert "Silent for 30 days: 6" in text
    assert "Getting started 1 · Finding direction 1 · Making progress 1 · Looking back 0" in text
    german = Chat(seeded.service, user_id=COORDINATOR, name="Cora")
    await german.send("/settings language de")
    text = german.texts(await german.send("/stats"))
    assert "Tandems, die Aufmerksamkeit brauchen: 3" in text
    assert "Seit 30 Tagen still: 6" in text
    assert "Ankommen 1 · Richtung finden 1 · Vorankommen 1" in text
    assert "Tandems nach Phase: Ankommen 1, Richtung finden 1" in describe(figures, "de")


#: The CSV's columns before the Telegram ids were added: a sheet built on them reads as before.
EARLIER_COLUMNS = (
    "pairing", "mentor", "mentee", "stage", "status", "started_on", "ends_on", "invited_4w",
    "started_4w", "response_rate_4w", "mentee_checkins_done_4w", "missed_streak", "days_silent",
    "stalled", "unreachable", "ends_within_30d", "pulse_mentor", "pulse_mentee", "needs_attention")
FORMULA = '=HYPERLINK("http://evil","x")'


async def test_the_csv_tells_pairs_apart_and_runs_no_formula(
        engine: AsyncEngine, clock: FakeClock) -> None:
    """Two pairs both called Anna and Carla differ by their Telegram ids (`pair` and `unpair`
    take them), in two columns after the earlier ones, which keep their names and order; a first
    name a spreadsheet would run as a formula is text there (a single quote first)."""
    service = ConversationService(create_sessionmaker(engine), scripts=default_scripts(),
                                  catalog=default_catalog(), clock=clock)
    spring = await programme(service, "Spring", coordinators=(COORDINATOR,))
    for mentor, mentee in (((401, "Anna"), (501, "Carla")), ((402, "Anna"), (502, "Carla")),
                           ((403, FORMULA), (503, "@SUM(1+1)")), ((404, "-2+3"), (504, "+cmd|calc"))):
        await pair(service, await member(service, *mentor, "UTC", spring.id, role=Role.MENTOR),
                   await member(service, *mentee, "UTC", spring.id), spring.id, date(2026, 11, 1))
    async with service.sessionmaker.begin() as session:
        figures = await programme_stats(session, spring, clock())
    assert (*EARLIER_COLUMNS, "mentor_telegram_id", "mentee_telegram_id") == CSV_COLUMNS
    rows = list(csv.DictReader(io.StringIO(to_csv(figures))))
    assert [(r["mentor"], r["mentee"], r["mentor_telegram_id"], r["mentee_telegram_id"])
            for r in rows] == [
        ("Anna", "Carla", "401", "501"), ("Anna", "Carla", "402", "502"),
        ("'" + FORMULA, "'@SUM(1+1)", "403", "503"), ("'-2+3", "'+cmd|calc", "404", "504")]
    assert {(r["invited_4w"], r["stalled"], r["pulse_mentor"]) for r in rows} == {("0", "0", "")}


def test_a_cell_a_spreadsheet_would_run_is_text_and_a_number_stays_one() -> None:
    """OWASP's CSV injection advice: a text cell starting with =, +, -, @, a tab or a carriage
    return gets a single quote first; numbers, and text that is only a number, are unchanged."""
    for text in ("=1+1", "+1+cmd", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "-", "+"):
        assert safe_cell(text) == "'" + text
    for kept in ("Anna", "Zoë", "", "0.50", "-3", "+4", "-0.5", "1=1", " =1"):
        assert safe_cell(kept) == kept
    assert [safe_cell(number) for number in (-3, 0, 2.5, -0.25, True)] == [-3, 0, 2.5, -0.25, True]
    assert safe_cell(None) == ""


def test_every_csv_the_bot_writes_goes_through_the_safe_writer() -> None:
    """One place writes CSV (service.csv_cells), so no writer added later forgets the formulas."""
    root = Path(__file__).resolve().parents[1]
    writers = sorted(str(path.relative_to(root))
                     for package in ("bot", "service", "storage", "prompts", "dialogs")
                     for path in (root / package).rglob("*.py")
                     if "csv.writer(" in (text := path.read_text(encoding="utf-8"))
                     or "DictWriter(" in text)
    assert writers == ["service/csv_cells.py"]


def test_a_dash_writes_the_csv_the_report_and_the_export_to_stdout(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """`stats --csv -`, `report -o -` and `export -o -` write to standard output, not into a file
    called "-": the CSV (made safe) or the page alone on stdout, so a pipe gets clean data, and
    the figures on stderr."""
    url = _env(tmp_path, monkeypatch)
    assert main(["programme", "create", "Spring"]) == 0
    _members(url, "Spring", [(1, FORMULA, Role.MENTOR), (2, "Jo", Role.MENTEE)])
    assert main(["pair", "--programme", "Spring", "--mentor", "1", "--mentee", "2"]) == 0
    capsys.readouterr()
    assert main(["stats", "--programme", "Spring", "--csv", "-"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == ",".join(CSV_COLUMNS)
    assert [(r["mentor"], r["mentee"], r["mentor_telegram_id"], r["mentee_telegram_id"])
            for r in csv.DictReader(io.StringIO(out))] == [("'" + FORMULA, "Jo", "1", "2")]
    assert err.startswith("Spring: 2 members, 1 open pair\npairs by stage: ")
    assert "wrote" not in err
    assert main(["report", "--programme", "Spring", "-o", "-"]) == 0
    out, err = capsys.readouterr()
    assert out.lstrip().lower().startswith("<!doctype html>")
    assert out.rstrip().endswith("</html>")
    assert err == ""
    assert main(["export", "--user-id", "2", "-o", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["user"]["telegram_id"] == 2
    assert not (tmp_path / "-").exists()
