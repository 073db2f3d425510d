"""Consent, answer by answer: the question at the end of a dialog when paired, choosing answers,
/answers changing any past answer's visibility, and the check-in's note meant for the mentor."""

from __future__ import annotations

from datetime import date

import pytest

from service import callbacks
from service.conversation import ConversationService
from service.inputs import PressIn
from storage.answers import answers_of
from storage.goals import create_goal, goals_of
from storage.pairings import create_pairing
from storage.runs import create_run
from storage.users import get_user, update_user
from storage.vocabulary import Role, Visibility
from tests.support.chat import Chat, shown
from tests.support.mentoring import saved_run

MENTOR_ID = 501
MENTEE_ID = 502


async def pair(service: ConversationService, mentor: Chat, mentee: Chat,
               share_by_default: bool = False) -> int:
    """Both know the bot; the mentor is one, and the two are paired. The pairing's id."""
    await mentor.send("/start")
    await mentee.send("/start")
    async with service.sessionmaker.begin() as session:
        mentor_user = await get_user(session, mentor.user_id)
        mentee_user = await get_user(session, mentee.user_id)
        assert mentor_user is not None
        assert mentee_user is not None
        await update_user(session, mentor_user.id, service.clock(), role=Role.MENTOR)
        await update_user(session, mentee_user.id, service.clock(),
                          share_by_default=share_by_default)
        pairing = await create_pairing(session, mentor_user.id, mentee_user.id,
                                       today=date(2026, 1, 5), ends_on=date(2026, 9, 30),
                                       now=service.clock())
    await mentee.send("/cancel")  # /start offered the agreement; nothing is open now
    return pairing.id


async def checkin(mentee: Chat, *, confidence: int, note: str | None = None,
                  helped: str = "Talking to Sam helped") -> None:
    """A check-in without goals, up to and including the confirmed summary."""
    await mentee.send("/checkin")
    await mentee.send(helped)
    await mentee.send("Too many meetings")
    await mentee.send(str(confidence))
    if confidence < 5:
        await mentee.send("A quiet afternoon")
    await mentee.send("Finish the draft")
    if note is None:
        await mentee.send("/skip")
    else:
        await mentee.send(note)
        await mentee.send("no")
    await mentee.send("yes")


async def visibilities(service: ConversationService, telegram_id: int,
                       dialog: str) -> dict[str, Visibility]:
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, telegram_id)
        assert user is not None
        return {a.step_key: a.visibility for a in await answers_of(session, user.id)
                if a.dialog == dialog}


@pytest.fixture
def mentor(service: ConversationService) -> Chat:
    return Chat(service, user_id=MENTOR_ID, name="Maria Keller")


@pytest.fixture
def mentee(service: ConversationService) -> Chat:
    return Chat(service, user_id=MENTEE_ID, name="Ana")


@pytest.mark.parametrize(("lang", "steps", "grow"), [
    ("en", "Your action steps are up to date", "/grow helps you shape one"),
    ("de", "Deine Schritte sind auf dem neuesten Stand", "hilft dir /grow dabei")])
async def test_a_check_in_without_goals_does_not_say_the_steps_are_up_to_date(
    service: ConversationService, mentor: Chat, mentee: Chat, lang: str, steps: str, grow: str,
) -> None:
    """Someone with no goal has no steps: the thanks says the answers are kept and where a goal
    is made, not that steps were updated and /goals shows them. With an open goal it does."""
    mentee.language = lang
    await pair(service, mentor, mentee)
    await checkin(mentee, confidence=6)
    thanks = mentee.texts(mentee.log[-1])
    assert steps not in thanks
    assert "/goals" not in thanks
    assert grow in thanks
    with_goal = shown(lang, "checkin.done", name="Ana", raise_at_meeting=False, confidence=6,
                      paired=True, goals=[{"title": "Lead", "status": "open", "actions": []}])
    assert steps in with_goal
    assert "/grow" not in with_goal


@pytest.mark.parametrize(("lang", "share_all"), [("en", "Share all of it with Maria"),
                                                 ("de", "Alles teilen mit Maria")])
