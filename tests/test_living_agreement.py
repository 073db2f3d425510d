"""The agreement is a living document: a revision starts from the earlier answers, each kept with
one tap, and the agreement's own answers follow the sharing choice made in it."""

from __future__ import annotations

import pytest

from service.conversation import ConversationService
from storage.answers import answers_of
from storage.runs import runs_of
from storage.vocabulary import Visibility
from tests.support.chat import Chat
from tests.support.clock import FakeClock
from tests.test_mentee_method import swapped, walk_transcript
from tests.test_transcripts import (
    CATALOG,
    LANGUAGES,
    SQLITE_ONLY,
    localize,
    transcript,
    user_of,
    walk,
)

REVISING = {"en": "earlier answer", "de": "frühere Antwort"}


async def agreement_runs(service: ConversationService, chat: Chat) -> list[dict[str, object]]:
    """Each agreement run's saved answers, oldest run first."""
    user = await user_of(service, chat)
    async with service.sessionmaker.begin() as session:
        runs = [run.id for run in await runs_of(session, user.id) if run.dialog == "agreement"]
        answers = await answers_of(session, user.id)
    return [{a.step_key: a.value for a in answers if a.run_id == run} for run in runs]


@SQLITE_ONLY
@pytest.mark.parametrize("lang", LANGUAGES)
async def test_a_revision_shows_each_earlier_answer_and_keeps_it_with_one_tap(
    service: ConversationService, chat: Chat, clock: FakeClock, lang: str
) -> None:
    data = await walk_transcript(service, chat, "agreement", lang)
    clock.advance(days=30)
    first = chat.texts(await chat.send("/agreement"))
    assert localize(data["answers"]["purpose"], lang) in first
    keep, skip = (CATALOG.render(lang, f"common.buttons.{b}") for b in ("keep", "skip"))
    summary = CATALOG.render(lang, "common.summary.header",
                             title=CATALOG.render(lang, "agreement.title")).split("\n")[1]
    for _ in range(20):
        labels = [button.label for button in chat.buttons]
        if summary in chat.last_text:
            break
        if keep in labels:
            await chat.press(keep)
        else:  # confidentiality was skipped the first time: nothing to keep
            assert skip in labels, chat.last_text
            await chat.press(skip)
    assert summary in chat.last_text
    await chat.press(CATALOG.render(lang, "common.buttons.confirm"))
    before, after = await agreement_runs(service, chat)
    assert after == before == localize(data["answers"], lang)


@SQLITE_ONLY
@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(("choice", "visibility"), [("share", Visibility.SHARED),
                                                    ("private", Visibility.PRIVATE)])
async def test_the_agreements_own_answers_follow_the_sharing_choice_made_in_it(
    service: ConversationService, chat: Chat, lang: str, choice: str, visibility: Visibility
) -> None:
    data = transcript("agreement")
    turns = data["turns"]
    if choice == "private":  # the transcript shares (typed yes-word); here the mentee says no
        turns = swapped(turns, {"en": "sure", "de": "ja"}, {"en": "no", "de": "nein"})
    await walk_transcript(service, chat, "agreement", lang, turns)
    user = await user_of(service, chat)
    async with service.sessionmaker.begin() as session:
        answers = await answers_of(session, user.id)
    assert answers
    assert {a.step_key: a.visibility for a in answers} == dict.fromkeys(
        (a.step_key for a in answers), visibility)
    assert answers[0].value == localize(data["answers"]["purpose"], lang)  # still in their order


MENTOR_TO_JOIN = {"en": "once your mentor joins", "de": "sobald deine Mentorin oder dein Mentor dazukommt"}


@SQLITE_ONLY
@pytest.mark.parametrize("lang", LANGUAGES)
async def test_sharing_speaks_of_a_mentor_who_has_yet_to_join(
    service: ConversationService, chat: Chat, lang: str
) -> None:
    """No mentor is linked yet (pairings come later): every text about sharing says what will be
    shared once the mentor joins, never that a mentor sees it now."""
    joins = MENTOR_TO_JOIN[lang]
    chat.language = lang
    await chat.send("/start")  # a newcomer: mentee or mentor?
    said = {"welcome": chat.texts(await chat.press(0))}
    turns = transcript("agreement")["turns"]
    sharing = next(n for n, turn in enumerate(turns) if turn.get("expect_step") == "mentor_sees")
    await walk_transcript(service, chat, "agreement", lang, turns[:sharing + 1])
    said["the agreement's question"] = chat.last_text
    await walk(service, chat, "agreement", lang, turns[sharing + 1:])
    said["the agreement's closing words"] = chat.texts(chat.log[-1])
    said["/settings"] = chat.texts(await chat.send("/settings"))
    await chat.send("/settings share off")
    said["sharing on"] = chat.texts(await chat.send("/settings share on"))
    for where, text in said.items():
        assert joins.casefold() in text.casefold(), f"{where}: {text}"
