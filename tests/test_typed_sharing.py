"""The sharing choice typed instead of tapped. The walk-through: after the vision map (shared by
default), after a check-in's "Choose answers" and after "Done" in /answers, typing "Privat
lassen" / "Keep private" got "I only keep answers inside a dialog…" and the answers stayed shared.
Now the buttons' words (and a few synonyms, in any language) choose; other text at the question
or the list gets a hint and the buttons again, and the answers stay as they were until a choice."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.terminal import to_plain
from service.conversation import ConversationService
from storage.goals import goals_of
from storage.runs import active_run
from storage.users import get_user
from storage.vocabulary import Visibility
from tests.support.chat import Chat, shown
from tests.support.clock import FakeClock
from tests.support.mentoring import one_pass, to
from tests.support.mentoring import pair as support_pair
from tests.test_consent import MENTEE_ID, checkin, pair, visibilities

KEEP_PRIVATE = {"en": "Keep private", "de": "Privat lassen"}
SHARE_ALL = {"en": "share all", "de": "Alles teilen"}
DONE = {"en": "done", "de": "fertig"}


@pytest.fixture
def mentor(service: ConversationService) -> Chat:
    return Chat(service, user_id=501, name="Maria Keller")


@pytest.fixture
def mentee(service: ConversationService) -> Chat:
    return Chat(service, user_id=MENTEE_ID, name="Ana")


async def vision(mentee: Chat, mark: str) -> None:
    """The vision dialog typed through; the last reply is its sharing question and its map."""
    lang = mentee.language
    await mentee.send("/vision")
    for text in (f"came{mark}", DONE[lang], f"present{mark}", "/skip", f"future{mark}",
                 f"obstacle{mark}", f"stepone{mark}", f"steptwo{mark}", DONE[lang], "1",
                 "2027-01-10", "/skip", {"en": "yes", "de": "ja"}[lang]):
        await mentee.send(text)


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_keep_private_typed_after_the_vision_map_keeps_it_private(
        service: ConversationService, mentor: Chat, mentee: Chat, lang: str) -> None:
    mentee.language = mentor.language = lang
    pairing = await pair(service, mentor, mentee, share_by_default=True)
    await vision(mentee, "vz")
    question, photo = mentee.log[-1].messages[-2:]
    assert photo.photo is not None
    assert shown(lang, "sharing.buttons.none", chosen=False) in [b.label for b in question.choices]
    assert set((await visibilities(service, MENTEE_ID, "vision")).values()) == {
        Visibility.SHARED}

    said = mentee.texts(await mentee.send(KEEP_PRIVATE[lang]))
    assert said.startswith(shown(lang, "sharing.settled", shared=0, total=8,
                                 title=shown(lang, "vision.title"), mentor="Maria"))
    assert shown(lang, "common.service.not_in_dialog") not in said
    assert set((await visibilities(service, MENTEE_ID, "vision")).values()) == {
        Visibility.PRIVATE}
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, MENTEE_ID)
        assert user is not None
        assert [g.visibility for g in await goals_of(session, user.id)] == [Visibility.PRIVATE]
    view = mentor.texts(await mentor.send(f"/mentees {pairing}"))
    assert "vz" not in view


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_the_choice_typed_in_the_list_of_answers_and_after_done(
        service: ConversationService, mentor: Chat, mentee: Chat, lang: str) -> None:
    mentee.language = lang
    await pair(service, mentor, mentee, share_by_default=True)
    await checkin(mentee, confidence=6)
    await mentee.press(shown(lang, "sharing.buttons.pick", chosen=False))
    await mentee.send(KEEP_PRIVATE[lang])  # the list's "Keep it private", typed
    assert set((await visibilities(service, MENTEE_ID, "checkin")).values()) == {
        Visibility.PRIVATE}

    await mentee.send("/answers")
    await mentee.press(shown(lang, "checkin.title"))
    await mentee.send("2")  # the second answer's button, typed: shared now
    assert mentee.last.choices[1].label == "2 👥"
    seen = await visibilities(service, MENTEE_ID, "checkin")
    assert seen.pop("in_the_way") is Visibility.SHARED
    assert set(seen.values()) == {Visibility.PRIVATE}
    said = mentee.texts(await mentee.send(DONE[lang]))
    assert said.startswith(shown(
        lang, "sharing.settled", shared=1, total=4, title=shown(lang, "checkin.title"),
        mentor="Maria"))

    await mentee.send(SHARE_ALL[lang])  # after "Done", the run's "share all", typed
    assert set((await visibilities(service, MENTEE_ID, "checkin")).values()) == {
        Visibility.SHARED}
    said = mentee.texts(await mentee.send(KEEP_PRIVATE[lang]))  # and "keep private" again
    assert set((await visibilities(service, MENTEE_ID, "checkin")).values()) == {
        Visibility.PRIVATE}
    assert shown(lang, "common.service.not_in_dialog") not in said


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_other_text_at_the_question_gets_a_hint_and_the_buttons_again(
        service: ConversationService, mentor: Chat, mentee: Chat, lang: str) -> None:
    mentee.language = lang
    await pair(service, mentor, mentee, share_by_default=True)
    await checkin(mentee, confidence=6)
    buttons = [b.label for b in mentee.last.choices]

    hint, question = (await mentee.send("hmm, maybe later")).messages
    assert hint.text == shown(lang, "sharing.typed.question", text="hmm, maybe later")
    assert [b.label for b in question.choices] == buttons
    assert set((await visibilities(service, MENTEE_ID, "checkin")).values()) == {
        Visibility.SHARED}  # as they were: nothing is chosen by text that chooses nothing

    await mentee.send({"en": "no", "de": "nein"}[lang])  # "Would you like to share…?" "No."
    assert set((await visibilities(service, MENTEE_ID, "checkin")).values()) == {
        Visibility.PRIVATE}

    await mentee.send("/answers")
    await mentee.press(shown(lang, "checkin.title"))
    hint, listing = (await mentee.send("whatever")).messages
    assert hint.text == shown(lang, "sharing.typed.list", text="whatever")
    assert listing.choices[0].label == "1 🔒"
    await mentee.send("/journey")  # a command goes its way: the list waits no more
    said = mentee.texts(await mentee.send("1"))
    assert shown(lang, "common.service.not_in_dialog") in said
    assert set((await visibilities(service, MENTEE_ID, "checkin")).values()) == {
        Visibility.PRIVATE}


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_dialog_begun_by_the_bot_after_the_question_gets_the_typed_answer(
        service: ConversationService, clock: FakeClock, lang: str) -> None:
    """The question is left unanswered; on the relationship's last day the reflection begins on
    its own: what the mentee types next answers the reflection, not the old question."""
    mentor = Chat(service, 8401, name="Maria", language=lang)
    mentee = Chat(service, 8402, name="Ana", language=lang)
    clock.now = datetime(2026, 11, 21, 9, tzinfo=UTC)
    await support_pair(mentor, mentee, ends_on=date(2026, 11, 25))
    await checkin(mentee, confidence=6)
    assert shown(lang, "sharing.buttons.pick", chosen=False) in [b.label for b in
                                                                 mentee.last.choices]
    clock.now = datetime(2026, 11, 25, 10, tzinfo=UTC)
    began = to(mentee, await one_pass(service))
    assert shown(lang, "calendar.ending.day") in "\n".join(to_plain(m.text) for m in began)

    said = mentee.texts(await mentee.send(f"achieved{lang}marker"))
    assert shown(lang, "sharing.typed.question", text=f"achieved{lang}marker") not in said
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, mentee.user_id)
        assert user is not None
        run = await active_run(session, user.id)
    assert run is not None
    assert run.dialog == "reflection"
    assert f"achieved{lang}marker" in str(run.state)
