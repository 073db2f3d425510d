"""What a mentee sees outside the dialogs: journey, goals, answers, and reminders mid-dialog."""

from __future__ import annotations

from service.conversation import ConversationService
from tests.support.chat import Chat


async def test_a_look_up_mid_dialog_says_the_dialog_is_still_open(chat: Chat) -> None:
    await chat.send("/agreement")
    response = await chat.send("/journey")
    assert "Your mentoring journey" in chat.texts(response)
    assert "is still open" in chat.last_text
    await chat.send("To grow into a team lead role")  # still answers the open question
    assert "success" in chat.last_text.lower()


async def test_journey_shows_stages_progress_and_moves_on_request(
    service: ConversationService,
) -> None:
    chat = Chat(service, user_id=55, language="de")
    response = await chat.send("/journey")
    text = chat.texts(response)
    for stage in ("Ankommen", "Richtung finden", "Vorankommen", "Zurückblicken"):
        assert stage in text
    assert "▶ Ankommen" in text
    await chat.press("Weiter zu")
    assert "Richtung finden" in chat.texts(chat.log[-1])
    response = await chat.send("/journey")
    assert "▶ Richtung finden" in chat.texts(response)
    await chat.press("Zurück zu")
    response = await chat.send("/journey")
    assert "▶ Ankommen" in chat.texts(response)


async def test_goals_and_answers_are_listed_after_a_vision_map(service: ConversationService) -> None:
    chat = Chat(service, user_id=56)
    assert "No goals yet" in chat.texts(await chat.send("/goals"))
    await chat.send("/vision")
    while "Here is what you wrote" not in chat.last_text:
        question = chat.last_text
        if "One per message" in question and "So far" in question:
            await chat.send("done")
        elif "/skip" in question:
            await chat.send("/skip")
        elif "date" in question.lower() or "when" in question.lower():
            await chat.send("in 3 weeks")
        else:
            await chat.send("Call Sam about the team lead role")
    await chat.send("yes")
    goals = chat.texts(await chat.send("/goals"))
    assert "Your goals" in goals
    assert "Call Sam about the team lead role" in goals
    answers = chat.texts(await chat.send("/answers"))
    assert "Finding direction" in answers
    assert "Call Sam about the team lead role" in answers
