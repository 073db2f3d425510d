"""The mentor's side over the Telegram stub, two people in their own chats: a mentor starts,
invites with a t.me link, the mentee opens it, both are told; refused links and commands change
nothing; each chat's menu follows the person's roles (setMyCommands with a chat scope)."""

from __future__ import annotations

import json
import re

import pytest

from storage.rows import INVITES, PAIRINGS
from tests.telegram.client import ChatClient
from tests.telegram.harness import E2E, say
from tests.telegram.stub import BOT_USERNAME

MENTOR, MENTEE, OTHER = 7101, 7102, 7103
LINK = re.compile(rf"https://t\.me/{BOT_USERNAME}\?start=([A-Za-z0-9_-]{{32}})")


def chat_menu(e2e: E2E, chat_id: int) -> list[str]:
    """The commands of this chat's own menu, as setMyCommands stored them."""
    key = (json.dumps({"chat_id": chat_id, "type": "chat"}, sort_keys=True), "")
    return [command["command"] for command in e2e.stub.commands.get(key, [])]


async def mentor_with_link(e2e: E2E, lang: str) -> tuple[ChatClient, str]:
    ben = e2e.client(MENTOR, lang=lang, first_name="Ben")
    await ben.send("/start")
    await ben.click(say(lang, "mentors.roles.mentor_button"))
    [sent] = await ben.send("/invite")
    found = LINK.search(sent)
    assert found is not None, sent
    return ben, found[1]


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_mentor_invites_the_mentee_opens_the_link_and_both_are_told(e2e: E2E, lang: str) -> None:
    ben, token = await mentor_with_link(e2e, lang)
    assert "invite" in chat_menu(e2e, MENTOR)
    assert "grow" not in chat_menu(e2e, MENTOR)

    ana = e2e.client(MENTEE, lang=lang, first_name="Ana")
    sent = await ana.send(f"/start {token}")
    await e2e.settle()
    assert say(lang, "mentors.pairing.paired_mentee", mentor="Ben") in sent
    assert ben.last_text == say(lang, "mentors.pairing.paired_mentor", mentee="Ana")
    [pairing] = await e2e.rows(PAIRINGS)
    assert pairing["status"] == "active"

    # The same link again, by someone else: refused, nothing changes, the mentor hears nothing.
    cleo = e2e.client(OTHER, lang=lang, first_name="Cleo")
    invites = await e2e.rows(INVITES)
    mentor_chat = list(ben.texts)
    sent = await cleo.send(f"/start {token}")
    assert sent[0] == say(lang, "mentors.invite.used", mentor="Ben")
    await e2e.settle()
    assert ben.texts == mentor_chat
    assert await e2e.rows(PAIRINGS) == [pairing]
    assert await e2e.rows(INVITES) == invites


async def test_forged_expired_own_links_and_a_mentees_invite_are_refused(e2e: E2E) -> None:
    ben, token = await mentor_with_link(e2e, "en")
    [own] = await ben.send(f"/start {token}")
    assert own == say("en", "mentors.invite.own")

    ana = e2e.client(MENTEE, first_name="Ana")
    sent = await ana.send("/start " + "x" * 32)
    assert sent[0] == say("en", "mentors.invite.unknown")
    assert sent[1] == say("en", "mentors.roles.ask", name="Ana")
    await ana.click(say("en", "mentors.roles.mentee_button"))
    [refused] = await ana.send("/invite")
    assert refused == say("en", "mentors.roles.not_yours", for_mentors=True)
    assert await e2e.rows(INVITES, created_by=(await e2e.user(MENTEE) or {})["id"]) == []

    e2e.clock.advance(days=15)
    sent = await ana.send(f"/start {token}")
    assert sent == [say("en", "mentors.invite.expired", mentor="Ben")]
    assert await e2e.rows(PAIRINGS) == []


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_ending_with_confirmation_and_a_mentees_delete_tell_the_mentor(
    e2e: E2E, lang: str
) -> None:
    ben, token = await mentor_with_link(e2e, lang)
    ana = e2e.client(MENTEE, lang=lang, first_name="Ana")
    await ana.send(f"/start {token}")
    await e2e.settle()

    await ana.send("/settings")
    [asked] = await ana.click(say(lang, "mentors.pairing.end_button", name="Ben"))
    assert asked == say(lang, "mentors.pairing.end_confirm", name="Ben", as_mentor=False)
    [ended] = await ana.click(say(lang, "mentors.pairing.end_yes"))
    assert ended == say(lang, "mentors.pairing.ended_you", name="Ben", as_mentor=False)
    await e2e.settle()
    assert ben.last_text == say(lang, "mentors.pairing.ended_other", name="Ana", as_mentor=True)
    [pairing] = await e2e.rows(PAIRINGS)
    assert pairing["status"] == "ended"

    [second] = await ben.send("/invite")
    found = LINK.search(second)
    assert found is not None
    await ana.send(f"/start {found[1]}")
    await e2e.settle()
    await ana.send("/delete")
    await ana.click(say(lang, "common.delete.yes_button"))
    await e2e.settle()
    assert ben.last_text == say(lang, "mentors.pairing.gone", name="Ana", as_mentor=True)
    assert await e2e.rows(PAIRINGS) == []
    assert await e2e.user(MENTOR) is not None


async def test_a_mentee_who_adds_the_mentor_side_gets_both_menus_in_their_language(e2e: E2E) -> None:
    ana = e2e.client(MENTEE, lang="de", first_name="Ana")
    await ana.send("/start")
    await ana.click(say("de", "mentors.roles.mentee_button"))
    assert chat_menu(e2e, MENTEE) == []  # the default menu is the mentees'
    await ana.send("/start mentor")
    menu = chat_menu(e2e, MENTEE)
    assert {"invite", "grow", "story"} <= set(menu)
    key = (json.dumps({"chat_id": MENTEE, "type": "chat"}, sort_keys=True), "")
    descriptions = {c["command"]: c["description"] for c in e2e.stub.commands[key]}
    assert descriptions["invite"] == say("de", "common.commands.invite")
