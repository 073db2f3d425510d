"""What the coaching method asks of a mentee's dialogs beyond one transcript: the GROW closing
words, the check-in note raised at the next meeting, the reflection's timing, and the German."""

from __future__ import annotations

import pytest

from dialogs.registry import default_scripts
from service.conversation import ConversationService
from tests.support.chat import Chat
from tests.test_transcripts import LANGUAGES, SQLITE_ONLY, localize, set_up, transcript, walk

CHECKPOINT = {"en": "5 December 2026", "de": "5. Dezember 2026"}


@SQLITE_ONLY
@pytest.mark.parametrize("lang", LANGUAGES)
async def test_grow_closes_with_the_first_step_and_the_checkpoint(
    service: ConversationService, chat: Chat, lang: str
) -> None:
    data = transcript("grow")
    await set_up(service, chat, data, lang)
    await walk(service, chat, "grow", lang, data["turns"])
    done = chat.texts(chat.log[-1])
    first_step = localize(data["answers"]["actions"][0], lang)
    assert f": {first_step}\n" in done, done
    assert CHECKPOINT[lang] in done, done


@SQLITE_ONLY
@pytest.mark.parametrize("lang", LANGUAGES)
async def test_the_vision_map_quotes_what_the_story_said_the_mentee_is_proud_of(
    service: ConversationService, chat: Chat, lang: str
) -> None:
    await set_up(service, chat, {}, lang)
    first = chat.texts(await chat.send("/vision"))
    assert {"en": "make you proud", "de": "bist du stolz"}[lang] in first  # no story yet: asked here
    await chat.send("/cancel")
    story = transcript("story")
    await walk(service, chat, "story", lang, story["turns"])
    proud = localize(story["answers"]["proud"], lang)
    first = chat.texts(await chat.send("/vision"))
    assert proud in first
    assert {"en": "make you proud", "de": "bist du stolz"}[lang] not in first
    assert "proud" not in {step.key for step in default_scripts().get("vision").steps}