async def test_a_paired_mentee_is_asked_at_the_end_and_sharing_all_shares_the_run(
    service: ConversationService, mentor: Chat, mentee: Chat, lang: str, share_all: str,
) -> None:
    mentee.language = lang
    await pair(service, mentor, mentee)
    await checkin(mentee, confidence=6)
    question = mentee.last
    assert "Maria" in mentee.last_text
    labels = [b.label for b in question.choices]
    assert labels[0] == share_all
    assert labels[2].startswith("✓ ")  # private, as the agreement's default says
    assert set((await visibilities(service, MENTEE_ID, "checkin")).values()) == {
        Visibility.PRIVATE}

    settled = mentee.texts(await mentee.press(share_all))
    assert settled.startswith(shown(lang, "sharing.settled", shared=4, total=4, mentor="Maria",
                                    title=shown(lang, "checkin.title")))
    assert set((await visibilities(service, MENTEE_ID, "checkin")).values()) == {
        Visibility.SHARED}


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_the_question_names_the_agreement_only_when_it_said_so(
    service: ConversationService, mentor: Chat, mentee: Chat, lang: str,
) -> None:
    mentee.language = lang
    await pair(service, mentor, mentee)
    await checkin(mentee, confidence=6)  # no agreement yet
    said = {"en": "As your agreement says", "de": "Wie in deiner Vereinbarung festgehalten"}[lang]
    plain = {"en": "They are private for now, as everything is until you share it.",
             "de": "Sie sind vorerst privat, wie alles, bis du es teilst."}[lang]
    assert said not in mentee.last_text
    assert plain in mentee.last_text
    await saved_run(mentee, "agreement", {"mentor_sees": "private"}, shared=False,
                    stage="initiation")
    await checkin(mentee, confidence=6)
    assert said in mentee.last_text


async def test_unpaired_mentees_keep_todays_ending(mentee: Chat) -> None:
    await mentee.send("/start")
    await mentee.send("/cancel")
    await checkin(mentee, confidence=6)
    assert all("sh:" not in b.data for b in mentee.last.choices)
    assert "Maria" not in "\n".join(mentee.texts(r) for r in mentee.log)


async def test_choosing_answers_toggles_each_and_done_keeps_the_choice(
    service: ConversationService, mentor: Chat, mentee: Chat,
) -> None:
    await pair(service, mentor, mentee, share_by_default=True)
    await checkin(mentee, confidence=6)
    assert mentee.last.choices[0].label.startswith("✓ ")  # shared, as the agreement says
    await mentee.press("Choose answers")
    listing = mentee.last_text
    assert "Talking to Sam helped" in listing
    assert "👥" in listing
    await mentee.press("1 👥")  # "What helped": private now
    assert mentee.last.choices[0].label == "1 🔒"
    await mentee.press("Done")
    seen = await visibilities(service, MENTEE_ID, "checkin")
    assert seen.pop("helped") is Visibility.PRIVATE
    assert set(seen.values()) == {Visibility.SHARED}
    assert mentee.texts(mentee.log[-1]).startswith("3 of 4 answers to “Check-in” are shared "
                                                   "with Maria")


async def test_the_note_for_the_mentor_is_shared_by_its_nature(
    service: ConversationService, mentor: Chat, mentee: Chat,
) -> None:
    await pair(service, mentor, mentee)
    await mentee.send("/checkin")
    await mentee.send("Talking to Sam helped")
    await mentee.send("Too many meetings")
    await mentee.send("6")
    await mentee.send("/skip")
    assert "Maria" in mentee.last_text
    assert "share" in mentee.last_text
    await mentee.send("I might change teams")
    assert "Your note is shared with Maria" in mentee.last_text
    await mentee.send("no")
    await mentee.send("yes")
    assert "Your note for Maria stays shared either way" in mentee.last_text
    await mentee.press("Keep it private")
    seen = await visibilities(service, MENTEE_ID, "checkin")
    assert seen.pop("for_mentor") is Visibility.SHARED
    assert set(seen.values()) == {Visibility.PRIVATE}


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_the_note_says_how_it_reaches_the_mentor_and_once_private_stays_private(
    service: ConversationService, mentor: Chat, mentee: Chat, lang: str,
) -> None:
    """The walk-through: "I'll share it, whatever you choose", then "I've shared your note",
    while nothing was sent and /answers made it private; "Keep it private" then shared it again.
    Now the step says the note is read with what is shared and is no message of its own, and
    a note made private stays private whatever the run's choice."""
    mentee.language = lang
    pairing = await pair(service, mentor, mentee)
    await mentee.send("/checkin")
    for text in ("Talking to Sam helped", "Too many meetings", "6", "/skip"):
        await mentee.send(text)
    asked = mentee.last_text
    assert shown(lang, "checkin.steps.for_mentor.text", paired=True, mentor="Maria") in asked
    assert {"en": "it isn't sent as a message of its own",
            "de": "Als eigene Nachricht schicke ich sie nicht"}[lang] in asked
    assert "/askmentor" in asked
    await mentee.send("notemarker")
    said = mentee.last_text
    assert said.startswith({"en": "Your note is shared with Maria.",
                            "de": "Deine Notiz ist mit Maria geteilt."}[lang])
    await mentee.send({"en": "no", "de": "nein"}[lang])
    await mentee.send({"en": "yes", "de": "ja"}[lang])
    assert "notemarker" in mentor.texts(await mentor.send(f"/mentees {pairing}"))

    await mentee.send("/answers")
    await mentee.press(shown(lang, "checkin.title"))
    label = shown(lang, "checkin.steps.for_mentor.label")
    [number] = [line.split(".")[0] for line in mentee.last_text.splitlines() if label in line]
    await mentee.press(f"{number} 👥")  # the note alone: private
    await mentee.press(shown(lang, "sharing.buttons.none", mentor="Maria", chosen=False))
    assert set((await visibilities(service, MENTEE_ID, "checkin")).values()) == {
        Visibility.PRIVATE}
    assert "notemarker" not in mentor.texts(await mentor.send(f"/mentees {pairing}"))
    await mentor.send("/digest")
    assert "notemarker" not in mentor.texts(mentor.log[-1])


