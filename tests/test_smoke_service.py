"""A first walk through the service on both databases."""

from __future__ import annotations

from tests.support.chat import Chat


async def test_start_offers_first_dialog_and_agreement_runs(chat: Chat) -> None:
    response = await chat.send("/start")
    assert "private" in chat.texts(response)
    await chat.press("Start")
    assert chat.buttons == [] or chat.last.free_text
    await chat.send("To grow into a team lead role")
    assert "success" in chat.last_text.lower()
