"""Meeting briefs and the mentor's own check-in and reflection, with the clock moved by hand.

The brief: after the mentee's agenda request (the day before the meeting at its time), out of
the mentor's quiet hours, with the latest shared agenda and what was shared since, never a
private answer; a changed meeting plans anew; none once the pairing ended. The mentor's own
check-in every other Friday at 15:00 (private), and `mentor_reflection` a week before the end."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.terminal import to_plain
from service.conversation import ConversationService
from service.messages import OutMessage
from storage.answers import answers_of
from storage.pairings import set_pairing_status
from storage.schedule import pending_items, set_rule
from storage.shared import shared_answers
from storage.users import update_user
from storage.vocabulary import JSONObject, PairingStatus
from tests.support.chat import Chat
from tests.support.clock import FakeClock
from tests.support.mentoring import one_pass, pair, replan_for, saved_run, to, user_id

# The FakeClock starts on Saturday, 21 November 2026, 09:00 UTC; zones are UTC unless set.
MEETING = "2026-11-26T17:00"  # Thursday
BRIEF_AT = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # 21:00 the day before is quiet: at 08:00


def plain(messages: list[OutMessage]) -> str:
    return "\n".join(to_plain(m.text) for m in messages)


async def set_meeting(mentee: Chat, rule: JSONObject | None) -> None:
    """The mentee's next meeting, as /meeting (the calendar slice) stores it."""
    async with mentee.service.sessionmaker.begin() as session:
        await set_rule(session, await user_id(mentee), "meeting", rule, mentee.service.clock())
    await replan_for(mentee)


async def briefs(mentor: Chat) -> list[datetime]:
    async with mentor.service.sessionmaker.begin() as session:
        return [i.due_at for i in await pending_items(session, await user_id(mentor),
                                                      ["meeting_brief"])]


async def at(chat: Chat, clock: FakeClock, moment: datetime) -> str:
    clock.now = moment
    return plain(to(chat, await one_pass(chat.service)))


async def test_brief_after_the_agenda_request_with_shared_agenda_only(
        service: ConversationService, clock: FakeClock) -> None:
    mentor, mentee = Chat(service, 2001, name="Maria"), Chat(service, 2002, name="Ana")
    await pair(mentor, mentee)
    await saved_run(mentee, "checkin", {"helped": "SHARED progress", "confidence": 6},
                    shared=True)
    await saved_run(mentee, "checkin", {"helped": "PRIVATE doubts"}, shared=False)
    await set_meeting(mentee, {"once": MEETING})
    assert await briefs(mentor) == [BRIEF_AT]
    clock.now = datetime(2026, 11, 25, 18, tzinfo=UTC)  # the agenda is gathered after its request
    await saved_run(mentee, "agenda", {"topics": ["pacing", "my CV"],
                                       "want_from_meeting": "clarity"}, shared=True)
    assert await at(mentor, clock, BRIEF_AT - timedelta(minutes=1)) == ""
    text = await at(mentor, clock, BRIEF_AT)
    assert "Your meeting with Ana today at 17:00" in text  # 08:00 on the meeting's day
    assert "pacing" in text
    assert "my CV" in text
    assert "What I want from the meeting: clarity" in text
    assert "SHARED progress" in text
    assert "PRIVATE" not in text


async def test_brief_in_german_without_an_agenda(service: ConversationService,
                                                 clock: FakeClock) -> None:
    mentor, mentee = Chat(service, 2001, language="de"), Chat(service, 2002, name="Ana")
    await pair(mentor, mentee)
    await set_meeting(mentee, {"once": MEETING})
    text = await at(mentor, clock, BRIEF_AT)
    assert "Dein Treffen mit Ana heute um 17:00 Uhr" in text
    assert "Noch keine Agenda geteilt." in text


async def test_the_brief_says_the_meeting_on_the_mentors_calendar_in_their_language(
        service: ConversationService, clock: FakeClock) -> None:
    mentor, mentee = Chat(service, 2001, language="de"), Chat(service, 2002, name="Ana")
    await pair(mentor, mentee)
    await mentor.send("/settings zeitzone Asia/Tokyo")
    await set_meeting(mentee, {"once": MEETING})  # 17:00 UTC: 02:00 the next night in Tokyo
    [due] = await briefs(mentor)
    assert due == datetime(2026, 11, 25, 23, tzinfo=UTC)  # 08:00 in Tokyo, out of quiet hours
    text = await at(mentor, clock, due)
    assert "Dein Treffen mit Ana morgen um 02:00 Uhr" in text


