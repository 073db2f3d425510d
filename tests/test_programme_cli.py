"""`coachbot programme create|list|show|grant`, `coachbot invite` (with its QR code) and
`coachbot pair|unpair`: the happy paths and one-line errors, on a SQLite file."""

from __future__ import annotations

import asyncio
import io
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import segno
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot import programme_cli
from bot.cli import main
from bot.settings import Settings
from service.programmes import admin
from service.programmes.admin import ProgrammeError, new_programme
from service.programmes.defaults import ProgrammeDefaults
from storage import migrate
from storage.database import create_engine, create_sessionmaker
from storage.invites import find_invite
from storage.programmes import all_programmes, coordinated_by, create_programme, programme_by_name
from storage.rows import INVITES
from storage.schedule import listing
from storage.users import create_user, update_user
from storage.vocabulary import Role
from tests.support.clock import FakeClock


def _env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'coachbot.sqlite3'}"

    async def upgrade() -> None:
        engine = create_engine(url)
        await migrate.upgrade(engine)
        await engine.dispose()

    asyncio.run(upgrade())
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "COACHBOT_ADMINS", "COACHBOT_BOT_USERNAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def _members(url: str, programme: str, people: list[tuple[int, str | None, Role]]) -> None:
    async def seed() -> None:
        engine = create_engine(url)
        now = FakeClock()()
        async with create_sessionmaker(engine).begin() as session:
            found = await programme_by_name(session, programme)
            assert found is not None
            for telegram_id, name, role in people:
                user, _ = await create_user(session, telegram_id, name=name, language="en",
                                            timezone="UTC", now=now, role=role)
                await update_user(session, user.id, now, programme_id=found.id)
        await engine.dispose()

    asyncio.run(seed())


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    error = capsys.readouterr().err
    assert error.startswith("coachbot: ")
    assert error.count("\n") == 1
    assert "Traceback" not in error
    return error.strip()


