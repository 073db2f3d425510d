"""A coordinator who has no side yet, over the Telegram stub: /help and the chat's command menu
list what fits them (the coordinator's commands and the account's, how to take a side), not a
mentee's journey; once they choose a side, both are as before. In en and de."""

from __future__ import annotations

import json

import pytest

from tests.support.cohort import programme
from tests.telegram.harness import E2E, say
from tests.test_mentor_accounts_e2e import chat_menu

CORA = 8601
#: Their menu in order, and the catalog key of each description as their menu words it.
COORDINATOR_MENU = {"start": "common.commands.start", "help": "common.commands.help",
                    "settings": "common.mentor_commands.settings",
                    "export": "common.commands.export", "delete": "common.commands.delete",
                    "invite": "common.coordinator_commands.invite",
                    "stats": "common.commands.stats", "programme": "common.commands.programme"}


def _descriptions(e2e: E2E, chat_id: int) -> dict[str, str]:
    key = (json.dumps({"chat_id": chat_id, "type": "chat"}, sort_keys=True), "")
    return {c["command"]: c["description"] for c in e2e.stub.commands[key]}


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_coordinator_without_a_side_gets_their_help_and_menu_until_they_choose_one(
        e2e: E2E, lang: str) -> None:
    await programme(e2e.service, "Spring", coordinators=(CORA,))
    cora = e2e.client(CORA, lang=lang, first_name="Cora")
    await cora.send("/start")
    assert chat_menu(e2e, CORA) == list(COORDINATOR_MENU)
    assert _descriptions(e2e, CORA) == {name: say(lang, key)
                                        for name, key in COORDINATOR_MENU.items()}
    [helped] = await cora.send("/help")
    lines = [f"/{name}: {say(lang, key)}" for name, key in COORDINATOR_MENU.items()
             if name not in ("start", "help")]
    assert helped == "\n".join([say(lang, "common.help.header"), *lines, "",
                                say(lang, "mentors.roles.take_side")])
    for mentees in ("/journey", "/agreement", "/grow", "/checkins", "/pause", "/skip"):
        assert mentees not in helped

    await cora.send("/start mentee")
    menu = chat_menu(e2e, CORA)
    assert {"journey", "grow", "checkins", "pause", "skip", "stats", "programme"} <= set(menu)
    assert _descriptions(e2e, CORA)["settings"] == say(lang, "common.commands.settings")
    [helped] = await cora.send("/help")
    assert f"/journey: {say(lang, 'common.commands.journey')}" in helped
    assert f"/stats: {say(lang, 'common.commands.stats')}" in helped
    assert say(lang, "common.help.in_dialog") in helped
    assert helped.endswith(say(lang, "mentors.roles.help_sides", side="mentee", primary=""))
