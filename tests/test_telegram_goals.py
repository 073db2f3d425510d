"""Goals changed in Telegram (issue 8, item 9): the real Application against the Bot API stub. Every
press gets a visible reply, a step's new wording is the next message, and a stale or forged press
gets its notice and changes nothing."""

from __future__ import annotations

import pytest

from tests.support.chat import Chat
from tests.telegram.harness import ACTIONS, E2E, GOALS, say
from tests.test_goals import COURSE, TALK, a_goal
from tests.test_telegram_e2e import LANGS_AND_DATABASES


@pytest.mark.parametrize(("lang", "e2e"), LANGS_AND_DATABASES, indirect=["e2e"])
async def test_a_mentee_rewords_a_step_and_marks_the_goal_reached_in_telegram(
    e2e: E2E, lang: str
) -> None:
    client = e2e.client(lang=lang)
    goal_id = (await a_goal(e2e.service, Chat(e2e.service, client.user_id, lang))).id
    await client.send("/goals")
    assert client.last_buttons == ["1. Lead a team"]

    [goal] = await client.click("1. Lead a team")
    assert f"1. ○ {TALK}" in goal
    [step] = await client.click(0)
    assert TALK in step
    [asked] = await client.click(say(lang, "common.goals.buttons.edit_text"))
    assert asked == say(lang, "common.goals.ask_text", text=TALK)

    [saved] = await client.send("Ask Sam on Monday")
    assert saved.startswith(say(lang, "common.goals.text_saved", text="Ask Sam on Monday"))
    actions = await e2e.rows(ACTIONS, goal_id=goal_id)
    assert [a["text"] for a in actions] == ["Ask Sam on Monday", COURSE]

    goal_message = client.last_message
    reached = next(b["callback_data"] for row in goal_message["reply_markup"]["inline_keyboard"]
                   for b in row if b["text"] == say(lang, "common.goals.buttons.achieved"))
    [marked] = await client.click(say(lang, "common.goals.buttons.achieved"))
    assert marked.startswith(say(lang, "common.goals.goal_marked.achieved"))
    assert [g["status"] for g in await e2e.rows(GOALS)] == ["achieved"]
    assert client.callback_answers[-1] is None  # the press counted: no notice needed

    before = await e2e.snapshot()
    sent_mark = len(e2e.stub.sent_messages)
    e2e.stub.press_button(client.user_id, goal_message["message_id"], reached, strict=False)
    e2e.stub.press_button(client.user_id, goal_message["message_id"], f"go:{goal_id + 1}:dropped",
                          strict=False)
    e2e.stub.press_button(client.user_id, goal_message["message_id"], "as:2147483648:done",
                          strict=False)
    await e2e.settle()
    assert client.callback_answers[-3:] == [say(lang, "common.notes.stale_button")] * 3
    assert e2e.stub.sent_messages[sent_mark:] == []
    assert await e2e.snapshot() == before
