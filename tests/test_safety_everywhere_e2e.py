"""A step's new wording with a crisis phrase, in Telegram (the real Application against the Bot
API stub): the usual confirmation, then the help contacts; the wording saved as typed. Everyday
words get the confirmation alone."""

from __future__ import annotations

import pytest

from prompts.catalog import default_catalog
from tests.support.chat import Chat
from tests.telegram.harness import ACTIONS, E2E, say
from tests.test_goals import COURSE, a_goal
from tests.test_safety import CRISIS_DE, CRISIS_EN
from tests.test_telegram_e2e import LANGS_AND_DATABASES

CRISIS = {"en": f"Ask Sam on Monday. {CRISIS_EN}", "de": f"Sam fragen. {CRISIS_DE}"}


@pytest.mark.parametrize(("lang", "e2e"), LANGS_AND_DATABASES, indirect=["e2e"])
async def test_a_reworded_step_with_a_crisis_phrase_gets_the_help_contacts_in_telegram(
    e2e: E2E, lang: str
) -> None:
    client = e2e.client(lang=lang)
    goal_id = (await a_goal(e2e.service, Chat(e2e.service, client.user_id, lang))).id
    await client.send("/goals")
    await client.click("1. Lead a team")
    await client.click(0)
    await client.click(say(lang, "common.goals.buttons.edit_text"))

    saved, help_contacts = await client.send(CRISIS[lang])

    assert saved.startswith(say(lang, "common.goals.text_saved", text=CRISIS[lang]))
    contacts = default_catalog().render(lang, "safety.default_contacts")
    assert help_contacts == say(lang, "safety.signpost", contacts=contacts)
    actions = await e2e.rows(ACTIONS, goal_id=goal_id)
    assert [a["text"] for a in actions] == [CRISIS[lang], COURSE]

    await client.click(0)  # the goal's message keeps its buttons above the help contacts
    await client.click(say(lang, "common.goals.buttons.edit_text"))
    [calm] = await client.send("Ask Sam on Monday")  # everyday words: the confirmation alone
    assert calm.startswith(say(lang, "common.goals.text_saved", text="Ask Sam on Monday"))
