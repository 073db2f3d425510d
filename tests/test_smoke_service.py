"""A first walk through the service on both databases."""

from __future__ import annotations

from prompts.catalog import default_catalog
from tests.support.chat import Chat


async def test_start_offers_first_dialog_and_agreement_runs(chat: Chat) -> None:
    await chat.send("/start")  # a newcomer: mentee or mentor?
    response = await chat.press("mentee")
    assert "private" in chat.texts(response)
    response = await chat.press("Start")
    # The agreement's intro, then its first question (purpose): typed, with no buttons at all.
    say = default_catalog().render
    intro, purpose = response.messages
    assert intro.text == say("en", "agreement.intro", name="Ana")
    assert purpose.text == say("en", "agreement.steps.purpose.text")
    assert purpose.free_text
    assert purpose.buttons == ()
    await chat.send("To grow into a team lead role")
    assert "success" in chat.last_text.lower()
