"""/answers after /goals changed a step: the answers stay as written, and the run says the steps
were changed since, showing them as they are now (en, de); unchanged steps add nothing."""

from __future__ import annotations

import pytest

from service.conversation import ConversationService
from storage.answers import save_answers
from storage.goals import GoalRecord, goals_of
from storage.runs import get_run
from storage.users import get_user
from storage.vocabulary import Visibility
from tests.support.chat import Chat, shown
from tests.test_goals import COURSE, TALK, a_goal, open_step


async def grow_answers(service: ConversationService, chat: Chat) -> None:
    """The GROW answers the goal of `a_goal` came from: two steps, the first due 4 December."""
    [goal] = await goals_of_chat(service, chat)
    async with service.sessionmaker.begin() as session:
        run = await get_run(session, goal.run_id or 0)
        assert run is not None
        await save_answers(session, run, {
            "goal_specific": "Lead a team", "actions": [TALK, COURSE],
            "action_dates": [{"ref": 0, "value": "2026-12-04"}]},
            now=service.clock(), visibility=Visibility.PRIVATE)


async def goals_of_chat(service: ConversationService, chat: Chat) -> list[GoalRecord]:
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, chat.user_id)
        assert user is not None
        return await goals_of(session, user.id)


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_answers_say_a_step_changed_in_goals(service: ConversationService, lang: str) -> None:
    chat = Chat(service, language=lang)
    await a_goal(service, chat)
    await grow_answers(service, chat)
    before = chat.texts(await chat.send("/answers"))
    changed = shown(lang, "common.answers.steps_now", title="Lead a team")
    assert changed not in before  # as answered: nothing to say
    await open_step(chat, 1)
    await chat.press(shown(lang, "common.goals.buttons.edit_date"))
    await chat.send("11.12.2026")
    after = chat.texts(await chat.send("/answers"))
    assert changed in after
    now = after.split(changed)[1]
    assert TALK in now
    assert shown(lang, "common.goals.action", text=TALK, due="2026-12-11",
                 marker=shown(lang, "common.goals.markers.open")) in now