async def test_a_changed_meeting_plans_the_brief_anew(service: ConversationService) -> None:
    mentor, mentee = Chat(service, 2001), Chat(service, 2002)
    await pair(mentor, mentee)
    await set_meeting(mentee, {"once": MEETING})
    await set_meeting(mentee, {"once": "2026-12-01T18:00"})
    assert await briefs(mentor) == [datetime(2026, 11, 30, 22, tzinfo=UTC) + timedelta(hours=10)]
    await set_meeting(mentee, None)
    assert await briefs(mentor) == []


async def test_a_recurring_meeting_plans_the_next_brief(service: ConversationService) -> None:
    mentor, mentee = Chat(service, 2001), Chat(service, 2002)
    await pair(mentor, mentee)
    await set_meeting(mentee, {"rule": {"at": "17:00", "weekdays": [3]}})
    assert await briefs(mentor) == [BRIEF_AT]


async def test_no_brief_after_the_pairing_ended(service: ConversationService,
                                                clock: FakeClock) -> None:
    mentor, mentee = Chat(service, 2001), Chat(service, 2002)
    pairing = await pair(mentor, mentee)
    await saved_run(mentee, "agenda", {"topics": ["secret plans"]}, shared=True)
    await set_meeting(mentee, {"once": MEETING})
    async with service.sessionmaker.begin() as session:
        await set_pairing_status(session, pairing.id, PairingStatus.ENDED, clock.now)
    assert "secret plans" not in await at(mentor, clock, BRIEF_AT)


_counter = iter(range(50_000, 1_000_000, 2))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.booleans(), min_size=1, max_size=5), st.booleans())
async def test_property_the_brief_holds_exactly_the_shared_answers(
        service: ConversationService, clock: FakeClock, choices: list[bool],
        agenda_shared: bool) -> None:
    first = next(_counter)
    mentor, mentee = Chat(service, first), Chat(service, first + 1)
    clock.now = datetime(2026, 11, 21, 9, tzinfo=UTC)
    await pair(mentor, mentee)
    for index, shared in enumerate(choices):
        await saved_run(mentee, "checkin", {"helped": f"mark{first}x{index}y"}, shared=shared)
    await saved_run(mentee, "agenda", {"topics": [f"agenda{first}z"]}, shared=agenda_shared)
    await set_meeting(mentee, {"once": MEETING})
    text = await at(mentor, clock, BRIEF_AT)
    for index, shared in enumerate(choices):
        assert (f"mark{first}x{index}y" in text) == shared
    assert (f"agenda{first}z" in text) == agenda_shared


# --- The mentor's own check-in and reflection ---------------------------------------------


async def test_mentor_checkin_every_other_friday_stays_private(service: ConversationService,
                                                               clock: FakeClock) -> None:
    upper, mentor, mentee = Chat(service, 2000), Chat(service, 2001, name="Maria"), \
        Chat(service, 2002)
    above = await pair(upper, mentor)  # the mentor is someone's mentee too
    await pair(mentor, mentee)
    async with service.sessionmaker.begin() as session:
        pending = await pending_items(session, await user_id(mentor), ["mentor_checkin"])
    assert [i.due_at for i in pending] == [datetime(2026, 12, 4, 15, tzinfo=UTC)]
    async with service.sessionmaker.begin() as session:  # even sharing everything by default
        await update_user(session, await user_id(mentor), clock.now, share_by_default=True)
    text = await at(mentor, clock, datetime(2026, 12, 4, 15, tzinfo=UTC))
    assert "Hi Maria! Time for your own short check-in" in text
    await mentor.press("Start")
    assert "How much room do you have for mentoring" in mentor.last_text
    await mentor.send("2")
    await mentor.send("4")
    await mentor.send("Tired this month")
    await mentor.press("Looks good")
    assert "Thank you, Maria" in mentor.texts(mentor.log[-1])
    async with service.sessionmaker.begin() as session:
        answers = await shared_answers(session, above.mentor_id, above.id)
        saved = await answers_of(session, above.mentee_id)
    assert [a.value for a in saved if a.dialog == "mentor_checkin"][:2] == [2, 4]
    assert all(a.dialog != "mentor_checkin" for a in answers)


async def test_mentor_reflection_a_week_before_the_end(service: ConversationService,
                                                       clock: FakeClock) -> None:
    mentor, mentee = Chat(service, 2001, name="Maria"), Chat(service, 2002)
    await pair(mentor, mentee, ends_on=date(2027, 1, 15))
    async with service.sessionmaker.begin() as session:
        pending = await pending_items(session, await user_id(mentor), ["mentor_reflection"])
    assert [i.due_at for i in pending] == [datetime(2027, 1, 8, 10, tzinfo=UTC)]
    text = await at(mentor, clock, datetime(2027, 1, 8, 10, tzinfo=UTC))
    assert "planned to end on Friday, 15 January 2027" in text
    await mentor.press("Start")
    assert "Looking back on the relationship, what went well?" in mentor.last_text
