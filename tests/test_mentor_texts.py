"""Every text a mentor sees is a mentor's text, in en and de: the journey's stages, the offer
to move on once a stage is done, /goals with none, and the descriptions in /help (their /story
is their own path, their /pause holds digests, not check-ins)."""

from __future__ import annotations

import pytest

from service.conversation import ConversationService
from tests.support.chat import Chat, shown
from tests.support.mentoring import make_mentor, saved_run

MENTEE_WORDS = {
    "en": ("When you and your mentor are ready", "telling your story and choosing your goals",
           "/grow or /vision", "Your story so far", "from check-ins", "New answers shared with",
           "No mentor is linked", "Share new answers", "send check-ins"),
    "de": ("Wenn du und deine Mentorin oder dein Mentor", "deine Geschichte erzählen",
           "Mit /grow oder /vision", "Deine bisherige Geschichte", "von den Check-ins",
           "Neue Antworten mit", "Noch ist hier niemand", "keine Check-ins"),
}


async def mentor_chat(service: ConversationService, lang: str) -> Chat:
    mentor = Chat(service, 2001, language=lang)
    await make_mentor(mentor)
    return mentor


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_mentor_hears_no_mentee_text(service: ConversationService, lang: str) -> None:
    mentor = await mentor_chat(service, lang)
    await saved_run(mentor, "mentor_story", {"experiences": "years abroad"}, shared=False,
                    stage="initiation")
    seen = [mentor.texts(await mentor.send(command))
            for command in ("/start", "/journey", "/goals", "/help", "/settings", "/pause")]
    seen.append(" ".join(button.label for button in mentor.buttons))  # /pause's, then /settings'
    await mentor.send("/settings")
    seen.append(" ".join(button.label for button in mentor.buttons))
    text = "\n".join(seen)
    for words in MENTEE_WORDS[lang]:
        assert words not in text, words
    name = shown(lang, "common.stages.initiation.name")
    assert shown(lang, "common.service.stage_done_mentor", stage=name) in seen[0]
    assert shown(lang, "common.stages.establishing.about_mentor") in seen[1]
    assert seen[2] == shown(lang, "common.goals.none_mentor")
    assert f"/story: {shown(lang, 'common.mentor_commands.story')}" in seen[3]
    assert f"/pause: {shown(lang, 'common.mentor_commands.pause')}" in seen[3]


async def test_a_mentee_keeps_the_mentee_texts(chat: Chat) -> None:
    text = "\n".join([chat.texts(await chat.send(command))
                      for command in ("/help", "/goals", "/settings", "/pause")])
    assert "/story: Your story so far" in text
    assert "/grow or /vision" in text
    assert "New answers shared with your mentor" in text
    assert "I won't send check-ins or reminders" in text


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_the_mentors_check_in_has_one_scale_per_question(service: ConversationService,
                                                                lang: str) -> None:
    mentor = await mentor_chat(service, lang)
    first = mentor.texts(await mentor.send("/checkin"))
    second = mentor.texts(await mentor.press("3"))
    for text, step in ((first, "capacity"), (second, "relationship")):
        assert shown(lang, f"mentor_checkin.steps.{step}.scale", scale_min=1, scale_max=5) in text
        assert shown(lang, "common.ask.scale_hint", scale_min=1, scale_max=5) not in text
        assert "(1:" not in text


async def test_other_scales_keep_the_general_words(chat: Chat) -> None:
    text = chat.texts(await chat.send("/checkin"))
    while "confidence" not in text and "confident" not in text:
        text = chat.texts(await chat.send("fine"))
    assert shown("en", "common.ask.scale_hint", scale_min=1, scale_max=10) in text
