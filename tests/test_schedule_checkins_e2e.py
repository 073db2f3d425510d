"""Check-ins end to end: the real Application with its JobQueue ticking the dispatcher, polling
the Bot API stub. A mentee sets `/checkins daily HH:MM`, the test's clock reaches that time, the
invitation arrives, Start runs the check-in about their action step, and the answers are saved."""

from __future__ import annotations

from datetime import date

import pytest

from tests.support.chat import Chat
from tests.telegram.harness import ACTIONS, E2E, say
from tests.test_schedule_checkins import add_goal, at, set_stage


@pytest.mark.parametrize("e2e", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
async def test_a_daily_check_in_arrives_and_runs_about_the_step(e2e: E2E) -> None:
    await e2e.stop()
    await e2e.start(dispatch_every=0.05)
    client = e2e.client()
    await client.send("/settings timezone Europe/Berlin")
    chat = Chat(e2e.service, client.user_id)
    await set_stage(chat, "maturing")
    await add_goal(chat, [("Buy running shoes", date(2026, 11, 21))])

    replies = await client.send("/checkins daily 18:30")
    assert "I'll check in with you every day at 18:30" in replies[0]

    invitation = say("en", "checkins.invite.maturing", name="Ana")
    e2e.clock.now = at("Europe/Berlin", date(2026, 11, 21), 18, 30)
    await e2e.stub.wait_for(lambda: invitation in client.texts, what="the check-in invitation")
    assert client.last_buttons == ["Start", "Later", "Skip this time"]

    await client.click("Start")
    assert "Buy running shoes\nHow is this step going?" in client.last_text
    await client.click("Done")
    await client.send("My running group")
    await client.send("Rainy weather")
    await client.click("8")
    await client.send("/skip")
    await client.send("/skip")
    await client.click("Looks good")

    assert [row["status"] for row in await e2e.rows(ACTIONS)] == ["done"]
    answers = await e2e.answers(client.user_id, "checkin")
    assert answers["helped"] == "My running group"
    assert answers["in_the_way"] == "Rainy weather"
    assert sum(text.startswith(invitation) for text in client.texts) == 1  # sent once
