"""What the coaching method asks of a mentee's dialogs beyond one transcript: the GROW closing
words, the check-in note raised at the next meeting, the reflection's timing, and the German."""

from __future__ import annotations

import pytest

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
