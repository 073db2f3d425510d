"""When a pairing ends, the OTHER person's Telegram command menu follows too (setMyCommands with
their chat scope), however it ends: the mentor or the mentee ends it, the mentee deletes their
data, or a coordinator unpairs them. A mentor with no mentee left keeps the mentor's commands; a
mentee without a mentor loses /askmentor (and gets it when paired)."""

from __future__ import annotations

import json

import pytest

from service.programmes.pairs import pair as coordinator_pair
from service.programmes.pairs import unpair
from storage.vocabulary import Role
from tests.support.cohort import member, programme
from tests.telegram.harness import E2E, say
from tests.test_mentor_accounts_e2e import LINK, MENTEE, MENTOR, chat_menu, mentor_with_link

MENTOR_COMMANDS = {"invite", "mentees", "digest"}


def menu_calls(e2e: E2E, chat_id: int) -> list[dict[str, object]]:
    """Every setMyCommands call for this chat's own scope, oldest first."""
    return [call for call in e2e.stub.calls_of("setMyCommands")
            if call.get("scope") == {"type": "chat", "chat_id": chat_id}]


def descriptions(e2e: E2E, chat_id: int) -> dict[str, str]:
    key = (json.dumps({"chat_id": chat_id, "type": "chat"}, sort_keys=True), "")
    return {c["command"]: c["description"] for c in e2e.stub.commands[key]}


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_the_mentor_ending_it_takes_askmentor_from_the_mentees_menu(e2e: E2E,
                                                                          lang: str) -> None:
    ben, token = await mentor_with_link(e2e, lang)
    ana = e2e.client(MENTEE, lang=lang, first_name="Ana")
    await ana.send(f"/start {token}")
    await e2e.settle()
    assert "askmentor" in chat_menu(e2e, MENTEE)  # paired: she can ask her mentor
    before = len(menu_calls(e2e, MENTEE))

    await ben.send("/settings")
    await ben.click(say(lang, "mentors.pairing.end_button", name="Ana"))
    await ben.click(say(lang, "mentors.pairing.end_yes"))
    await e2e.settle()
    assert ana.last_text == say(lang, "mentors.pairing.ended_other", name="Ben", as_mentor=False)
    assert len(menu_calls(e2e, MENTEE)) == before + 1
    menu = chat_menu(e2e, MENTEE)
    assert "askmentor" not in menu
    assert {"grow", "checkins", "export"} <= set(menu)
    assert not MENTOR_COMMANDS & set(menu)
    assert descriptions(e2e, MENTEE)["grow"] == say(lang, "common.commands.grow")  # her language
    assert set(chat_menu(e2e, MENTOR)) >= MENTOR_COMMANDS  # his own reply kept his commands
    assert e2e.errors == []


async def test_the_mentee_ending_it_or_deleting_refreshes_the_mentors_menu(e2e: E2E) -> None:
    ben, token = await mentor_with_link(e2e, "en")
    ana = e2e.client(MENTEE, first_name="Ana")
    await ana.send(f"/start {token}")
    await e2e.settle()
    before = len(menu_calls(e2e, MENTOR))

    await ana.send("/settings")
    await ana.click(say("en", "mentors.pairing.end_button", name="Ben"))
    await ana.click(say("en", "mentors.pairing.end_yes"))
    await e2e.settle()
    assert len(menu_calls(e2e, MENTOR)) == before + 1  # no mentee left: still a mentor's menu
    assert set(chat_menu(e2e, MENTOR)) >= MENTOR_COMMANDS
    assert "askmentor" not in chat_menu(e2e, MENTEE)  # her own reply's menu

    [again] = await ben.send("/invite")
    found = LINK.search(again)
    assert found is not None
    await ana.send(f"/start {found[1]}")
    await e2e.settle()
    assert "askmentor" in chat_menu(e2e, MENTEE)
    before = len(menu_calls(e2e, MENTOR))
    await ana.send("/delete")
    await ana.click(say("en", "common.delete.yes_button"))
    await e2e.settle()
    assert ben.last_text == say("en", "mentors.pairing.gone", name="Ana", as_mentor=True)
    assert len(menu_calls(e2e, MENTOR)) == before + 1
    assert set(chat_menu(e2e, MENTOR)) >= MENTOR_COMMANDS
    assert e2e.errors == []


async def test_a_coordinators_pair_and_unpair_refresh_both_menus(e2e: E2E) -> None:
    await e2e.stop()
    await e2e.start(dispatch_every=0.05)
    service = e2e.service
    spring = await programme(service, "Spring")
    await member(service, MENTOR, "Ben Berg", "Europe/Berlin", spring.id, Role.MENTOR)
    await member(service, MENTEE, "Ana", "Europe/Berlin", spring.id)
    for telegram_id, name in ((MENTOR, "Ben"), (MENTEE, "Ana")):  # they have written to the bot
        await e2e.client(telegram_id, first_name=name).send("/help")

    async with service.sessionmaker.begin() as session:
        await coordinator_pair(session, spring, MENTOR, MENTEE, service.clock())
    await e2e.stub.wait_for(lambda: "askmentor" in chat_menu(e2e, MENTEE)
                            and set(chat_menu(e2e, MENTOR)) >= MENTOR_COMMANDS,
                            what="the menus after the introductions (the mentee's: /askmentor)")
    mentor_calls, mentee_calls = len(menu_calls(e2e, MENTOR)), len(menu_calls(e2e, MENTEE))

    async with service.sessionmaker.begin() as session:
        await unpair(session, spring, MENTEE, service.clock())
    await e2e.stub.wait_for(lambda: len(menu_calls(e2e, MENTEE)) > mentee_calls
                            and len(menu_calls(e2e, MENTOR)) > mentor_calls,
                            what="both menus after the coordinator unpaired them")
    assert "askmentor" not in chat_menu(e2e, MENTEE)
    assert "grow" in chat_menu(e2e, MENTEE)
    assert set(chat_menu(e2e, MENTOR)) >= MENTOR_COMMANDS
    ended = say("en", "programme_admin.ended", other="Ben", as_mentor=False, programme="Spring")
    assert ended in [m["text"] for m in e2e.stub.chats[MENTEE]]
    assert e2e.errors == []
