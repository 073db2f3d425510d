"""`coachbot pair --csv`: good rows paired completely (pairing and both introductions), every
bad row reported with its reason and changing nothing; the running bot then introduces each
pair by first name."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.terminal import to_plain
from service.conversation import ConversationService
from service.programmes.pairs import PairError, pair, pair_csv, read_rows, unpair
from storage.pairings import pairing_of_mentee, pairings_of_mentor
from storage.users import get_user
from storage.vocabulary import Role
from tests.support.cohort import member, one_pass, programme

CSV = """mentor,mentee
100,200
Mia,Lu
100,200
999,201
100,300
100
100,200,300
101,202
,202
101,Jo
"""


async def test_good_rows_are_paired_and_bad_rows_reported(service: ConversationService) -> None:
    spring = await programme(service, "Spring")
    await member(service, 100, "Mia Long", "Europe/Berlin", spring.id, Role.MENTOR)
    await member(service, 101, "Ben", "UTC", spring.id, Role.MENTOR)
    for telegram_id, name in ((200, "Jo"), (201, "Lu"), (202, "Kim")):
        await member(service, telegram_id, name, "UTC", spring.id)
    await member(service, 300, "Outsider", "UTC", None)
    async with service.sessionmaker.begin() as session:
        result = await pair_csv(session, spring, CSV, service.clock())
    assert [(m.mentor.telegram_id, m.mentee.telegram_id) for m in result.made] == [
        (100, 200), (100, 201), (101, 202)]
    assert [(bad.line, bad.reason) for bad in result.bad] == [
        (4, "duplicate row (same as line 2)"),
        (5, "unknown mentor id 999"),
        (6, "mentee 300 is not a member of Spring"),
        (7, "malformed line: write mentor,mentee (or ;)"),
        (8, "malformed line: write mentor,mentee (or ;)"),
        (10, "malformed line: write mentor,mentee (or ;)"),
        (11, "mentee Jo (200) is already paired"),
    ]
    async with service.sessionmaker.begin() as session:
        mia = await get_user(session, 100)
        assert mia is not None
        assert len(await pairings_of_mentor(session, mia.id)) == 2  # several mentees
        outsider = await get_user(session, 300)
        assert outsider is not None
        assert await pairing_of_mentee(session, outsider.id) is None

    sent = {delivery.recipient: to_plain(delivery.messages[0].text)
            for delivery in await one_pass(service)}
    assert set(sent) == {100, 101, 200, 201, 202}  # Mia's two introductions: one shown here
    assert "your mentor is Mia" in sent[200]
    assert "Long" not in sent[200]  # first names only
    assert "mentor of Kim" in sent[101]


async def test_a_pair_undone_before_its_introduction_is_never_mentioned(
        service: ConversationService) -> None:
    """Paired and unpaired before the bot sent the introductions: neither person hears of it, no
    welcome to a pairing that is over and no end of one they never knew of. A pair introduced
    first is told of its end, both of them."""
    spring = await programme(service, "Spring")
    await member(service, 102, "Mia", "UTC", spring.id, Role.MENTOR)
    await member(service, 204, "Jo", "UTC", spring.id)
    await member(service, 205, "Lu", "UTC", spring.id)
    async with service.sessionmaker.begin() as session:
        await pair(session, spring, "102", "204", service.clock())
    async with service.sessionmaker.begin() as session:
        await unpair(session, spring, "204", service.clock())
    assert [d.messages for d in await one_pass(service) if d.messages] == []

    async with service.sessionmaker.begin() as session:
        await pair(session, spring, "102", "205", service.clock())
    introduced = {d.recipient: to_plain(d.messages[0].text) for d in await one_pass(service)}
    assert "your mentor is Mia" in introduced[205]
    assert "mentor of Lu" in introduced[102]
    async with service.sessionmaker.begin() as session:
        await unpair(session, spring, "205", service.clock())
    ended = {d.recipient: to_plain(d.messages[0].text) for d in await one_pass(service)}
    assert set(ended) == {102, 205}
    assert "has ended your pairing with Mia" in ended[205]
    assert "has ended your pairing with Lu" in ended[102]


def test_the_csv_command_reports_each_bad_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from tests.test_programme_cli import _env, _members

    url = _env(tmp_path, monkeypatch)
    assert main(["programme", "create", "Spring"]) == 0
    _members(url, "Spring", [(1, "Mia", Role.MENTOR), (2, "Jo", Role.MENTEE)])
    (tmp_path / "pairs.csv").write_text("1,2\n1;2\n1,404\n1\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["pair", "--programme", "Spring", "--csv", "pairs.csv"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "paired: 1 (mentor) with 2 (mentee)",
        "line 2: not paired: duplicate row (same as line 1)",  # 1;2 as a spreadsheet saves it
        "line 3: not paired: unknown mentee id 404",
        "line 4: not paired: malformed line: write mentor,mentee (or ;)",
        "1 pair made, 3 rows not paired.",
    ]


async def test_a_spreadsheet_s_own_csv_is_read_as_it_saves_it(service: ConversationService) -> None:
    """Excel's "sep=;" first line, a header of header words (German too), separators at a row's
    end and tab-separated rows are read; a bad row is still reported with its line, and changes
    nothing."""
    spring = await programme(service, "Spring")
    for telegram_id, name in ((101, "Mia"), (102, "Ben"), (103, "Ida")):
        await member(service, telegram_id, name, "UTC", spring.id, Role.MENTOR)
    for telegram_id, name in ((201, "Jo"), (202, "Lu"), (203, "Kim"), (209, "Eve")):
        await member(service, telegram_id, name, "UTC", spring.id)
    files = ("sep=;\nMentor:in;Mentee (Telegram-ID);\n101;201;\n;;\n102;404;\n",
             "mentor_id\tmentee_id\n102\t202\n",
             "Mentorin,Mentee\n103,209,\n",
             "103,203,,\n")
    async with service.sessionmaker.begin() as session:
        results = [await pair_csv(session, spring, text, service.clock()) for text in files]
    assert [[(m.mentor.telegram_id, m.mentee.telegram_id) for m in r.made] for r in results] == [
        [(101, 201)], [(102, 202)], [(103, 209)], [(103, 203)]]
    assert [(bad.line, bad.text, bad.reason) for bad in results[0].bad] == [
        (5, "102;404;", "unknown mentee id 404")]
    assert not any(r.bad for r in results[1:])


@pytest.mark.parametrize(("text", "rows", "bad"), [
    ("Mentor;Mentee\n1;2\n", [(2, "1", "2")], []),
    ("mentor,mentee\n1,2\n", [(2, "1", "2")], []),
    ("\n\nMentee-ID,Mentor-ID\n1,2\n", [(4, "1", "2")], []),  # the first row with cells
    ("Mentor,Mentee\nmentor,mentee\n", [(2, "mentor", "mentee")], []),  # one header only
    ("sep=,\n1;2\n3,4\n", [(3, "3", "4")], [2]),  # the named separator, only it
    ('"sep=;"\n1;2\n', [(2, "1", "2")], []),
    ("1\t2\t\n3,4,\n5;6;\n", [(1, "1", "2"), (2, "3", "4"), (3, "5", "6")], []),
    ("Mia,Jo Name\n", [(1, "Mia", "Jo Name")], []),  # a row of names, not a header
    ("1,,2\n1,2,3\n,2,\n", [], [1, 2, 3]),
])
def test_the_rows_of_a_pairs_file(text: str, rows: list[tuple[int, str, str]],
                                  bad: list[int]) -> None:
    found, malformed = read_rows(text)
    assert [(line, mentor, mentee) for line, _, mentor, mentee in found] == rows
    assert [row.line for row in malformed] == bad


async def test_names_are_found_as_typed_and_a_mentor_is_not_unpaired_as_a_mentee(
        service: ConversationService) -> None:
    """`unpair --mentee zoe` finds Zoë (accents folded as other typed names are, an exact name
    first); a mentor's id says they are a mentor, not a mentee; no name at all is refused as
    such, not as "2 members are called ''"."""
    spring = await programme(service, "Spring")
    await member(service, 101, "Mia", "UTC", spring.id, Role.MENTOR)
    await member(service, 201, "Zoë Lang", "UTC", spring.id)
    await member(service, 202, "Jürgen", "UTC", spring.id)
    await member(service, 203, "Ana", "UTC", spring.id)
    await member(service, 204, "Aña", "UTC", spring.id)
    now = service.clock()
    async with service.sessionmaker.begin() as session:
        for mentee in ("201", "202", "Aña"):
            await pair(session, spring, "101", mentee, now)
    for typed, mentee in (("zoe", 201), ("JUERGEN", 202), ("aña", 204)):
        async with service.sessionmaker.begin() as session:
            assert (await unpair(session, spring, typed, now)).mentee.telegram_id == mentee
    for refs, said in (
            (("101",), "Mia (101) is a mentor, not a mentee: give their mentee's Telegram id or "
                       "first name"),
            (("mia",), "Mia (101) is a mentor, not a mentee: give their mentee's Telegram id or "
                       "first name"),
            (("ana",), "mentee Ana (203) has no open pairing in Spring"),  # Ana, not Aña
            (("",), "no mentee given: give a Telegram id or a first name"),
            (("", ""), "no mentor given: give a Telegram id or a first name"),
            (("101", "  "), "no mentee given: give a Telegram id or a first name")):
        async with service.sessionmaker.begin() as session:
            with pytest.raises(PairError) as refused:
                if len(refs) == 1:
                    await unpair(session, spring, refs[0], now)
                else:
                    await pair(session, spring, refs[0], refs[1], now)
        assert str(refused.value) == said


async def test_a_mentee_given_as_the_mentor_is_refused_naming_their_side(
        service: ConversationService) -> None:
    """Jo, a mentee only, as the mentor: refused with Jo's side named, and when the two were given
    the other way round, that too; in a CSV that row alone is reported and nothing of it is made
    (no pairing, no introduction). A mentor given as someone's mentee is paired: one person may be
    a mentor and a mentee (the bot tells a programme's mentor the team can pair them)."""
    spring = await programme(service, "Spring")
    await member(service, 101, "Mia", "UTC", spring.id, Role.MENTOR)
    await member(service, 102, "Ben", "UTC", spring.id, Role.MENTOR)
    await member(service, 201, "Jo", "UTC", spring.id)
    await member(service, 202, "Lu", "UTC", spring.id)
    now = service.clock()
    async with service.sessionmaker.begin() as session:
        with pytest.raises(PairError) as refused:
            await pair(session, spring, "Jo", "Mia", now)
    assert str(refused.value) == ("Jo (201) is a mentee, not a mentor, and Mia (101) is a mentor: "
                                  "the mentor comes first (swapped?)")
    async with service.sessionmaker.begin() as session:
        result = await pair_csv(session, spring, "201,101\n201,202\n101,201\n", now)
    assert [(m.mentor.telegram_id, m.mentee.telegram_id) for m in result.made] == [(101, 201)]
    assert [(bad.line, bad.reason) for bad in result.bad] == [
        (1, "Jo (201) is a mentee, not a mentor, and Mia (101) is a mentor: the mentor comes "
            "first (swapped?)"),
        (2, "Jo (201) is a mentee, not a mentor")]
    async with service.sessionmaker.begin() as session:
        lu = await get_user(session, 202)
        assert lu is not None
        assert await pairing_of_mentee(session, lu.id) is None
        made = await pair(session, spring, "Ben", "Mia", now)  # a mentor as someone's mentee
    assert (made.mentor.telegram_id, made.mentee.telegram_id) == (102, 101)
    sent = {delivery.recipient for delivery in await one_pass(service)}
    assert sent == {101, 102, 201}  # Lu, in a refused row only, hears nothing


def test_pair_csv_dash_reads_the_rows_from_standard_input(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """`... | coachbot pair --csv -` pairs the piped rows (a spreadsheet's byte order mark too),
    as `stats --csv -` writes to stdout; an empty pipe or one not UTF-8 is one line naming
    standard input."""
    from tests.test_programme_cli import _env, _members, _one_line

    url = _env(tmp_path, monkeypatch)
    assert main(["programme", "create", "Spring"]) == 0
    _members(url, "Spring", [(1, "Mia", Role.MENTOR), (2, "Jo", Role.MENTEE)])
    capsys.readouterr()

    def piped(data: bytes) -> None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))

    piped("\ufeffmentor;mentee\r\nMia;Jo\r\n".encode())
    assert main(["pair", "--programme", "Spring", "--csv", "-"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "paired: 1 (mentor) with 2 (mentee)", "1 pair made, 0 rows not paired."]
    piped(b"")
    assert main(["pair", "--programme", "Spring", "--csv", "-"]) == 1
    assert _one_line(capsys) == ("coachbot: standard input has no rows: write one pair a line, "
                                 "mentor,mentee")
    piped(b"Mia,J\xf6\n")
    assert main(["pair", "--programme", "Spring", "--csv", "-"]) == 1
    assert _one_line(capsys) == "coachbot: standard input is not UTF-8 text"
