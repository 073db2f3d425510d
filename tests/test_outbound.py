"""Messages addressed to a person who did not just write (a mentor's alert, a scheduled check-in):
delivered through the same per-person ordered path as that person's updates, by the real
Application against the Bot API stub."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bot.telegram.delivery import PersonWork
from service.conversation import ConversationService
from service.messages import Delivery
from tests.telegram.harness import E2E, say


def resume_offer(person_id: int, gate: asyncio.Event | None = None) -> PersonWork:
    """Work that, once `gate` opens, offers the person to continue their dialog."""

    async def produce(service: ConversationService) -> Sequence[Delivery]:
        if gate is not None:
            await gate.wait()
        delivery = await service.message_to(person_id, "common.service.resume_offer",
                                            title=service.catalog.render("de", "agreement.title"))
        return () if delivery is None else (delivery,)

    return PersonWork(person_id, produce)


async def test_work_for_a_person_waits_for_their_turn_and_does_not_hold_up_others(e2e: E2E) -> None:
    client = e2e.client(lang="de")
    other = e2e.client(5151, first_name="Ben")
    await client.send("/agreement")
    await other.send("/agreement")
    gate = asyncio.Event()

    mark = len(e2e.stub.sent_messages)
    await e2e.bot.app.update_queue.put(resume_offer(client.user_id, gate))
    e2e.stub.user_message(client.user_id, "Mehr Klarheit im Beruf", **client._who())
    e2e.stub.user_message(other.user_id, "Ben's purpose", **other._who())
    try:
        await e2e.stub.wait_for(
            lambda: any(m["chat_id"] == other.user_id and "success" in m["text"].lower()
                        for m in e2e.stub.sent_messages[mark:]), what="the other user's reply")
        assert await e2e.answers(other.user_id) == {"purpose": "Ben's purpose"}
        assert await e2e.answers(client.user_id) == {}  # still behind the work in their turn
    finally:
        gate.set()
    await e2e.settle()
    assert await e2e.answers(client.user_id) == {"purpose": "Mehr Klarheit im Beruf"}
    texts = [m["text"] for m in e2e.stub.sent_messages if m["chat_id"] == client.user_id]
    offer = say("de", "common.service.resume_offer", title=say("de", "agreement.title"))
    assert texts[-2] == offer  # in the person's language, before the reply to their answer
    assert "Erfolg" in texts[-1]
    assert e2e.errors == []


async def test_work_for_a_person_who_blocked_the_bot_marks_them_unreachable(e2e: E2E) -> None:
    client = e2e.client()
    await client.send("/start")
    e2e.stub.block_user(client.user_id)

    await e2e.bot.app.update_queue.put(resume_offer(client.user_id))
    await e2e.settle()
    user = await e2e.user(client.user_id)
    assert user is not None
    assert user["active"] is False
    assert e2e.errors == []

    # Nothing more is sent to them until they write again.
    attempts = len(e2e.stub.calls_of("sendMessage"))
    await e2e.bot.app.update_queue.put(resume_offer(client.user_id))
    await e2e.settle()
    assert len(e2e.stub.calls_of("sendMessage")) == attempts
    assert e2e.errors == []
