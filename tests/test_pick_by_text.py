"""Picking items of an earlier list by typing them (GROW's chosen options) reads the text as typed
choices are read: accents, umlauts written out (ae/oe/ue), ß as ss, extra spaces and punctuation
do not matter. A part of an item's text still picks nothing."""

from __future__ import annotations

import pytest

from service.conversation import ConversationService
from storage.answers import answers_of
from tests.support.chat import Chat, shown
from tests.test_telegram_e2e import GROW_TEXTS
from tests.test_transcripts import user_of

OPTIONS = {"en": ["Café chat with Jürgen", "Ask my boss"],
           "de": ["Mit dem Chef über Weiterbildung sprechen", "Straßenfest besuchen"]}
# How people type them without the keyboard for it, and a part that is no item.
TYPED = {"en": ["cafe   CHAT with Juergen!", "ask my boss."],
         "de": ["mit dem chef ueber weiterbildung sprechen", "Strassenfest  besuchen!"]}
PART = {"en": "ask my", "de": "Strassenfest"}


async def reach_chosen_options(chat: Chat, lang: str) -> None:
    """/grow, answered up to the step that picks from the mentee's own options."""
    texts = GROW_TEXTS[lang]
    await chat.send("/grow")
    for key in ("goal_wish", "goal_specific", "goal_measurable", "goal_achievable",
                "goal_relevant", "goal_timebound", "reality_now", "reality_tried",
                "reality_missing"):
        await chat.send(texts[key])
    await chat.send("5")
    for option in OPTIONS[lang]:
        await chat.send(option)
    await chat.press(shown(lang, "common.buttons.done"))
    await chat.send(texts["obstacles"][0])
    await chat.press(shown(lang, "common.buttons.done"))
    await chat.send(texts["obstacles_gone"])
    await chat.send(texts["stop_doing"])
    assert shown(lang, "grow.steps.chosen_options.text") in chat.last_text


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_an_item_typed_without_accents_umlauts_or_ss_is_picked(
    service: ConversationService, chat: Chat, lang: str
) -> None:
    chat.language = lang
    await reach_chosen_options(chat, lang)
    not_a_choice = shown(lang, "common.problems.not_a_choice")

    first = chat.texts(await chat.send(TYPED[lang][0]))
    assert not_a_choice not in first
    assert f"1. {OPTIONS[lang][0]} ✓" in first, first
    assert f"2. {OPTIONS[lang][1]} ✓" not in first

    assert not_a_choice in chat.texts(await chat.send(PART[lang]))  # a part picks nothing

    last = chat.texts(await chat.send(TYPED[lang][1]))  # every item picked: the next step
    assert shown(lang, "grow.steps.actions.text", collected=[]) in last, last
    user = await user_of(service, chat)
    async with service.sessionmaker.begin() as session:
        saved = {a.step_key: a.value for a in await answers_of(session, user.id)}
    assert saved["chosen_options"] == OPTIONS[lang]
