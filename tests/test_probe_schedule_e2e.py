"""Check-ins and a cohort broadcast as people break them, end to end: the real Application with
its JobQueue ticking the dispatcher, polling the Bot API stub, the test's clock moved by hand.
Later tapped twice on one invitation brings it back once; forged button data (another person's
item, a huge id, a bad op) is answered as a stale button and changes nothing; a member who moved
to New York after the cohort check-in was planned gets it at New York's 18:00, once."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest

from service.programmes.broadcasts import parse_at, schedule_broadcast
from storage.rows import ITEMS
from tests.support.cohort import member, programme
from tests.telegram.client import ChatClient
from tests.telegram.harness import E2E, say
from tests.test_schedule_checkins import at

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
MONDAY = date(2026, 11, 23)


async def ticking(e2e: E2E) -> None:
    """The bot restarted with a dispatcher that ticks every 50 ms."""
    await e2e.stop()
    await e2e.start(dispatch_every=0.05)


async def quiet_ticks(e2e: E2E) -> None:
    """Several dispatcher ticks pass (for asserting that nothing more arrives)."""
    await asyncio.sleep(0.4)
    await e2e.settle()


def count(client: ChatClient, text: str) -> int:
    return sum(seen.startswith(text) for seen in client.texts)


async def invited(e2e: E2E, client: ChatClient) -> str:
    """A Berlin mentee with a Monday 10:00 rhythm, invited; the invitation's text."""
    await client.send("/settings timezone Europe/Berlin")
    await client.send("/checkins mon 10:00")
    invitation = say("en", "checkins.invite.initiation", name=client.first_name)
    e2e.clock.now = at("Europe/Berlin", MONDAY, 10)
    await e2e.stub.wait_for(lambda: invitation in client.texts, what="the invitation")
    assert client.last_buttons == ["Start", "Later", "Skip this time"]
    return invitation


@pytest.mark.parametrize("e2e", BACKENDS, indirect=True)
async def test_later_tapped_twice_brings_the_invitation_back_once(e2e: E2E) -> None:
    await ticking(e2e)
    client = e2e.client()
    invitation = await invited(e2e, client)
    shown = client.last_message
    [later] = [b["callback_data"] for row in shown["reply_markup"]["inline_keyboard"] for b in row
               if b["text"] == "Later"]
    for _ in range(2):  # a double tap: both presses reach the bot before it edits the keyboard
        e2e.stub.press_button(client.user_id, shown["message_id"], later, strict=False)
    await client.settle()
    assert sum("today at 13:00" in text for text in client.texts) == 2
    e2e.clock.now = at("Europe/Berlin", MONDAY, 13)
    await e2e.stub.wait_for(lambda: count(client, invitation) == 2, what="the invitation again")
    await quiet_ticks(e2e)
    assert count(client, invitation) == 2
    assert client.last_buttons == ["Start", "Later", "Skip this time"]  # one Later is left


@pytest.mark.parametrize("e2e", BACKENDS, indirect=True)
async def test_forged_item_buttons_are_stale_and_change_nothing(e2e: E2E) -> None:
    await ticking(e2e)
    ana, ben = e2e.client(4242, first_name="Ana"), e2e.client(4343, first_name="Ben")
    await ben.send("/start")
    await invited(e2e, ana)
    [invitation] = [row for row in await e2e.rows(ITEMS) if row["kind"] == "checkin"
                    and row["status"] == "sent"]
    stale = say("en", "common.notes.stale_button")
    ben_message = ben.last_message["message_id"]
    for data in (f"sc:{invitation['id']}:skip", f"sc:{invitation['id']}:start",
                 "sc:999999999999:start", f"sc:{2**31}:later", f"sc:{invitation['id']}:explode"):
        sent_before = len(e2e.stub.sent_messages)
        e2e.stub.press_button(ben.user_id, ben_message, data, strict=False)
        await ben.settle()
        assert len(e2e.stub.sent_messages) == sent_before, data
        assert ben.callback_answers[-1] == stale, data
    [still] = [row for row in await e2e.rows(ITEMS) if row["id"] == invitation["id"]]
    assert still["status"] == "sent"
    assert "started" not in (still["payload"] or {})
    replies = await ana.click("Skip this time")  # still Ana's to answer
    assert replies == [say("en", "checkins.skipped")]


@pytest.mark.parametrize("e2e", BACKENDS, indirect=True)
async def test_a_member_who_moved_gets_the_cohort_check_in_at_the_new_1800(e2e: E2E) -> None:
    await ticking(e2e)
    service = e2e.service
    cohort = await programme(service)
    await member(service, 4242, "Ana", "Europe/Berlin", cohort.id)
    local_at = parse_at("2026-11-23 18:00")
    assert local_at is not None
    async with service.sessionmaker.begin() as session:
        await schedule_broadcast(session, cohort, service.scripts.get("checkin"),
                                 local_at, created_by=None,
                                 policy=service.content.policy, now=e2e.clock(),
                                 audience="mentees")
    client = e2e.client()
    await client.send("/settings timezone America/New_York")
    before = len(client.texts)
    e2e.clock.now = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # Berlin's 18:00
    await quiet_ticks(e2e)
    assert len(client.texts) == before
    e2e.clock.now = datetime(2026, 11, 23, 23, 0, tzinfo=UTC)  # New York's 18:00
    await e2e.stub.wait_for(lambda: any("Spring cohort" in text for text in client.texts),
                            what="the cohort check-in")
    e2e.clock.now += timedelta(minutes=30)
    await quiet_ticks(e2e)
    assert sum("Spring cohort" in text for text in client.texts) == 1
