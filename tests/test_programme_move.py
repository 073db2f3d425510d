"""`coachbot programme move NAME --user-id N`: a member moved by the programme team into another
programme keeps their side, takes the new programme's defaults as on joining, and is told by the
running bot in their language; every refusal is one line and changes nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from prompts.catalog import default_catalog
from service.conversation import ConversationService
from service.programmes.moving import move
from storage.database import create_engine, create_sessionmaker
from storage.pairings import create_pairing
from storage.programmes import create_programme, programme_by_name
from storage.schedule import listing, rules_of
from storage.users import create_user, get_user, update_user
from storage.vocabulary import Role
from tests.support.chat import Chat
from tests.support.clock import FakeClock
from tests.support.cohort import member, one_pass
from tests.test_programme_cli import _env, _members, _one_line


def _counts(capsys: pytest.CaptureFixture[str], name: str) -> str:
    capsys.readouterr()
    assert main(["programme", "show", name]) == 0
    return capsys.readouterr().out.splitlines()[1]


def _pair(url: str, mentor: int, mentee: int) -> None:
    async def make() -> None:
        engine = create_engine(url)
        now = FakeClock()()
        async with create_sessionmaker(engine).begin() as session:
            spring = await programme_by_name(session, "Spring cohort")
            mia, jo = await get_user(session, mentor), await get_user(session, mentee)
            assert spring is not None
            assert mia is not None
            assert jo is not None
            await create_pairing(session, mia.id, jo.id, today=now.date(), ends_on=None, now=now,
                                 programme_id=spring.id)
        await engine.dispose()

    asyncio.run(make())


def _outsider(url: str, telegram_id: int) -> None:
    """Someone who wrote to the bot without joining any programme."""
    async def seed() -> None:
        engine = create_engine(url)
        async with create_sessionmaker(engine).begin() as session:
            await create_user(session, telegram_id, name="Eli", language="en", timezone="UTC",
                              now=FakeClock()(), role=Role.MENTEE)
        await engine.dispose()

    asyncio.run(seed())


def _state(url: str, telegram_id: int) -> tuple[str | None, str, set[str], list[str]]:
    """Their programme's name, language, rule kinds and queued notes' programmes."""
    async def read() -> tuple[str | None, str, set[str], list[str]]:
        engine = create_engine(url)
        async with create_sessionmaker(engine).begin() as session:
            user = await get_user(session, telegram_id)
            assert user is not None
            names = {p.id: p.name for p in [await programme_by_name(session, n)
                                            for n in ("Spring cohort", "Autumn")] if p}
            rules = set(await rules_of(session, user.id))
            notes = [str(row.item.payload["programme"]) for row in await listing(session, limit=50)
                     if row.item.kind == "moved" and row.item.user_id == user.id]
        await engine.dispose()
        return (names.get(user.programme_id or 0), user.language, rules, notes)

    return asyncio.run(read())


def test_move_refuses_in_one_line_then_moves_on_their_side(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    url = _env(tmp_path, monkeypatch)
    assert main(["programme", "create", "Spring cohort"]) == 0
    assert main(["programme", "create", "Autumn", "--checkin", "tue 09:00", "--digest",
                 "fri 16:00", "--lang", "de"]) == 0
    _members(url, "Spring cohort", [(12345, "Ana Lind", Role.MENTEE), (1, "Mia", Role.MENTOR),
                                    (2, "Jo", Role.MENTEE), (3, "Lu", Role.MENTEE)])
    _members(url, "Autumn", [(7, "Kim", Role.MENTEE)])
    _outsider(url, 300)
    _pair(url, 1, 2)
    _pair(url, 1, 3)
    spring_before = _counts(capsys, "Spring cohort")
    assert spring_before == "members: 4 (1 mentor, 3 mentees); open pairs: 2"
    assert _counts(capsys, "Autumn") == "members: 1 (0 mentors, 1 mentee); open pairs: 0"

    for args, error in [
        (["Nope", "--user-id", "12345"], "coachbot: no programme called 'Nope'"),
        (["Autumn", "--user-id", "404"], "coachbot: unknown user id 404"),
        (["Spring cohort", "--user-id", "12345"],
         "coachbot: Ana (12345) is already a member of Spring cohort"),
        (["Autumn", "--user-id", "300"],
         "coachbot: Eli (300) is not a member of any programme: send them an invite (coachbot "
         "invite --programme Autumn --role ...)"),
        (["Autumn", "--user-id", "2"],
         "coachbot: Jo (2) has an open pairing in Spring cohort: end it first with coachbot unpair "
         "--programme 'Spring cohort' --mentee 2"),
        (["Autumn", "--user-id", "1"],
         "coachbot: Mia (1) has 2 open pairings in Spring cohort: end them first with coachbot "
         "unpair --programme 'Spring cohort' --mentee 2; coachbot unpair --programme "
         "'Spring cohort' --mentee 3"),
    ]:
        capsys.readouterr()
        assert main(["programme", "move", *args]) == 1
        assert _one_line(capsys) == error
    assert _counts(capsys, "Spring cohort") == spring_before
    assert _counts(capsys, "Autumn") == "members: 1 (0 mentors, 1 mentee); open pairs: 0"
    assert _state(url, 2) == ("Spring cohort", "en", set(), [])
    assert _state(url, 1) == ("Spring cohort", "en", set(), [])
    assert _state(url, 300) == (None, "en", set(), [])

    capsys.readouterr()
    assert main(["programme", "move", "Autumn", "--user-id", "12345"]) == 0
    assert capsys.readouterr().out == ("moved Ana (12345) from Spring cohort to Autumn; they are "
                                       "told by the running bot.\n")
    assert _counts(capsys, "Spring cohort") == "members: 3 (1 mentor, 2 mentees); open pairs: 2"
    assert _counts(capsys, "Autumn") == "members: 2 (0 mentors, 2 mentees); open pairs: 0"
    # Autumn's defaults flow in: its language (never chosen), a mentee's check-in rule.
    assert _state(url, 12345) == ("Autumn", "de", {"checkin"}, ["Autumn"])

    # Ended in Spring as `coachbot unpair` says, the mentor moves, as a mentor, with the digest.
    for mentee in ("2", "3"):
        assert main(["unpair", "--programme", "Spring cohort", "--mentee", mentee]) == 0
    capsys.readouterr()
    assert main(["programme", "move", "Autumn", "--user-id", "1"]) == 0
    assert capsys.readouterr().out.startswith("moved Mia (1) from Spring cohort to Autumn")
    assert _counts(capsys, "Autumn") == "members: 3 (1 mentor, 2 mentees); open pairs: 0"
    assert _state(url, 1) == ("Autumn", "de", {"digest"}, ["Autumn"])


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_the_running_bot_tells_the_member_in_their_language(
        service: ConversationService, clock: FakeClock, lang: str) -> None:
    """English: they chose it, so Autumn's German does not replace it; German: never chosen,
    Autumn's language flows in, the note says so, and English is offered back (tapped or typed),
    as after joining through a link."""
    now = clock()
    async with service.sessionmaker.begin() as session:
        spring = await create_programme(session, "Spring", {}, {}, now)
        autumn = await create_programme(session, "Autumn", {"language": "de"}, {}, now)
    assert spring is not None
    assert autumn is not None
    ana = await member(service, 500, "Ana", "Europe/Berlin", spring.id)
    async with service.sessionmaker.begin() as session:
        await update_user(session, ana.id, now, language_chosen=lang == "en")
    async with service.turn_of(500) as turn:
        assert turn is not None
        await move(turn, autumn)
    clock.advance(minutes=1)
    messages = [m for d in await one_pass(service) if d.recipient == 500 for m in d.messages]
    catalog = default_catalog()
    note = catalog.render(lang, "programme_admin.moved", programme="Autumn", as_mentor=False,
                          switched=lang == "de")
    assert ("umgezogen" in note) is (lang == "de")
    assert ("auf Deutsch" in note) is (lang == "de")  # the new language is said, in it
    if lang == "en":  # kept: nothing to switch back
        assert [m.text for m in messages] == [note]
    else:  # then the join flow's line, in the language they had, switches back
        assert [m.text for m in messages] == [
            note, catalog.render("en", "programme_admin.language_offer")]
        assert [b.label for b in messages[1].choices] == [
            catalog.render("en", "programme_admin.language_button")]
        await Chat(service, user_id=500, language="en").send("English")  # typed works too
    assert await one_pass(service) == []  # told once
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, 500)
    assert user is not None
    assert user.language == "en"
