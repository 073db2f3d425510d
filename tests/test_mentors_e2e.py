"""Digests and help alerts end to end: the real Application with its JobQueue ticking the
dispatcher, polling the Bot API stub. A paired mentee completes one check-in privately and one
shared; the digest arrives at the mentor's time (the test's clock moved) with the shared answers
and nothing private; /askmentor reaches the mentor at once and the reply reaches the mentee."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.support.chat import Chat
from tests.support.mentoring import pair
from tests.telegram.client import ChatClient
from tests.telegram.harness import E2E

FRIDAY_16 = datetime(2026, 11, 27, 16, tzinfo=UTC)  # the default digest (the mentor's zone: UTC)


async def checkin(client: ChatClient, helped: str, confidence: str) -> None:
    """A whole check-in over Telegram (no open action steps)."""
    await client.send("/checkin")
    await client.send(helped)
    await client.send("Rainy weather")
    await client.click(confidence)
    await client.send("/skip")
    await client.send("Pacing, please")
    await client.click("No")
    await client.click("Looks good")


@pytest.mark.parametrize("e2e", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
async def test_shared_check_in_reaches_the_digest_and_help_goes_both_ways(e2e: E2E) -> None:
    await e2e.stop()
    await e2e.start(dispatch_every=0.05)
    mentor = e2e.client(5001, first_name="Maria")
    mentee = e2e.client(4242, first_name="Ana")
    await mentor.send("/help")
    await mentee.send("/help")
    await pair(Chat(e2e.service, mentor.user_id), Chat(e2e.service, mentee.user_id))

    await checkin(mentee, "A PRIVATE thought", "6")
    await mentee.send("/settings share on")
    await checkin(mentee, "My running group", "7")

    e2e.clock.now = FRIDAY_16
    await e2e.stub.wait_for(lambda: any("Your digest" in text for text in mentor.texts),
                            what="the mentor's digest")
    digest = next(text for text in mentor.texts if "Your digest" in text)
    assert "Ana" in digest
    assert "My running group" in digest
    assert "Pacing, please" in digest
    assert "My confidence: 7" in digest
    assert all("PRIVATE" not in text for text in mentor.texts)

    await mentee.send("/askmentor Can we talk before Thursday?")
    await e2e.stub.wait_for(lambda: "Can we talk before Thursday?" in mentor.last_text,
                            what="the help alert")
    assert mentor.last_buttons == ["Reply"]
    await mentor.click("Reply")
    await mentor.send("Of course, call me tomorrow.")
    await e2e.stub.wait_for(lambda: "Of course, call me tomorrow." in mentee.last_text,
                            what="the mentor's reply")
    assert "Maria replied" in mentee.last_text
