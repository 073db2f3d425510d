"""The mentor's view and consent over the real Telegram path (Bot API stub): a paired mentee shares
a check-in, their mentor opens them; a forged press, a mentee's /mentees and another mentor's
request are refused politely, leak nothing and change nothing."""

from __future__ import annotations

from datetime import date

from service import callbacks
from storage.pairings import create_pairing
from storage.rows import ANSWERS, PAIRINGS
from storage.users import get_user, update_user
from storage.vocabulary import Role
from tests.telegram.client import ChatClient
from tests.telegram.harness import E2E, say


async def make_mentor(e2e: E2E, client: ChatClient) -> int:
    """The person is a mentor; their user id."""
    async with e2e.service.sessionmaker.begin() as session:
        user = await get_user(session, client.user_id)
        assert user is not None
        await update_user(session, user.id, e2e.clock(), role=Role.MENTOR)
        return user.id


async def paired(e2e: E2E, mentor: ChatClient, mentee: ChatClient) -> int:
    await mentor.send("/start")
    await mentee.send("/start")
    await mentee.send("/cancel")
    mentor_id = await make_mentor(e2e, mentor)
    async with e2e.service.sessionmaker.begin() as session:
        user = await get_user(session, mentee.user_id)
        assert user is not None
        pairing = await create_pairing(session, mentor_id, user.id, today=date(2026, 1, 5),
                                       ends_on=None, now=e2e.clock())
    return pairing.id


async def checkin(mentee: ChatClient, helped: str) -> None:
    await mentee.send("/checkin")
    for text in (helped, "Too many meetings", "6", "Finish the draft", "/skip", "yes"):
        await mentee.send(text)


async def test_a_shared_checkin_reaches_the_mentors_view_and_forgeries_are_refused(
    e2e: E2E,
) -> None:
    mentor = e2e.client(5001, first_name="Maria")
    mentee = e2e.client(5002, first_name="Ana")
    pairing = await paired(e2e, mentor, mentee)

    await checkin(mentee, "Shared progress")
    assert "Maria" in mentee.last_text
    await mentee.click("Share all of it")
    await checkin(mentee, "Private progress")
    await mentee.click("Keep it private")

    await mentor.send("/mentees")
    assert mentor.last_text.endswith("confidence 6")  # the private check-in's is not shown
    shown = "\n".join(await mentor.click("Ana"))
    assert "Shared progress" in shown
    assert "Private progress" not in shown

    before = (await e2e.rows(ANSWERS), await e2e.rows(PAIRINGS))
    refused = say("en", "mentor_view.not_yours")
    other = e2e.client(5003, first_name="Otto")
    await other.send("/start")
    await make_mentor(e2e, other)
    e2e.stub.press_button(other.user_id, other.last_message["message_id"],
                          callbacks.mentee_data(pairing), strict=False)
    await e2e.settle()
    assert other.last_text == refused
    assert await other.send(f"/mentees {pairing}") == [refused]
    assert await mentee.send("/mentees") == [say("en", "mentors.roles.not_yours", for_mentors=True)]
    e2e.stub.press_button(mentee.user_id, mentee.last_message["message_id"],
                          callbacks.mentee_data(pairing), strict=False)
    await e2e.settle()
    assert mentee.last_text == say("en", "mentor_view.only_mentors")
    everything = "\n".join(other.texts + mentee.texts[-2:])
    assert "Shared progress" not in everything
    assert (await e2e.rows(ANSWERS), await e2e.rows(PAIRINGS)) == before