async def test_a_goal_follows_the_runs_choice(service: ConversationService, mentor: Chat,
                                              mentee: Chat) -> None:
    await pair(service, mentor, mentee)
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, MENTEE_ID)
        assert user is not None
        run_id = await create_run(session, user_id=user.id, dialog="grow", stage="establishing",
                                  step="goal", state={}, now=service.clock())
        await create_goal(session, user_id=user.id, run_id=run_id, dialog="grow",
                          stage="establishing", title="Lead a team", details={}, due_on=None,
                          visibility=Visibility.PRIVATE, now=service.clock())
    await mentee.handle(PressIn(callbacks.share_data(run_id, callbacks.ShareOp.ALL)))
    async with service.sessionmaker.begin() as session:
        [goal] = await goals_of(session, user.id)
    assert goal.visibility is Visibility.SHARED


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_answers_shows_visibility_and_changes_any_past_answer(
    service: ConversationService, mentor: Chat, mentee: Chat, lang: str,
) -> None:
    mentee.language = lang
    await pair(service, mentor, mentee)
    await checkin(mentee, confidence=6)
    await mentee.send("/answers")
    text = mentee.last_text
    assert "🔒" in text
    assert "Maria" in text
    await mentee.press(shown(lang, "checkin.title"))
    await mentee.press("2 🔒")  # "What got in the way"
    seen = await visibilities(service, MENTEE_ID, "checkin")
    assert seen.pop("in_the_way") is Visibility.SHARED
    assert set(seen.values()) == {Visibility.PRIVATE}
    await mentee.send("/answers")
    assert "👥" in mentee.last_text


async def test_answers_without_a_mentor_say_what_sharing_will_mean(mentee: Chat) -> None:
    await mentee.send("/start")
    await mentee.send("/cancel")
    await checkin(mentee, confidence=6)
    await mentee.send("/answers")
    assert "No mentor is linked with you yet" in mentee.last_text


async def test_someone_elses_answer_or_run_cannot_be_changed(
    service: ConversationService, mentor: Chat, mentee: Chat,
) -> None:
    await pair(service, mentor, mentee)
    await checkin(mentee, confidence=6)
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, MENTEE_ID)
        assert user is not None
        answers = await answers_of(session, user.id)
    before = await visibilities(service, MENTEE_ID, "checkin")
    stranger = Chat(service, user_id=503)
    await stranger.send("/start")
    for data in (callbacks.visibility_data(answers[0].id),
                 callbacks.share_data(answers[0].run_id, callbacks.ShareOp.ALL),
                 callbacks.share_data(answers[0].run_id, callbacks.ShareOp.PICK)):
        response = await stranger.handle(PressIn(data))
        assert response.toast is not None
        assert not response.messages
    assert await visibilities(service, MENTEE_ID, "checkin") == before


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_ending_the_pairing_ends_sharing_by_default_so_new_answers_stay_private(
    service: ConversationService, mentor: Chat, mentee: Chat, lang: str,
) -> None:
    """The agreement's "share by default" was made with that mentor: once the pairing is over,
    what the mentee answers next is private, for a next mentor too, until they choose again."""
    mentee.language = lang
    await pair(service, mentor, mentee, share_by_default=True)
    await mentee.send("/settings")
    await mentee.press(shown(lang, "mentors.pairing.end_button", name="Maria"))
    ended = mentee.texts(await mentee.press(shown(lang, "mentors.pairing.end_yes")))
    assert shown(lang, "mentors.pairing.ended_you", name="Maria", as_mentor=False) in ended
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, MENTEE_ID)
        assert user is not None
        assert not user.share_by_default

    await checkin(mentee, confidence=6)
    assert set((await visibilities(service, MENTEE_ID, "checkin")).values()) == {
        Visibility.PRIVATE}
    settings = mentee.texts(await mentee.send("/settings"))
    assert shown(lang, "common.settings.sharing_off") in settings
