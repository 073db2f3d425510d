"""The help contacts follow newly typed words only: a list whose item had them when it was typed
does not get them again when another item is added or taken out, nor do the answers that go
through a list's items (a pick of them, a date per item), nor an earlier answer kept with one tap
or a typed "keep" in a rerun; a new item with such words does, and so does an answer typed anew."""

from __future__ import annotations

import pytest

from bot.terminal import to_plain
from dialogs.registry import default_scripts
from service.conversation import ConversationService
from service.messages import Response
from service.programmes.safety import typed_now
from storage.answers import answers_of
from tests.support.chat import Chat, shown
from tests.support.clock import FakeClock
from tests.test_mentee_method import swapped, walk_transcript
from tests.test_safety import CRISIS_DE, CRISIS_EN
from tests.test_transcripts import CATALOG, localize, transcript, user_of

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


@pytest.mark.parametrize("lang", ["en", "de"])
@pytest.mark.parametrize("how", ["button", "typed"])
async def test_an_earlier_answer_kept_in_a_rerun_gets_no_help_contacts_again(
    service: ConversationService, chat: Chat, clock: FakeClock, lang: str, how: str
) -> None:
    """The agreement's purpose held a crisis phrase when it was typed; rerunning the agreement and
    keeping it with one tap (or a typed "keep") brings no help message, typing it anew does."""
    turns = transcript("agreement")["turns"]
    purpose = next(turn["send"] for turn in turns if turn.get("expect_step") == "success")
    await walk_transcript(service, chat, "agreement", lang,
                          swapped(turns, purpose, {"en": CRISIS_EN, "de": CRISIS_DE}))
    clock.advance(days=30)
    asked = await chat.send("/agreement")
    assert CRISIS[lang] in chat.texts(asked)  # the earlier answer, shown to keep
    keep = CATALOG.render(lang, "common.buttons.keep")
    kept = await (chat.press(keep) if how == "button"
                  else chat.send(localize({"en": "keep", "de": "behalten"}, lang)))
    assert shown(lang, "agreement.steps.success.text") in chat.texts(kept)  # moved on
    assert not signposted(kept, lang)
    await chat.send("/back")
    assert signposted(await chat.send(CRISIS[lang]), lang)  # typed anew: help again


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_an_earlier_answer_skipped_past_in_a_rerun_gets_no_help_contacts_again(
    service: ConversationService, chat: Chat, clock: FakeClock, lang: str
) -> None:
    """An optional answer that held a crisis phrase is kept by a /skip in the rerun: no help
    message for it again."""
    turns = [dict(turn) for turn in transcript("agreement")["turns"]]
    at = next(n for n, turn in enumerate(turns) if turn.get("expect_step") == "mentor_sees")
    turns[at]["send"] = {"en": CRISIS_EN, "de": CRISIS_DE}  # confidentiality, answered this time
    await walk_transcript(service, chat, "agreement", lang, turns)
    clock.advance(days=30)
    await chat.send("/agreement")
    keep = CATALOG.render(lang, "common.buttons.keep")
    while shown(lang, "agreement.steps.confidentiality.text") not in chat.last_text:
        await chat.press(keep)
    skipped = await chat.send("/skip")
    assert shown(lang, "agreement.steps.mentor_sees.text") in chat.texts(skipped)
    assert not signposted(skipped, lang)


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
