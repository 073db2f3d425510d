"""Probing the mentor's side over the real Telegram path (the product Application polling the Bot
API stub): a German mentor and an English mentee paired by an invite link across a restart, each
reading their own language; a note with emoji, HTML, template braces and a NUL reaching the
mentor within Telegram's limits; Reply across a restart, pressed again, forged by others; the
digest at the mentor's time; the mentee's button pressed after the pairing ended. Nothing the
mentee kept private reaches the mentor's chat."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from service.callbacks import mentee_data, scheduling_data
from storage.rows import HELP, PAIRINGS
from tests import test_mentors_e2e as mentors_e2e
from tests.telegram.client import ChatClient
from tests.telegram.harness import E2E, say
from tests.telegram.stub import BOT_USERNAME

BEN, ANA, OTTO = 7201, 7202, 7203
LINK = re.compile(rf"https://t\.me/{BOT_USERNAME}\?start=([A-Za-z0-9_-]{{32}})")
FRIDAY_16 = datetime(2026, 11, 27, 16, tzinfo=UTC)  # the default digest (the mentor's zone: UTC)
SECRET = "Zebrafinch"


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


async def checkin(client: ChatClient, helped: str, confidence: str, share: str) -> None:
    """A whole check-in over Telegram (no open action steps), then the sharing choice."""
    await mentors_e2e.checkin(client, helped, confidence)
    await client.click(share)


@pytest.mark.parametrize("e2e", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
async def test_a_german_mentor_and_an_english_mentee_across_restarts_and_stale_presses(
    e2e: E2E,
) -> None:
    ben = e2e.client(BEN, lang="de", first_name="Ben")
    await ben.send("/start")
    await ben.click(say("de", "mentors.roles.mentor_button"))
    [sent] = await ben.send("/invite")
    found = LINK.search(sent)
    assert found is not None, sent

    await e2e.restart()  # the link outlives the process that made it
    await e2e.stop()
    await e2e.start(dispatch_every=0.05)
    ana = e2e.client(ANA, lang="en", first_name="Ana")
    joined = await ana.send(f"/start {found[1]}")
    await e2e.settle()
    assert say("en", "mentors.pairing.paired_mentee", mentor="Ben") in joined
    assert ben.last_text == say("de", "mentors.pairing.paired_mentor", mentee="Ana")
    assert await ana.send(f"/start {found[1]}") == [say("en", "mentors.invite.used",
                                                        mentor="Ben")]

    await checkin(ana, f"{SECRET} in my diary", "6", "Keep it private")
    await checkin(ana, "Joined a running group", "7", "Share all of it")
    e2e.clock.now = FRIDAY_16
    await e2e.stub.wait_for(lambda: any("Dein Überblick" in text for text in ben.texts),
                            what="the mentor's digest in German")
    digest = next(text for text in ben.texts if "Dein Überblick" in text)
    assert "Joined a running group" in digest

    # A note with emoji, markup, braces and a NUL: as written, within Telegram's limits.
    note = "Hilfe 🙂 <b>bold</b> & {{ 7*7 }} \x00 " + "🌊" * 1500
    asked = await ana.send(f"/askmentor {note}")
    assert asked == [say("en", "alerts.sent", mentor="Ben")]
    await e2e.settle()
    alert = ben.last_text
    assert "<b>bold</b> & {{ 7*7 }}" in alert
    assert "\x00" not in alert
    assert ben.last_buttons == ["Antworten"]
    alert_message = ben.last_message
    [again] = [b["callback_data"] for row in alert_message["reply_markup"]["inline_keyboard"]
               for b in row]
    assert all(utf16(m["text"]) <= 4096 for m in e2e.stub.sent_messages)

    # Reply pressed, the bot restarts, the reply still goes to Ana, once, in English.
    await ben.click("Antworten")
    assert ben.last_text == say("de", "alerts.ask_reply", mentee="Ana")
    await e2e.restart()
    await ben.send("Ja, ruf mich morgen an.")
    await e2e.settle()
    assert ben.last_text == say("de", "alerts.reply_sent", mentee="Ana")
    assert "Ben replied" in ana.last_text
    assert "Ja, ruf mich morgen an." in ana.last_text
    ana_seen = len(ana.texts)
    # pressed again (an old client still showing it): a notice, nothing more
    e2e.stub.press_button(BEN, alert_message["message_id"], again, strict=False)
    await e2e.settle()
    assert ben.callback_answers[-1] == say("de", "common.notes.stale_button")
    await ben.send("Noch etwas")
    await e2e.settle()
    assert len(ana.texts) == ana_seen
    [request] = await e2e.rows(HELP)
    assert request["reply"] == "Ja, ruf mich morgen an."

    # Forged presses by the mentee and a stranger: a notice, nothing sent, nothing changed.
    otto = e2e.client(OTTO, first_name="Otto")
    await otto.send("/start")
    for intruder in (ana, otto):
        e2e.stub.press_button(intruder.user_id, intruder.last_message["message_id"],
                              scheduling_data("help", f"reply:{request['id']}"), strict=False)
        await e2e.settle()
    assert ana.callback_answers[-1] == say("en", "common.notes.stale_button")
    assert otto.callback_answers[-1] == say("en", "common.notes.stale_button")
    assert len(ana.texts) == ana_seen

    # The pairing ends: Ben's old button to open Ana shows nothing of her any more.
    await ben.send("/mentees")
    assert ben.last_buttons == ["Ana"]
    mentees_message = ben.last_message["message_id"]
    await ana.send("/settings")
    await ana.click(say("en", "mentors.pairing.end_button", name="Ben"))
    await ana.click(say("en", "mentors.pairing.end_yes"))
    await e2e.settle()
    assert ben.last_text == say("de", "mentors.pairing.ended_other", name="Ana", as_mentor=True)
    [pairing] = await e2e.rows(PAIRINGS)
    e2e.stub.press_button(BEN, mentees_message, mentee_data(pairing["id"]))
    await e2e.settle()
    assert ben.last_text == say("de", "mentor_view.not_yours")
    assert all(SECRET not in text for text in ben.texts)
    assert all(SECRET not in (m.get("caption") or "") for m in e2e.stub.sent_messages
               if m["chat_id"] == BEN)
