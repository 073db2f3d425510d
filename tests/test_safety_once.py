"""The help contacts follow newly typed words only: a list whose item had them when it was typed
does not get them again when another item is added or taken out, nor do the answers that go
through a list's items (a pick of them, a date per item); a new item with such words does."""

from __future__ import annotations

import pytest

from bot.terminal import to_plain
from dialogs.registry import default_scripts
from service.conversation import ConversationService
from service.messages import Response
from service.programmes.safety import typed_now
from storage.answers import answers_of
from tests.support.chat import Chat, shown
from tests.test_safety import CRISIS_DE, CRISIS_EN
from tests.test_transcripts import user_of

CRISIS = {"en": CRISIS_EN, "de": CRISIS_DE}
REMOVE = {"en": "remove 2", "de": "2 löschen"}
EVERYDAY = {"en": "Salary talk", "de": "Gehaltsgespräch"}


def signposted(response: Response, lang: str) -> bool:
    """Whether the response holds the help contacts (in the mentee's language)."""
    opening = shown(lang, "safety.signpost", contacts="").split("\n")[0]
    assert opening
    return any(opening in to_plain(message.text) for message in response.messages)


async def topics(service: ConversationService, chat: Chat) -> object:
    user = await user_of(service, chat)
    async with service.sessionmaker.begin() as session:
        return {a.step_key: a.value for a in await answers_of(session, user.id)}.get("topics")


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_list_gets_the_help_contacts_once_for_its_item_and_again_for_a_new_one(
    service: ConversationService, chat: Chat, lang: str
) -> None:
    chat.language = lang
    await chat.send("/agenda")
    assert signposted(await chat.send(CRISIS[lang]), lang)
    assert not signposted(await chat.send(EVERYDAY[lang]), lang)  # the list saved again
    removed = await chat.send(REMOVE[lang])
    assert not signposted(removed, lang)
    assert shown(lang, "common.notes.list_removed", value=[EVERYDAY[lang]]) in chat.texts(removed)
    assert await topics(service, chat) == [CRISIS[lang]]  # saved as before
    assert signposted(await chat.send(CRISIS[lang]), lang)  # typed anew: help again
    assert await topics(service, chat) == [CRISIS[lang], CRISIS[lang]]


def test_only_the_words_typed_now_are_checked() -> None:
    grow = default_scripts().get("grow")
    options = {"options": ["I can't go on", "Ask my boss"]}
    assert typed_now(grow, options, {"options": ["I can't go on"]}) == []  # one taken out
    assert typed_now(grow, options, {"options": [*options["options"], "new"]}) == ["new"]
    assert typed_now(grow, options, {"chosen_options": ["I can't go on"]}) == []  # a pick
    assert typed_now(grow, options, {"chosen_options": ["typed"]}) == ["typed"]  # a new item
    actions = {"actions": ["I can't go on"]}
    dates = {"action_dates": [{"ref": 0, "item": "I can't go on", "value": "2030-01-01"}]}
    assert typed_now(grow, actions, dates) == ["2030-01-01"]  # the item's date, not the item
    assert typed_now(grow, {"purpose": "old"}, {"purpose": "new"}) == ["new"]
    assert typed_now(grow, {"purpose": "same"}, {"purpose": "same"}) == ["same"]  # typed again