def test_create_show_list_and_grant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    url = _env(tmp_path, monkeypatch)
    assert main(["programme", "create", "Spring", "--checkin", "mon 18:00", "--length", "6mo",
                 "--digest", "fri 16:00", "--lang", "de", "--timezone", "Europe/Berlin"]) == 0
    out = capsys.readouterr().out
    assert "Created programme 'Spring'" in out
    assert "check-in: mon 18:00; mentor digest: fri 16:00" in out
    assert "length: 6 months" in out
    assert "language: de; time zone: Europe/Berlin" in out

    _members(url, "Spring", [(1, "Mia", Role.MENTOR), (2, "Jo", Role.MENTEE)])
    assert main(["programme", "show", "Spring"]) == 0
    assert "members: 2 (1 mentor, 1 mentee); open pairs: 0" in capsys.readouterr().out
    assert main(["programme", "create", "Autumn"]) == 0
    capsys.readouterr()
    assert main(["programme", "list"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Autumn: 0 members, 0 open pairs, 0 coordinators",
        "Spring: 2 members, 0 open pairs, 0 coordinators"]
    assert main(["programme", "grant", "Spring", "--user-id", "77"]) == 0
    assert "77 now coordinates Spring" in capsys.readouterr().out

    async def granted() -> list[str]:
        engine = create_engine(url)
        async with create_sessionmaker(engine).begin() as session:
            names = [p.name for p in await coordinated_by(session, 77)]
        await engine.dispose()
        return names

    assert asyncio.run(granted()) == ["Spring"]


def test_a_fixed_offset_as_the_programmes_zone_is_said_to_keep_no_summer_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _env(tmp_path, monkeypatch)
    assert main(["programme", "create", "Offset", "--timezone", "UTC+2"]) == 0
    out = capsys.readouterr().out
    assert ("time zone: UTC+2 (Etc/GMT-2, a fixed offset: it does not follow summer time; "
            "a city such as Europe/Berlin would)") in out


def test_create_takes_the_zone_names_settings_takes_and_names_are_found_in_any_case(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """--timezone reads as /settings does (a place, a city, any case); a programme is found by
    its name in any letter case, with or without its accents and spaces."""
    _env(tmp_path, monkeypatch)
    for name, typed, zone in (("Wien", "wien", "Europe/Vienna"), ("Bayern", "Munich", "Europe/Berlin"),
                              ("Londoner Kreis", "london", "Europe/London")):
        assert main(["programme", "create", name, "--timezone", typed]) == 0
        assert f"time zone: {zone}\n" in capsys.readouterr().out
    assert main(["programme", "create", "Café Münster"]) == 0
    capsys.readouterr()
    for typed in ("WIEN", " wien ", "cafe  munster", "CAFÉ MÜNSTER"):
        assert main(["programme", "show", typed]) == 0
        assert capsys.readouterr().out.splitlines()[0] in ("Wien", "Café Münster")
    assert main(["invite", "--programme", "londoner kreis", "--role", "mentee"]) == 0
    assert " as mentee of Londoner Kreis until " in capsys.readouterr().err  # as it is called


def test_a_programme_is_found_with_its_umlauts_written_out(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A keyboard without ü: "Fruehling" finds Frühling, as "Juergen" finds Jürgen in pair;
    a programme really called so is still found by its own name."""
    _env(tmp_path, monkeypatch)
    assert main(["programme", "create", "Frühling Köln", "--lang", "de"]) == 0
    capsys.readouterr()
    assert main(["programme", "show", " FRUEHLING  koeln "]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "Frühling Köln"
    assert main(["invite", "--programme", "fruehling koeln", "--role", "mentee"]) == 0
    assert " as mentee of Frühling Köln until " in capsys.readouterr().err
    assert main(["programme", "create", "Fruehling Koeln"]) == 0  # only accents make one name
    capsys.readouterr()
    assert main(["programme", "show", "fruehling koeln"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "Fruehling Koeln"


def test_an_expired_invite_is_not_counted_as_one_with_uses_left(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    url = _env(tmp_path, monkeypatch)
    assert main(["programme", "create", "Spring"]) == 0
    assert main(["invite", "--programme", "Spring", "--role", "mentee", "--uses", "5"]) == 0
    assert main(["invite", "--programme", "Spring", "--role", "mentor", "--uses", "5"]) == 0
    capsys.readouterr()
    assert main(["programme", "show", "Spring"]) == 0
    assert "invites with uses left: 2" in capsys.readouterr().out

    async def expire_one() -> None:
        engine = create_engine(url)
        async with create_sessionmaker(engine).begin() as session:
            await session.execute(update(INVITES).where(INVITES.c.role == Role.MENTOR.value)
                                  .values(expires_at=datetime.now(UTC) - timedelta(days=1)))
        await engine.dispose()

    asyncio.run(expire_one())
    assert main(["programme", "show", "Spring"]) == 0
    assert "invites with uses left: 1" in capsys.readouterr().out


async def test_programme_names_alike_are_one_programme(engine: AsyncEngine,
                                                       clock: FakeClock) -> None:
    """Refused as a second programme, found by lookups, on both databases; two made at once
    (one in each case) leave one programme, not two."""
    sessions = create_sessionmaker(engine)
    async with sessions.begin() as session:
        made = await new_programme(session, "Spring cohort", ProgrammeDefaults(), clock())
    for alike in ("spring cohort", "SPRING  COHORT", " Spríng Cohort "):
        async with sessions.begin() as session:
            with pytest.raises(ProgrammeError, match="called 'Spring cohort' already"):
                await new_programme(session, alike, ProgrammeDefaults(), clock())
            found = await programme_by_name(session, alike)
            assert found is not None
            assert found.id == made.id

    async def create(name: str) -> None:
        async with sessions.begin() as session:
            await new_programme(session, name, ProgrammeDefaults(), clock())

    async with sessions.begin() as session:
        await new_programme(session, "Autumn", ProgrammeDefaults(), clock())
        second = asyncio.create_task(create("autumn"))
        await asyncio.sleep(0.3)  # the second is under way before the first is committed
        assert not second.done()  # it waits for the first
    with pytest.raises(ProgrammeError, match="called 'Autumn' already"):
        await second
    async with sessions.begin() as session:
        assert [p.name for p in await all_programmes(session)] == ["Autumn", "Spring cohort"]
        # Two alike from before they were refused: each by its own name, neither by a third.
        first = await create_programme(session, "Summer", {}, {}, clock())
        second = await create_programme(session, "summer", {}, {}, clock())
        assert first is not None
        assert second is not None
        assert (await programme_by_name(session, "Summer")) == first
        assert (await programme_by_name(session, "summer")) == second
        assert await programme_by_name(session, "SUMMER") is None


def test_one_of_anything_is_said_in_the_singular(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A one-day programme with one member is "1 day" and "1 member", not "1 days" or
    "1 member(s)"; none is plural."""
    url = _env(tmp_path, monkeypatch)
    assert main(["programme", "create", "Sprint", "--length", "1d"]) == 0
    assert "length: 1 day\n" in capsys.readouterr().out
    _members(url, "Sprint", [(1, "Jo", Role.MENTEE)])
    assert main(["programme", "show", "Sprint"]) == 0
    assert "members: 1 (0 mentors, 1 mentee); open pairs: 0" in capsys.readouterr().out
    assert main(["programme", "grant", "Sprint", "--user-id", "77"]) == 0
    capsys.readouterr()
    assert main(["programme", "list"]) == 0
    assert capsys.readouterr().out == "Sprint: 1 member, 0 open pairs, 1 coordinator\n"
    assert main(["invite", "--programme", "Sprint", "--role", "mentee"]) == 0
    assert " 1 use as mentee of Sprint until " in capsys.readouterr().err


@pytest.mark.parametrize(("args", "error"), [
    (["programme", "create", "Spring", "--checkin", "sometimes"],
     "coachbot: cannot read --checkin 'sometimes'; write e.g. \"mon 18:00\""),
    (["programme", "create", "Spring", "--length", "forever"],
     "coachbot: cannot read length 'forever'; write e.g. 6mo, 26w or 180d"),
    (["programme", "create", "Spring", "--timezone", "Mars/Olympus"],
     "coachbot: no time zone called 'Mars/Olympus': write a zone or a place (e.g. Europe/Berlin, "
     "Wien, London) or an offset (UTC+2)"),
    (["programme", "create", "Taken"], "coachbot: there is a programme called 'Taken' already"),
    *((["programme", "create", name], "coachbot: there is a programme called 'Taken' already; "
                                      "names that differ only in letter case, accents or spaces "
                                      "are taken for the same programme: choose another name")
      for name in ("taken", " TAKEN ", "Tåken")),
    *((["programme", "create", name], "coachbot: a programme's name is one line of text: no line "
                                      "breaks, tabs or other control characters")
      for name in ("multi\nline", "tab\there", "end\x1b[31m", "para\u2029graph")),
    (["programme", "show", "Nope"], "coachbot: no programme called 'Nope'"),
    (["programme", "grant", "Nope", "--user-id", "5"], "coachbot: no programme called 'Nope'"),
    (["invite", "--programme", "Nope", "--role", "mentee"], "coachbot: no programme called 'Nope'"),
    (["invite", "--programme", "Taken", "--role", "mentee", "--expires", "soon"],
     "coachbot: cannot read --expires 'soon'; write e.g. 14d, 2w or 1mo"),
    *((["invite", "--programme", "Taken", "--role", "mentee", f"--expires={length}"],
       f"coachbot: --expires {length.strip()!r}: an invite link must work at least one day; "
       "write e.g. 14d, 2w or 1mo") for length in ("0d", "0w", "-3d", " 0mo ")),
    (["invite", "--programme", "Taken", "--role", "mentee", "--expires", "5y"],
     "coachbot: --expires '5y': an invite link works at most 3 years; write e.g. 14d, 2w or 1mo"),
    (["invite", "--programme", "Taken", "--role", "mentee", "--uses", "0"],
     "coachbot: --uses must be between 1 and 10000"),
    (["invite", "--programme", "Taken", "--role", "mentee", "--qr", "x.png"],
     "coachbot: a QR code needs the bot's username: --bot-username or COACHBOT_BOT_USERNAME"),
    (["pair", "--programme", "Taken", "--mentor", "1"],
     "coachbot: give --mentor and --mentee (Telegram ids or first names), or --csv FILE"),
    (["pair", "--programme", "Taken", "--mentor", "404", "--mentee", "2"],
     "coachbot: unknown mentor id 404"),
    (["pair", "--programme", "Taken", "--csv", "missing.csv"],
     "coachbot: cannot read missing.csv: No such file or directory"),
    (["unpair", "--programme", "Taken", "--mentee", "404"], "coachbot: unknown mentee id 404"),
    (["pair", "--programme", "Taken", "--mentor", "", "--mentee", ""],
     "coachbot: no mentor given: give a Telegram id or a first name"),
    (["unpair", "--programme", "Taken", "--mentee", " \u200b"],
     "coachbot: no mentee given: give a Telegram id or a first name"),
])
def test_errors_are_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str], args: list[str], error: str) -> None:
    _env(tmp_path, monkeypatch)
    assert main(["programme", "create", "Taken"]) == 0
    capsys.readouterr()
    assert main(args) == 1
    assert _one_line(capsys) == error


def _modules(png: bytes) -> list[list[bool]]:
    """The dark modules of segno's 1-bit greyscale PNG (8 px a module, 4 modules border):
    enough of a decoder to read back the code the file holds, without an image library."""
    chunks, at = {}, 8
    data = b""
    while at < len(png):
        length = int.from_bytes(png[at:at + 4], "big")
        kind = png[at + 4:at + 8]
        body = png[at + 8:at + 8 + length]
        if kind == b"IDAT":
            data += body
        chunks[kind] = body
        at += 12 + length
    width = int.from_bytes(chunks[b"IHDR"][0:4], "big")
    depth, colour = chunks[b"IHDR"][8], chunks[b"IHDR"][9]
    assert (depth, colour) == (1, 0)  # 1-bit greyscale
    raw = zlib.decompress(data)
    stride = 1 + (width + 7) // 8
    rows: list[bytes] = []
    previous = bytes(stride)
    for i in range(width):  # undo PNG's row filters (bytes per pixel: 1)
        kind, line = raw[i * stride], bytearray(raw[i * stride + 1:(i + 1) * stride])
        for j in range(len(line)):
            left, up = (line[j - 1] if j else 0), previous[j + 1]
            upleft = previous[j] if j else 0
            guess = {0: 0, 1: left, 2: up, 3: (left + up) // 2,
                     4: min((left, up, upleft), key=lambda v: (abs(left + up - upleft - v),
                                                             (left, up, upleft).index(v)))}[kind]
            line[j] = (line[j] + guess) % 256
        previous = bytes([0]) + bytes(line)
        rows.append(previous)
    size = width // 8 - 8
    def dark(x: int, y: int) -> bool:
        row = rows[(y + 4) * 8 + 4]
        bit = (x + 4) * 8 + 4
        return not (row[1 + bit // 8] >> (7 - bit % 8)) & 1
    return [[dark(x, y) for x in range(size)] for y in range(size)]


def test_invite_prints_the_link_and_writes_its_qr_code(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    url = _env(tmp_path, monkeypatch)
    assert main(["programme", "create", "Spring"]) == 0
    capsys.readouterr()
    assert main(["invite", "--programme", "Spring", "--role", "mentee", "--uses", "30",
                 "--expires", "2w", "--qr", "invite.png", "--bot-username", "coach_bot"]) == 0
    captured = capsys.readouterr()
    link = captured.out.strip()
    assert link.startswith("https://t.me/coach_bot?start=")
    assert "30 uses as mentee of Spring" in captured.err
    png = (tmp_path / "invite.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    expected = segno.make_qr(link, error="m")
    out = io.StringIO()
    expected.save(out, kind="txt", border=0)
    assert _modules(png) == [[c == "1" for c in line] for line in out.getvalue().splitlines()]

    async def stored() -> tuple[int, str] | None:
        engine = create_engine(url)
        async with create_sessionmaker(engine).begin() as session:
            found = await find_invite(session, link.rsplit("=", 1)[1])
        await engine.dispose()
        return None if found is None else (found.uses_left, found.role.value)

    assert asyncio.run(stored()) == (30, "mentee")

    monkeypatch.setenv("COACHBOT_BOT_USERNAME", "from_env_bot")
    assert main(["invite", "--programme", "Spring", "--role", "mentor"]) == 0
    assert capsys.readouterr().out.startswith("https://t.me/from_env_bot?start=")


def test_pair_and_unpair_queue_the_introductions(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    url = _env(tmp_path, monkeypatch)
    assert main(["programme", "create", "Spring", "--length", "26w", "--checkin", "tue 09:00"]) == 0
    _members(url, "Spring", [(1, "Mia Long", Role.MENTOR), (2, "Jo", Role.MENTEE),
                             (3, "Lu", Role.MENTEE)])
    capsys.readouterr()
    assert main(["pair", "--programme", "Spring", "--mentor", "1", "--mentee", "2"]) == 0
    assert main(["pair", "--programme", "Spring", "--mentor", "1", "--mentee", "3"]) == 0  # several
    assert "Paired 1 (mentor) with 3 (mentee)" in capsys.readouterr().out
    assert main(["pair", "--programme", "Spring", "--mentor", "1", "--mentee", "2"]) == 1
    assert _one_line(capsys) == "coachbot: mentee Jo (2) is already paired"
    assert main(["programme", "show", "Spring"]) == 0
    assert "open pairs: 2" in capsys.readouterr().out

    async def items() -> list[tuple[str, dict[str, object]]]:
        engine = create_engine(url)
        async with create_sessionmaker(engine).begin() as session:
            rows = await listing(session, limit=50)
        await engine.dispose()
        return [(row.item.kind, dict(row.item.payload)) for row in rows
                if row.item.kind == "introduction"]

    queued = asyncio.run(items())
    assert len(queued) == 4
    assert {"other": "Mia", "as_mentor": False, "ended": False, "programme": "Spring",
            "pairing": 1} in [
        payload for _, payload in queued]
    assert main(["unpair", "--programme", "Spring", "--mentee", "2"]) == 0
    assert main(["unpair", "--programme", "Spring", "--mentee", "2"]) == 1
    assert _one_line(capsys) == "coachbot: mentee Jo (2) has no open pairing in Spring"
    assert len([p for _, p in asyncio.run(items()) if p["ended"]]) == 2


def test_pair_and_unpair_take_first_names_as_pair_csv_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    url = _env(tmp_path, monkeypatch)
    assert main(["programme", "create", "Spring"]) == 0
    _members(url, "Spring", [(1, "Mia Long", Role.MENTOR), (2, "Jo Smith", Role.MENTEE),
                             (3, "Lu", Role.MENTEE), (4, "Lu Other", Role.MENTEE)])
    assert main(["programme", "create", "Autumn"]) == 0
    _members(url, "Autumn", [(5, "Kim", Role.MENTEE)])
    capsys.readouterr()
    assert main(["pair", "--programme", "Spring", "--mentor", "mia", "--mentee", "Jo"]) == 0
    assert "Paired 1 (mentor) with 2 (mentee)" in capsys.readouterr().out
    assert main(["pair", "--programme", "Spring", "--mentor", "Mia", "--mentee", "4"]) == 0
    capsys.readouterr()

    assert main(["unpair", "--programme", "Spring", "--mentee", "Lu"]) == 1
    assert _one_line(capsys) == ("coachbot: 2 members of Spring are called 'Lu'; "
                                 "use their Telegram ids")
    assert main(["unpair", "--programme", "Spring", "--mentee", "Kim"]) == 1
    assert _one_line(capsys) == "coachbot: no member of Spring is called 'Kim'"
    assert main(["unpair", "--programme", "Spring", "--mentee", "Nobody"]) == 1
    assert _one_line(capsys) == "coachbot: no member of Spring is called 'Nobody'"
    assert main(["unpair", "--programme", "Spring", "--mentee", "5"]) == 1
    assert _one_line(capsys) == "coachbot: mentee 5 is not a member of Spring"

    assert main(["unpair", "--programme", "Spring", "--mentee", "jo"]) == 0
    assert capsys.readouterr().out.startswith("Ended the pairing of 2 with 1 in Spring")
    assert main(["unpair", "--programme", "Spring", "--mentee", "Jo"]) == 1
    assert _one_line(capsys) == "coachbot: mentee Jo (2) has no open pairing in Spring"
    assert main(["programme", "show", "Spring"]) == 0
    assert "open pairs: 1" in capsys.readouterr().out  # Lu Other's pairing stays


def test_rough_edges_are_one_line_and_leave_nothing_half_done(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """What a walk through the CLI found: a QR path that cannot be written made the invite anyway,
    a username with a space printed a link that opens nothing, a spreadsheet's CSV (byte order
    mark) named its header, an empty file paired nobody in silence, an unnamed member's id was
    said twice, and a contacts file's error missed its colon."""
    url = _env(tmp_path, monkeypatch)
    assert main(["programme", "create", "Spring"]) == 0
    capsys.readouterr()
    assert main(["invite", "--programme", "Spring", "--role", "mentee", "--qr",
                 "/nonexistent/x.png", "--bot-username", "coach_bot"]) == 1
    assert _one_line(capsys) == "coachbot: cannot write /nonexistent/x.png: no folder /nonexistent"
    assert main(["invite", "--programme", "Spring", "--role", "mentee", "--qr", str(tmp_path),
                 "--bot-username", "coach_bot"]) == 1
    assert _one_line(capsys) == f"coachbot: cannot write {tmp_path}: it is a folder"
    assert main(["invite", "--programme", "Spring", "--role", "mentee",
                 "--bot-username", "@coach bot!"]) == 1
    assert _one_line(capsys) == ("coachbot: '@coach bot!' is not a Telegram username: 5 to 32 "
                                 "letters, digits or _")
    assert main(["programme", "show", "Spring"]) == 0
    assert "invites with uses left: 0" in capsys.readouterr().out  # none made on the way
    assert main(["invite", "--programme", "Spring", "--role", "mentee",
                 "--bot-username", "@coach_bot"]) == 0
    assert capsys.readouterr().out.startswith("https://t.me/coach_bot?start=")

    _members(url, "Spring", [(1, "Mia", Role.MENTOR), (501, None, Role.MENTEE)])
    (tmp_path / "excel.csv").write_bytes("mentor,mentee\r\nMia,501\r\n".encode("utf-8-sig"))
    assert main(["pair", "--programme", "Spring", "--csv", "excel.csv"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "paired: 1 (mentor) with 501 (mentee)", "1 pair made, 0 rows not paired."]
    assert main(["pair", "--programme", "Spring", "--mentor", "1", "--mentee", "501"]) == 1
    assert _one_line(capsys) == "coachbot: mentee 501 is already paired"
    for empty in ("", "\ufeffmentor,mentee\n\n"):
        (tmp_path / "empty.csv").write_text(empty, encoding="utf-8")
        assert main(["pair", "--programme", "Spring", "--csv", "empty.csv"]) == 1
        assert _one_line(capsys) == ("coachbot: empty.csv has no rows: write one pair a line, "
                                     "mentor,mentee")

    assert main(["programme", "safety", "Spring", "--contacts", "/nonexistent.txt"]) == 1
    assert _one_line(capsys) == ("coachbot: /nonexistent.txt: cannot read it (No such file or "
                                 "directory)")


def test_an_invite_whose_qr_code_cannot_be_written_is_not_made(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A folder that looks writable but takes no file (/proc, even for root): one line, no link,
    no invite counted, so a retry with another path makes exactly one."""
    _env(tmp_path, monkeypatch)
    assert main(["programme", "create", "Spring"]) == 0
    capsys.readouterr()
    for _ in range(2):
        assert main(["invite", "--programme", "Spring", "--role", "mentee", "--bot-username",
                     "coach_bot", "--qr", "/proc/q.png"]) == 1
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err.startswith("coachbot: cannot write /proc/q.png: ")
        assert captured.err.count("\n") == 1
    assert main(["programme", "show", "Spring"]) == 0
    assert "invites with uses left: 0" in capsys.readouterr().out


def test_a_qr_code_is_written_only_into_a_png_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A --qr path without .png (an existing notes file, a name without an extension) is refused
    in one line before anything is made, the file left as it was; .PNG is a PNG too."""
    _env(tmp_path, monkeypatch)
    assert main(["programme", "create", "Spring"]) == 0
    (tmp_path / "notes.txt").write_text("my notes", encoding="utf-8")
    capsys.readouterr()
    for path in ("notes.txt", "invite", "invite.png.txt"):
        assert main(["invite", "--programme", "Spring", "--role", "mentee", "--bot-username",
                     "coach_bot", "--qr", path]) == 1
        assert _one_line(capsys) == (f"coachbot: cannot write {path}: the QR code is a PNG "
                                     "picture: give a file name ending in .png")
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "my notes"
    assert not (tmp_path / "invite").exists()
    assert main(["programme", "show", "Spring"]) == 0
    assert "invites with uses left: 0" in capsys.readouterr().out
    assert main(["invite", "--programme", "Spring", "--role", "mentee", "--bot-username",
                 "coach_bot", "--qr", "Invite.PNG"]) == 0
    assert (tmp_path / "Invite.PNG").read_bytes().startswith(b"\x89PNG")


def test_revoke_ends_a_coordination(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    """What a coordinator's /delete points to: the grant is the programme's, removed here."""
    url = _env(tmp_path, monkeypatch)
    assert main(["programme", "create", "Spring"]) == 0
    assert main(["programme", "grant", "Spring", "--user-id", "900"]) == 0
    capsys.readouterr()
    assert main(["programme", "revoke", "Spring", "--user-id", "900"]) == 0
    assert capsys.readouterr().out == "900 no longer coordinates Spring.\n"
    assert main(["programme", "revoke", "Spring", "--user-id", "900"]) == 1
    assert _one_line(capsys) == "coachbot: 900 does not coordinate Spring"

    async def coordinates() -> list[str]:
        engine = create_engine(url)
        async with create_sessionmaker(engine).begin() as session:
            found = await coordinated_by(session, 900)
        await engine.dispose()
        return [programme.name for programme in found]

    assert asyncio.run(coordinates()) == []


def test_set_changes_defaults_and_name_and_says_whom_it_reaches(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A typo made at `create` is mended with `set`, read as `create` reads it; members keep
    what they have, the cohort check-in is the programme's own; a bad value is one line and
    changes nothing."""
    url = _env(tmp_path, monkeypatch)
    assert main(["programme", "create", "Fri", "--checkin", "mon 18:00", "--length", "6w",
                 "--timezone", "Europe/Berlin"]) == 0
    _members(url, "Fri", [(1, "Jo", Role.MENTEE)])
    capsys.readouterr()
    assert main(["programme", "set", "Fri", "--checkin", "tue 18:00", "--length", "6mo",
                 "--lang", "de", "--cohort-checkin", "every 2 weeks wed 17:00",
                 "--rename", "Fri2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ("Changed Fri2: name Fri -> Fri2; check-in mon 18:00 -> tue 18:00; length "
                      "6 weeks -> 6 months; language - -> de; cohort check-in off -> every 2 "
                      "weeks wed 17:00.")
    assert out[1] == ("Members keep the check-in and language they have (each can change their "
                      "own); whoever joins from now on gets the new one.")
    assert out[2] == "Pairs made so far keep their end; pairs made from now on get the new length."
    assert out[3].startswith("The cohort check-in is the programme's own, not a member's: planned "
                             "now for its 1 mentee at its next occurrence")
    assert "cohort check-in (mentees): every 2 weeks wed 17:00" in out
    assert "check-in: tue 18:00; mentor digest: -" in out
    assert main(["programme", "show", "Fri"]) == 1
    assert _one_line(capsys) == "coachbot: no programme called 'Fri'"
    for args, error in (
            (["--digest", "fri 25:00"], "cannot read --digest 'fri 25:00'; write e.g. \"mon 18:00\""),
            (["--cohort-checkin", "someday"],
             "cannot read --cohort-checkin 'someday'; write e.g. \"mon 18:00\""),
            (["--timezone", "Europe/Berln"], "no time zone called 'Europe/Berln': write a zone or "
             "a place (e.g. Europe/Berlin, Wien, London) or an offset (UTC+2)"),
            (["--rename", "Spring"], "there is a programme called 'Spring' already"),
            (["--rename", " SPRING "], "there is a programme called 'Spring' already; names that "
             "differ only in letter case, accents or spaces are taken for the same programme: "
             "choose another name"),
            ([], "give what to change: --checkin, --length, --digest, --lang, --timezone, "
                 "--cohort-checkin (a rhythm or off) or --rename NEW")):
        assert main(["programme", "create", "Spring"]) in (0, 1)
        capsys.readouterr()
        assert main(["programme", "set", "Fri2", *args]) == 1
        assert _one_line(capsys) == f"coachbot: {error}"
    assert main(["programme", "set", "Fri2", "--cohort-checkin", "off"]) == 0
    out = capsys.readouterr().out
    assert "The cohort check-in is off: none is planned any more for its 1 mentee" in out
    assert "cohort check-in (mentees): off" in out
    assert "check-in: tue 18:00" in out  # what was not given stays


def test_invite_revoke_ends_a_link_at_once_and_show_lists_what_still_works(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    url = _env(tmp_path, monkeypatch)
    monkeypatch.setattr("bot.programme_cli.utc_now", FakeClock())  # 21 November 2026
    assert main(["programme", "create", "Spring", "--timezone", "Europe/Berlin"]) == 0
    capsys.readouterr()
    assert main(["invite", "--programme", "Spring", "--role", "mentee", "--uses", "40",
                 "--bot-username", "coach_bot"]) == 0
    leaked = capsys.readouterr().out.strip()
    assert main(["invite", "--programme", "Spring", "--role", "mentor", "--uses", "3",
                 "--expires", "1w"]) == 0
    captured = capsys.readouterr()
    code = captured.out.strip().removeprefix("/start ")
    assert "invite 2 (coachbot invite --revoke 2 ends it)" in captured.err
    assert main(["programme", "show", "Spring"]) == 0
    out = capsys.readouterr().out
    assert "  invite 1 (mentees): 40 uses left, until 2026-12-05\n" in out
    assert "  invite 2 (mentors): 3 uses left, until 2026-11-28\n" in out

    assert main(["invite", "--revoke", leaked]) == 0
    assert capsys.readouterr().out == ("Ended invite 1 (mentees of Spring): whoever opens it now "
                                       "is told it is no longer valid.\n")
    assert main(["invite", "--revoke", code]) == 0
    capsys.readouterr()
    assert main(["programme", "show", "Spring"]) == 0
    out = capsys.readouterr().out
    assert "invites with uses left: 0" in out
    assert "  invite " not in out
    assert main(["invite", "--revoke", "1"]) == 0
    assert "no longer worked already" in capsys.readouterr().out

    async def uses_left() -> int | None:
        engine = create_engine(url)
        async with create_sessionmaker(engine).begin() as session:
            found = await find_invite(session, leaked.rsplit("=", 1)[1])
        await engine.dispose()
        return None if found is None else found.uses_left

    assert asyncio.run(uses_left()) == 0
    for args, error in (
            (["--revoke", "99"], "no invite '99': it was never made here, or mistyped"),
            (["--revoke", "hello there"], "cannot read 'hello there' as an invite: give its "
                                          "link, its code or its number (coachbot programme show "
                                          "lists them)"),
            (["--revoke", "1", "--programme", "Spring"],
             "--revoke takes no other option: it ends the invite it names"),
            (["--role", "mentee"], "give --programme NAME and --role mentor|mentee (or --revoke "
                                   "CODE_OR_LINK to end an invite)")):
        assert main(["invite", *args]) == 1
        assert _one_line(capsys) == f"coachbot: {error}"


@pytest.mark.parametrize("command", ["rename", "create"])
async def test_a_name_taken_between_the_look_and_the_write_is_the_usual_one_line(
        database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        command: str) -> None:
    """Another process creates "Autumn" after `programme set --rename Autumn` (or `programme
    create Autumn`) looked for it and before it writes: the unique name refuses the write, and the
    operator reads the same line as when the name was taken before, not a traceback; nothing is
    renamed."""
    settings = Settings(DATABASE_URL=database_url)
    none: dict[str, str | None] = dict.fromkeys(
        ("checkin", "length", "digest", "lang", "timezone", "cohort_checkin"))
    assert await programme_cli.create(settings, "Spring", **none) == 0
    look = admin._refuse_alike

    async def then_taken(session: AsyncSession, name: str, programme_id: int | None = None) -> None:
        await look(session, name, programme_id)
        assert await create_programme(session, name, {}, {}, datetime.now(UTC)) is not None

    monkeypatch.setattr(admin, "_refuse_alike", then_taken)
    capsys.readouterr()
    if command == "rename":
        assert await programme_cli.change(settings, "Spring", rename="Autumn", **none) == 1
    else:
        assert await programme_cli.create(settings, "Autumn", **none) == 1
    assert _one_line(capsys) == "coachbot: there is a programme called 'Autumn' already"
    engine = create_engine(database_url)
    async with create_sessionmaker(engine).begin() as session:
        assert sorted(p.name for p in await all_programmes(session)) == ["Autumn", "Spring"]
    await engine.dispose()
