"""The coordinator's side probed as coordinators and attackers would: someone who coordinates
nothing (or another programme) asking for figures, links and settings with every kind of argument
and forged button; replayed, expired and forged invite links; a pairing CSV as spreadsheets and
typos make it; the report and the stats written where they cannot be; names holding HTML and
template syntax; pulse buttons pressed twice, late or forged. Every coordinator output is searched
for the members' answer text, which must never be in it. Service and CLI, on both databases."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.cli import main
from dialogs.registry import default_scripts
from prompts.catalog import default_catalog
from service.callbacks import item_data, scheduling_data
from service.conversation import ConversationService
from service.inputs import CommandIn, PressIn
from service.programmes.invites import programme_invite
from service.programmes.pairs import pair_csv
from storage.database import create_engine, create_sessionmaker
from storage.invites import find_invite
from storage.pairings import pairing_of_mentee
from storage.programmes import ProgrammeRecord
from storage.pulses import add_pulse, set_comment
from storage.rows import BROADCASTS, PAIRINGS, PULSES
from storage.schedule import listing
from storage.users import get_user
from storage.vocabulary import Role
from tests.support.chat import Chat, shown
from tests.support.clock import FakeClock
from tests.support.cohort import (
    member,
    one_pass,
    pair,
    programme,
    replan_people,
    seed_answer,
)

SECRET = "my hidden fear of the board meeting"
COMMENT = "the pulse words only the team reads"
TOKEN = re.compile(r"/start [A-Za-z0-9_-]{16,}")
ODD_NAMES = ("spring", "SPRING", "Spring 🌱", "<b>Autumn</b>", "{{ 7*7 }}", "A" * 5000,
             "Autumn'; DROP TABLE programmes;--")


async def _two_programmes(service: ConversationService) -> tuple[ProgrammeRecord, ProgrammeRecord]:
    """Spring coordinated by 41, "Autumn secret" by 42; each with a member who answered."""
    spring = await programme(service, "Spring", coordinators=(41,))
    autumn = await programme(service, "Autumn secret", coordinators=(42,))
    await member(service, 41, "Cora Coord", "UTC", None)
    await member(service, 42, "Otto Other", "UTC", None)
    for telegram_id, cohort in ((501, spring), (601, autumn)):
        answered = await member(service, telegram_id, f"Mem{telegram_id} Last", "UTC", cohort.id)
        await seed_answer(service, answered, SECRET)
    return spring, autumn


# --- Who may see what ----------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_someone_who_coordinates_nothing_gets_the_same_refusal_whatever_they_type(
        service: ConversationService, lang: str) -> None:
    spring, autumn = await _two_programmes(service)
    stranger = Chat(service, user_id=700, language=lang, name="Mem")
    await stranger.send("/start")
    refusal = shown(lang, "mentors.roles.not_yours", for_coordinators=True, for_mentors=False)
    for args in ("", "Spring", "Autumn secret", str(autumn.id), *ODD_NAMES):
        for command in ("stats", "programme"):
            said = stranger.texts(await stranger.handle(CommandIn(command, args)))
            assert said == refusal, (command, args)
    for data in (scheduling_data("stats", str(spring.id)), scheduling_data("prog", str(autumn.id)),
                 scheduling_data("pinv", f"{autumn.id}:mentee"),
                 scheduling_data("pinv", f"{spring.id}:mentor")):
        text = stranger.texts(await stranger.handle(PressIn(data)))
        assert "Spring" not in text
        assert "Autumn" not in text
        assert not TOKEN.search(text)
        assert "t.me" not in text
    invited = stranger.texts(await stranger.handle(CommandIn("invite", "Autumn secret")))
    assert "Autumn" not in invited
    assert not TOKEN.search(invited)
    async with service.sessionmaker.begin() as session:
        made = await session.scalar(select(func.count()).select_from(PAIRINGS))
    assert made == 0


async def test_a_coordinator_of_one_programme_naming_another_sees_only_their_own(
        service: ConversationService) -> None:
    spring, autumn = await _two_programmes(service)
    cora = Chat(service, user_id=41, name="Cora")
    await cora.send("/start")
    for args in ("Autumn secret", "autumn SECRET", *ODD_NAMES, str(autumn.id)):
        for command in ("stats", "programme"):
            text = cora.texts(await cora.handle(CommandIn(command, args)))
            assert "Spring" in text, (command, args)  # their own, whatever they name
            assert "Autumn" not in text
            assert "49" not in text
            assert SECRET not in text
    refusal = shown("en", "programmes.stats.not_coordinator")
    for value in (str(autumn.id), "-1", "99999999999999999999999", "1 OR 1=1", "", "x" * 4000):
        forged = cora.texts(await cora.handle(PressIn(scheduling_data("stats", value))))
        assert forged in (refusal, ""), value  # data that is not even ours: no answer
        forged = cora.texts(await cora.handle(PressIn(scheduling_data("pinv", f"{value}:mentee"))))
        assert "Autumn" not in forged
        assert "/start " not in forged
    async with service.sessionmaker.begin() as session:
        assert await session.scalar(select(func.count()).select_from(PAIRINGS)) == 0
    del spring


async def test_names_with_html_and_template_syntax_are_shown_as_typed_never_run(
        service: ConversationService, clock: FakeClock) -> None:
    name = "<b>Sp</b>ring {{ 7*7 }} {% if 1 %}x{% endif %} 🌱"
    cohort = await programme(service, name, coordinators=(41,))
    await member(service, 41, "Cora", "UTC", None)
    mentor = await member(service, 301, "<script>alert(1)</script> Max", "UTC", cohort.id,
                          role=Role.MENTOR)
    mentee = await member(service, 302, "{{config}} Ana", "UTC", cohort.id)
    await pair(service, mentor, mentee, cohort.id, date(2026, 10, 1),
               ends=clock().date() + timedelta(days=10))
    cora = Chat(service, user_id=41, name="Cora")
    await cora.send("/start")
    for command in ("stats", "programme"):
        response = await cora.handle(CommandIn(command, ""))
        html = response.messages[0].text
        assert "&lt;b&gt;Sp&lt;/b&gt;ring {{ 7*7 }} {% if 1 %}x{% endif %} 🌱" in html
        assert "<script>" not in html
        assert "49" not in html
    stats = (await cora.handle(CommandIn("stats", ""))).messages[0].text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in stats  # the ending's first name, escaped
    assert "{{config}}" in stats


# --- Invite links ----------------------------------------------------------------------------


async def _token(service: ConversationService, cohort: ProgrammeRecord, role: Role, uses: int,
                 days: int = 14) -> str:
    async with service.sessionmaker.begin() as session:
        made = await programme_invite(session, cohort, role, uses=uses,
                                      valid_for=timedelta(days=days), created_by=None,
                                      now=service.clock())
    return made.token


async def _uses_left(service: ConversationService, token: str) -> int:
    async with service.sessionmaker.begin() as session:
        found = await find_invite(session, token)
    assert found is not None
    return found.uses_left


async def _programme_of(service: ConversationService, telegram_id: int) -> int | None:
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, telegram_id)
    return None if user is None else user.programme_id


async def test_a_member_opening_their_cohort_link_again_does_not_use_up_anothers_place(
        service: ConversationService) -> None:
    spring = await programme(service, "Spring")
    token = await _token(service, spring, Role.MENTEE, uses=2)
    ana = Chat(service, user_id=11, name="Ana")
    for _ in range(3):  # tapped again from the group chat
        assert "Spring" in ana.texts(await ana.send(f"/start {token}"))
    assert await _uses_left(service, token) == 1
    ben = Chat(service, user_id=12, name="Ben")
    assert "Spring" in ben.texts(await ben.send(f"/start {token}"))
    assert await _programme_of(service, 12) == spring.id
    assert await _uses_left(service, token) == 0
    late = Chat(service, user_id=13, name="Late")
    said = late.texts(await late.send(f"/start {token}"))
    assert "Spring" not in said
    assert said.startswith("That invite link has no places left. Please ask the programme team")
    assert await _programme_of(service, 13) is None


async def test_expired_and_forged_links_change_nothing(service: ConversationService,
                                                       clock: FakeClock) -> None:
    spring = await programme(service, "Spring")
    token = await _token(service, spring, Role.MENTEE, uses=5, days=1)
    clock.advance(days=2)
    late = Chat(service, user_id=21, language="de", name="Late")
    said = late.texts(await late.send(f"/start {token}"))
    assert "Spring" not in said
    assert said.startswith(shown("de", "mentors.invite.expired", mentor=None, cohort=True))
    assert "das Programmteam" in said
    assert await _programme_of(service, 21) is None
    assert await _uses_left(service, token) == 5
    forged = (token[:-1] + ("A" if token[-1] != "A" else "B"), "AAAA====", "%%%%", "a" * 4096,
              "YWJj" * 16, token + token, token.upper(), f"{token} {token}", "\x00" * 20,
              "../../etc/passwd", "<script>")
    for number, payload in enumerate(forged, start=30):
        chat = Chat(service, user_id=number, name="Eve")
        text = chat.texts(await chat.send(f"/start {payload}"))
        assert "Spring" not in text
        assert await _programme_of(service, number) is None
    assert await _uses_left(service, token) == 5


# --- The pairing CSV ---------------------------------------------------------------------------


async def _cohort_for_csv(service: ConversationService) -> ProgrammeRecord:
    spring = await programme(service, "Spring")
    await member(service, 100, "Mia Long", "UTC", spring.id, Role.MENTOR)
    await member(service, 101, "Ben", "UTC", spring.id, Role.MENTOR)
    for telegram_id, name in ((200, "Jo"), (201, "Lu"), (202, "Kim Jr"), (203, "Ida")):
        await member(service, telegram_id, name, "UTC", spring.id)
    return spring


async def test_a_spreadsheet_s_csv_pairs_the_good_rows_and_names_each_bad_one(
        service: ConversationService) -> None:
    spring = await _cohort_for_csv(service)
    text = ("\ufeffmentor,mentee\r\n"
            "100,200\r\n"
            "\r\n"
            "   \r\n"
            "100;201\r\n"              # a German spreadsheet saves with semicolons
            "\"101\",\" Kim \"\r\n"     # quoted fields
            "100,200\r\n"              # a duplicate row
            "101,200\r\n"              # a mentee paired twice
            "100,100\r\n"              # a mentor with themselves
            "999,203\r\n"              # an unknown id
            "99999999999999999999999,203\r\n"   # an id no database can hold
            "²,203\r\n"                # a digit that is not a number
            "100," + "9" * 200_000 + "\r\n"     # a field larger than csv's limit
            "1,2,3\r\n"
            "101,\"Ida, Ben\"\r\n")     # a quoted comma: one field, nobody's name
    async with service.sessionmaker.begin() as session:
        result = await pair_csv(session, spring, text.removeprefix("\ufeff"), service.clock())
    assert [(m.mentor.telegram_id, m.mentee.telegram_id) for m in result.made] == [
        (100, 200), (100, 201), (101, 202)]
    reasons = {bad.line: bad.reason for bad in result.bad}
    assert reasons == {
        7: "duplicate row (same as line 2)",
        8: "mentee Jo (200) is already paired",
        9: "Mia cannot be their own mentor",
        10: "unknown mentor id 999",
        11: "99999999999999999999999 is not a Telegram id",
        12: "no member of Spring is called '²'",
        13: "malformed line: write mentor,mentee (or ;)",
        14: "malformed line: write mentor,mentee (or ;)",
        15: "no member of Spring is called 'Ida, Ben'",
    }
    for bad in result.bad:
        assert "\n" not in bad.reason
        assert len(bad.reason) < 200
    async with service.sessionmaker.begin() as session:
        assert await session.scalar(select(func.count()).select_from(PAIRINGS)) == 3
        ida = await get_user(session, 203)
        assert ida is not None
        assert await pairing_of_mentee(session, ida.id) is None


# --- The pulse -----------------------------------------------------------------------------------


async def test_a_pulse_pressed_twice_late_or_forged_is_counted_once(
        service: ConversationService, clock: FakeClock) -> None:
    cohort = await programme(service, "Spring", coordinators=(41,))
    mentor = await member(service, 301, "Max Mentor", "UTC", cohort.id, role=Role.MENTOR)
    mentee = await member(service, 302, "Ana Mentee", "UTC", cohort.id)
    await member(service, 303, "Eve Else", "UTC", cohort.id)
    await pair(service, mentor, mentee, cohort.id, date(2026, 10, 25))
    await replan_people(service, 301, 302)
    clock.now = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
    sent = {d.recipient: d for d in await one_pass(service)}
    assert set(sent) == {301, 302}
    ana = Chat(service, user_id=302, name="Ana")
    scores = [b.data for b in sent[302].messages[0].choices]
    await ana.handle(PressIn(scores[3]))
    again = await ana.handle(PressIn(scores[3]))
    assert "add a few words" not in ana.texts(again)
    await ana.handle(PressIn(scores[0]))  # another score after the first: stale

    eve = Chat(service, user_id=303, name="Eve")  # someone else's item, forged
    max_item = int(sent[301].messages[0].choices[0].data.split(":")[1])
    for op in ("one", "five", "six", "", "x" * 300):
        await eve.handle(PressIn(item_data(max_item, op)))
    for op in ("six", "", "-1"):
        await ana.handle(PressIn(item_data(max_item, op)))
    async with service.sessionmaker.begin() as session:
        rows = (await session.execute(select(PULSES.c.side, PULSES.c.score))).all()
    assert [tuple(row) for row in rows] == [("mentee", 4)]

    max_chat = Chat(service, user_id=301, name="Max")
    max_chat.buttons = sent[301].messages[0].choices
    clock.advance(days=1)
    async with service.sessionmaker.begin() as session:  # the pair ends before Max answers
        await session.execute(PAIRINGS.update().values(status="ended"))
    await max_chat.press("5")
    async with service.sessionmaker.begin() as session:
        assert await session.scalar(select(func.count()).select_from(PULSES)) == 1


# --- What a coordinator reads never holds an answer ------------------------------------------


async def test_no_coordinator_output_holds_an_answer_or_a_pulse_comment(
        service: ConversationService, clock: FakeClock) -> None:
    cohort = await programme(service, "Spring", coordinators=(41,))
    await member(service, 41, "Cora", "UTC", None)
    mentor = await member(service, 301, "Max Mentor", "UTC", cohort.id, role=Role.MENTOR)
    mentee = await member(service, 302, "Ana Mentee", "UTC", cohort.id)
    pairing = await pair(service, mentor, mentee, cohort.id, date(2026, 9, 1),
                         ends=clock().date() + timedelta(days=5))
    for person in (mentor, mentee):
        await seed_answer(service, person, SECRET)
    async with service.sessionmaker.begin() as session:
        pulse_id = await add_pulse(session, pairing, mentee.id, "mentee", 2, clock())
        await set_comment(session, pulse_id, mentee.id, COMMENT)
    for lang in ("en", "de"):
        cora = Chat(service, user_id=41, language=lang, name="Cora")
        await cora.send("/start")
        for command in ("stats", "programme"):
            response = await cora.handle(CommandIn(command, ""))
            text = "\n".join(m.text for m in response.messages)
            assert "Spring" in text
            assert SECRET not in text
            assert COMMENT not in text


# --- The command line, on both databases ------------------------------------------------------


def _cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "COACHBOT_ADMINS", "COACHBOT_BOT_USERNAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    error = capsys.readouterr().err
    assert "Traceback" not in error
    assert error.startswith("coachbot: "), error[-400:]
    assert error.count("\n") == 1, error[-400:]
    return error.strip()


async def _seeded(database_url: str) -> None:
    """Spring with a mentor and a mentee whose names hold HTML, both with an answer."""
    engine = create_engine(database_url)
    clock = FakeClock()
    service = ConversationService(create_sessionmaker(engine), scripts=default_scripts(),
                                  catalog=default_catalog(), clock=clock)
    try:
        cohort = await programme(service, "Spring")
        mentor = await member(service, 1, "<script>alert('x')</script>", "UTC", cohort.id,
                              role=Role.MENTOR)
        mentee = await member(service, 2, "Jo</style><img src=x onerror=alert(1)>", "UTC",
                              cohort.id)
        await member(service, 3, "Lu", "UTC", cohort.id)
        await pair(service, mentor, mentee, cohort.id, date(2026, 9, 1),  # the CLI's clock is real
                   ends=datetime.now(UTC).date() + timedelta(days=5))
        for person in (mentor, mentee):
            await seed_answer(service, person, SECRET)
    finally:
        await engine.dispose()


async def test_cli_mistakes_are_one_line_with_nothing_half_done(
        database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _cli(database_url, tmp_path, monkeypatch)
    await _seeded(database_url)
    capsys.readouterr()
    huge = "99999999999999999999999"
    for argv, said in (
        (["pair", "--programme", "Spring", "--mentor", "²", "--mentee", "3"],
         "coachbot: no member of Spring is called '²'"),
        (["pair", "--programme", "Spring", "--mentor", huge, "--mentee", "3"],
         f"coachbot: {huge} is not a Telegram id"),
        (["pair", "--programme", "Spring", "--mentor", "1", "--mentee", "-" + huge],
         f"coachbot: -{huge} is not a Telegram id"),
        (["pair", "--programme", "Spring", "--mentor", "-5", "--mentee", "3"],
         "coachbot: -5 is not a Telegram id"),  # a group chat's
        (["unpair", "--programme", "Spring", "--mentee", huge],
         f"coachbot: {huge} is not a Telegram id"),
        (["unpair", "--programme", "Spring", "--mentee", "0"], "coachbot: 0 is not a Telegram id"),
        (["pair", "--programme", "Sprung", "--mentor", "1", "--mentee", "3"],
         "coachbot: no programme called 'Sprung'"),  # "spring" is Spring: names in any case
        (["broadcast", "--programme", "Spring", "--at", "9999-12-31 23:59"],
         "coachbot: 9999-12-31 23:59 is more than two years ahead; give a moment within them"),
    ):
        assert await _main(argv) == 1, argv
        assert _one_line(capsys) == said
    for command in ("grant", "revoke"):
        for wrong in (huge, "-5", "0"):  # -5: a group chat's id, never a person's
            assert await _main(["programme", command, "Spring", "--user-id", wrong]) == 2
            assert capsys.readouterr().err == (
                f"coachbot programme {command}: argument --user-id: {wrong} is not a Telegram id "
                f"(see coachbot programme {command} --help)\n")

    (tmp_path / "big.csv").write_text("1," + "3" * 10_000_000 + "\n", encoding="utf-8")
    (tmp_path / "many.csv").write_text("1,3\n" * 2_600_000, encoding="utf-8")
    (tmp_path / "bin.csv").write_bytes(bytes(range(256)) * 40)
    for name, said in (("bin.csv", "coachbot: bin.csv is not UTF-8 text"),
                       ("many.csv", "coachbot: the file has 2600000 lines; at most 5000 at a "
                                    "time"),
                       (str(tmp_path), f"coachbot: cannot read {tmp_path}: Is a directory")):
        assert await _main(["pair", "--programme", "Spring", "--csv", name]) == 1
        assert _one_line(capsys) == said
    assert await _main(["pair", "--programme", "Spring", "--csv", "big.csv"]) == 1
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    assert out.out.splitlines() == ["line 1: not paired: malformed line: write mentor,mentee (or ;)",
                                    "0 pairs made, 1 row not paired."]
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine).begin() as session:
            assert await session.scalar(select(func.count()).select_from(PAIRINGS)) == 1
            assert await session.scalar(select(func.count()).select_from(BROADCASTS)) == 0
            assert [i for i in await listing(session, limit=50)
                    if i.kind == "introduction"] == []
    finally:
        await engine.dispose()


async def _main(argv: list[str]) -> int:
    """main() runs its own event loop: off this test's loop, in a thread; its exit code, also
    when argparse exits."""
    def run() -> int:
        try:
            return main(argv)
        except SystemExit as exit_:
            return int(exit_.code or 0)

    return await asyncio.to_thread(run)


async def _broadcasts(database_url: str) -> tuple[int, list[tuple[str, int | None]]]:
    """How many broadcasts are stored, and whom their invitations are for (kind, Telegram id)."""
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine).begin() as session:
            count = await session.scalar(select(func.count()).select_from(BROADCASTS))
            items = sorted((i.item.kind, i.telegram_id) for i in await listing(session, limit=50)
                           if i.item.kind.startswith("broadcast"))
    finally:
        await engine.dispose()
    return count or 0, items


def _to_come() -> str:
    """A moment a month ahead of the CLI's real clock."""
    return f"{datetime.now(UTC).date() + timedelta(days=30)} 18:00"


