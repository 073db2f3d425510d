"""The mentor's view: /mentees and one mentee, read through storage.shared only; every way of
asking for someone else's mentee, a private answer, or after the pairing ended is refused."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service import callbacks
from service.conversation import ConversationService
from service.inputs import PressIn
from service.mentors.view import Flag, mentee_detail, mentee_summaries
from storage.answers import AnswerRecord, answers_of, set_answer_visibility
from storage.pairings import set_pairing_end, set_pairing_status
from storage.schedule import NewItem, add_items, pending_items, set_status
from storage.users import get_user, update_user
from storage.vocabulary import ItemStatus, PairingStatus, Role, Visibility
from tests.support.chat import Chat, shown
from tests.test_consent import checkin, pair

UTC = ZoneInfo("UTC")


async def user_id(service: ConversationService, telegram_id: int) -> int:
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, telegram_id)
        assert user is not None
        return user.id


@pytest.fixture
def mentor(service: ConversationService) -> Chat:
    return Chat(service, user_id=601, name="Maria Keller")


@pytest.fixture
def mentee(service: ConversationService) -> Chat:
    return Chat(service, user_id=602, name="Ana Lima")


async def share_all_checkins(mentee: Chat, *confidences: int) -> None:
    for number, confidence in enumerate(confidences):
        await checkin(mentee, confidence=confidence, helped=f"Helped number {number}")
        await mentee.press("Share all of it")


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_mentees_lists_each_mentee_with_trend_and_flags(
    service: ConversationService, mentor: Chat, mentee: Chat, lang: str,
) -> None:
    mentor.language = lang
    pairing = await pair(service, mentor, mentee)
    await share_all_checkins(mentee, 4, 8, 5)
    text = mentor.texts(await mentor.send("/mentees"))
    assert "Ana" in text
    assert "Lima" not in text
    assert "4 → 8 → 5" in text
    assert shown(lang, "mentor_view.flags.confidence_down") in text
    assert shown(lang, "common.stages.initiation.name") in text
    assert [b.data for b in mentor.buttons] == [callbacks.mentee_data(pairing)]


async def test_summary_counts_missed_checkins_and_flags_the_end_and_help(
    service: ConversationService, mentor: Chat, mentee: Chat,
) -> None:
    await pair(service, mentor, mentee)
    mentor_id, mentee_id = await user_id(service, 601), await user_id(service, 602)
    now = service.clock()
    async with service.sessionmaker.begin() as session:
        await add_items(session, [NewItem(key=f"checkin:{mentee_id}:{n}", kind="checkin",
                                          user_id=mentee_id, due_at=now - timedelta(days=10 - n),
                                          payload={}) for n in range(3)], now)
        items = await pending_items(session, mentee_id)
        statuses = [ItemStatus.SENT, ItemStatus.MISSED, ItemStatus.MISSED]
        for item, status in zip(items, statuses, strict=True):
            await set_status(session, item.id, status, now)
        await update_user(session, mentee_id, now, active=False)
        await set_pairing_end(session, mentee_id, now.date() + timedelta(days=20), now)
        [summary] = await mentee_summaries(session, mentor_id, now.date(), UTC)
    assert summary.missed_in_row == 2
    assert summary.days_left == 20
    assert set(summary.flags) == {Flag.ENDING, Flag.UNREACHABLE}


async def test_one_mentee_shows_shared_answers_and_goals_never_private_ones(
    service: ConversationService, mentor: Chat, mentee: Chat,
) -> None:
    await pair(service, mentor, mentee)
    await checkin(mentee, confidence=6, helped="Shared words")
    await mentee.press("Share all of it")
    await checkin(mentee, confidence=7, helped="Private words")
    await mentee.press("Keep it private")
    await mentor.send("/mentees")
    text = mentor.texts(await mentor.press("Ana"))
    assert "Shared words" in text
    assert "Private words" not in text
    assert "6" in text
    assert "6 → 7" not in text


async def test_a_mentee_cannot_use_mentees(service: ConversationService, mentor: Chat,
                                           mentee: Chat) -> None:
    pairing = await pair(service, mentor, mentee)
    text = mentee.texts(await mentee.send("/mentees"))  # the table refuses mentor commands
    assert text == shown("en", "mentors.roles.not_yours", for_mentors=True)
    text = mentee.texts(await mentee.handle(PressIn(callbacks.mentee_data(pairing))))
    assert text == shown("en", "mentor_view.only_mentors")


async def test_another_mentors_mentee_is_refused_by_button_and_argument(
    service: ConversationService, mentor: Chat, mentee: Chat,
) -> None:
    pairing = await pair(service, mentor, mentee)
    await checkin(mentee, confidence=6, helped="Secret progress")
    await mentee.press("Share all of it")
    other = Chat(service, user_id=603, name="Otto")
    await other.send("/start")
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, 603)
        assert user is not None
        await update_user(session, user.id, service.clock(), role=Role.MENTOR)
    refused = shown("en", "mentor_view.not_yours")
    for response in (await other.handle(PressIn(callbacks.mentee_data(pairing))),
                     await other.send(f"/mentees {pairing}"), await other.send("/mentees Ana"),
                     await other.handle(PressIn(callbacks.mentee_data(2**31 - 1)))):
        assert other.texts(response) == refused
    assert other.texts(await other.send("/mentees")) == shown("en", "mentor_view.none")
    assert "Secret progress" not in "\n".join(other.texts(r) for r in other.log)


async def test_after_the_pairing_ended_the_mentor_sees_nothing(
    service: ConversationService, mentor: Chat, mentee: Chat,
) -> None:
    pairing = await pair(service, mentor, mentee)
    await checkin(mentee, confidence=6, helped="Shared words")
    await mentee.press("Share all of it")
    assert "Shared words" in mentor.texts(await mentor.send(f"/mentees {pairing}"))
    async with service.sessionmaker.begin() as session:
        await set_pairing_status(session, pairing, PairingStatus.ENDED, service.clock())
    assert mentor.texts(await mentor.send(f"/mentees {pairing}")) == shown(
        "en", "mentor_view.not_yours")
    assert mentor.texts(await mentor.handle(PressIn(callbacks.mentee_data(pairing)))) == shown(
        "en", "mentor_view.not_yours")
    assert mentor.texts(await mentor.send("/mentees")) == shown("en", "mentor_view.none")


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(choices=st.lists(st.booleans(), min_size=7, max_size=7))
async def test_the_mentors_view_holds_exactly_the_shared_answers(
    service: ConversationService, choices: list[bool],
) -> None:
    mentor = Chat(service, user_id=701, name="Maria")
    mentee = Chat(service, user_id=702, name="Ana")
    async with service.sessionmaker.begin() as session:
        known = await get_user(session, 702)
    if known is None:  # the first example pairs them and gives two check-ins
        await pair(service, mentor, mentee)
        await checkin(mentee, confidence=6, helped="Alpha one", note="Note zero")
        await mentee.press("Keep it private")
        await checkin(mentee, confidence=7, helped="Beta two")
        await mentee.press("Keep it private")
    mentee_id = await user_id(service, 702)
    mentor_id = await user_id(service, 701)
    async with service.sessionmaker.begin() as session:
        answers = [a for a in await answers_of(session, mentee_id)
                   if isinstance(a.value, str) and len(a.value) > 3]
        assert len(answers) == 7
        for answer, shared in zip(answers, choices, strict=True):
            await set_answer_visibility(session, mentee_id, answer.id,
                                        Visibility.SHARED if shared else Visibility.PRIVATE)
        [summary] = await mentee_summaries(session, mentor_id, date(2026, 1, 5), UTC)
        detail = await mentee_detail(session, mentor_id, summary.pairing_id, date(2026, 1, 5),
                                     UTC, service.content.scripts,
                                     service.content.goal_parts)
    assert detail is not None
    assert {a.id for a in detail.answers} <= {a.id for a in await _all(service, mentee_id)}
    expected = {a.id for a, shared in zip(answers, choices, strict=True) if shared}
    assert {a.id for a in detail.answers if a.id in {x.id for x in answers}} == expected
    text = mentor.texts(await mentor.handle(PressIn(callbacks.mentee_data(summary.pairing_id))))
    for value in {str(a.value) for a in answers}:  # a text two answers gave: shown if one is shared
        shared = any(c for a, c in zip(answers, choices, strict=True) if str(a.value) == value)
        assert (value in text) is shared, (value, shared)


async def _all(service: ConversationService, mentee_id: int) -> list[AnswerRecord]:
    async with service.sessionmaker.begin() as session:
        return await answers_of(session, mentee_id)
