"""`coachbot pair --csv`: good rows paired completely (pairing and both introductions), every
bad row reported with its reason and changing nothing; the running bot then introduces each
pair by first name."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.terminal import to_plain
from service.conversation import ConversationService
from service.programmes.pairs import pair, pair_csv, unpair
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