async def test_a_check_in_for_the_other_side_is_refused_before_anything_is_stored(
        database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _cli(database_url, tmp_path, monkeypatch)
    await _seeded(database_url)
    capsys.readouterr()
    each_side = ("broadcast each side its own check-in: checkin to the mentees, mentor_checkin "
                 "to the mentors")
    for dialog, to, said in (
        ("mentor_checkin", "mentees", "mentor_checkin is for mentors only: the mentees could not "
                                      "start it, so it cannot go to them"),
        ("checkin", "mentors", "checkin is for mentees only: the mentors could not start it, so "
                               "it cannot go to them"),
        ("checkin", "all", "checkin is for mentees only: the mentors could not start it, so it "
                           "cannot go to everyone"),
        ("mentor_checkin", "all", "mentor_checkin is for mentors only: the mentees could not "
                                  "start it, so it cannot go to everyone"),
    ):
        argv = ["broadcast", "--programme", "Spring", "--dialog", dialog, "--to", to,
                "--at", _to_come()]
        assert await _main(argv) == 1, argv
        assert _one_line(capsys) == f"coachbot: {said}; {each_side}"
    assert await _broadcasts(database_url) == (0, [])
    for dialog, to in (("checkin", "mentees"), ("mentor_checkin", "mentors")):
        assert await _main(["broadcast", "--programme", "Spring", "--dialog", dialog,
                            "--to", to, "--at", _to_come()]) == 0
    count, items = await _broadcasts(database_url)
    assert (count, [telegram_id for _, telegram_id in items]) == (2, [1, 2, 3])


async def test_the_same_broadcast_twice_is_refused_naming_the_first(
        database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _cli(database_url, tmp_path, monkeypatch)
    await _seeded(database_url)
    at = _to_come()
    assert await _main(["broadcast", "--programme", "Spring", "--at", at]) == 0
    capsys.readouterr()
    for again in ([], ["--to", "mentees"], ["--dialog", "checkin"]):
        assert await _main(["broadcast", "--programme", "Spring", "--at", at, *again]) == 1
        assert _one_line(capsys) == (f"coachbot: broadcast 1 already sends checkin to the "
                                     f"mentees of Spring at {at}; nothing new was planned")
    assert await _broadcasts(database_url) == (1, [("broadcast", 2), ("broadcast", 3)])
    assert await _main(["broadcast", "--programme", "Spring", "--dialog", "mentor_checkin",
                        "--at", at]) == 0  # the mentors' own check-in at the same moment is new
    assert (await _broadcasts(database_url))[0] == 2


async def test_a_date_without_a_time_of_day_is_refused_with_an_example(
        database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _cli(database_url, tmp_path, monkeypatch)
    await _seeded(database_url)
    day = _to_come().split()[0]
    capsys.readouterr()
    assert await _main(["broadcast", "--programme", "Spring", "--at", day]) == 1
    assert _one_line(capsys) == (f"coachbot: '{day}' has no time of day; give the local time "
                                 f"too, e.g. \"{day} 18:00\"")
    assert await _broadcasts(database_url) == (0, [])


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_the_report_and_the_stats_escape_names_hold_no_answer_and_fail_in_one_line(
        database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], lang: str) -> None:
    _cli(database_url, tmp_path, monkeypatch)
    await _seeded(database_url)
    capsys.readouterr()
    assert await _main(["report", "--programme", "Spring", "-o", "r.html", "--lang", lang]) == 0
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;" in page
    assert not re.search(r"<script|<img|onerror=|javascript:", page, re.IGNORECASE)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page, re.IGNORECASE)
    assert "@import" not in page
    assert "url(" not in page
    assert SECRET not in page
    assert await _main(["stats", "--programme", "Spring", "--csv", "s.csv", "--lang", lang]) == 0
    out = capsys.readouterr().out
    assert SECRET not in out
    assert SECRET not in (tmp_path / "s.csv").read_text(encoding="utf-8")
    assert await _main(["programme", "show", "Spring"]) == 0
    assert SECRET not in capsys.readouterr().out

    (tmp_path / "a-file").write_text("", encoding="utf-8")
    for argv in (["report", "--programme", "Spring", "-o", str(tmp_path)],
                 ["report", "--programme", "Spring", "-o", str(tmp_path / "a-file" / "r.html")],
                 ["report", "--programme", "Spring", "-o", str(tmp_path / "no" / "r.html")],
                 ["stats", "--programme", "Spring", "--csv", str(tmp_path)],
                 ["report", "--programme", "A" * 5000, "-o", "x.html"],
                 ["stats", "--programme", "<b>Spring</b>"]):
        capsys.readouterr()
        assert await _main(argv) == 1, argv
        error = capsys.readouterr().err
        assert "Traceback" not in error
        assert error.startswith("coachbot: ")
        assert error.count("\n") == 1
    assert not (tmp_path / "x.html").exists()


async def test_stats_and_report_of_a_programme_without_members(
        database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _cli(database_url, tmp_path, monkeypatch)
    assert await _main(["programme", "create", "Empty", "--lang", "de"]) == 0
    capsys.readouterr()
    assert await _main(["stats", "--programme", "Empty", "--csv", "e.csv"]) == 0
    out = capsys.readouterr().out  # a German programme's: German lines
    assert "Empty: 0 Mitglieder, 0 laufende Tandems" in out
    assert "0 von 0 begonnen\n" in out  # no rate of nothing
    assert (tmp_path / "e.csv").read_text(encoding="utf-8").count("\n") == 1  # the header
    assert await _main(["report", "--programme", "Empty", "-o", "e.html"]) == 0
    assert "Empty" in (tmp_path / "e.html").read_text(encoding="utf-8")
