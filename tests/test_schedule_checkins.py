"""Check-ins as a mentee lives them, with the clock moved by hand: /checkins sets the rhythm (en
and de), the invitation arrives at the local time, Later at most twice, Skip, one reminder, the
silent close that records a missed check-in, the question after two missed, content by stage,
Start running the check-in, an action step's due date and a GROW checkpoint."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.terminal import to_plain
from service.conversation import ConversationService
from service.messages import Delivery, OutMessage
from service.schedule.dispatch import Dispatcher
from service.schedule.rhythm import Rhythm, next_occurrence
from storage.goals import add_actions, create_goal, goals_of
from storage.runs import active_run, create_run, set_run_status
from storage.schedule import listing, pending_items, rules_of
from storage.users import get_user, update_user
from storage.vocabulary import ActionStatus, ItemStatus, JSONObject, RunStatus, Visibility
from tests.support.chat import Chat, shown
from tests.support.clock import FakeClock
from tests.support.mentoring import saved_run

# The FakeClock starts on Saturday, 21 November 2026, 09:00 UTC.


async def one_pass(service: ConversationService) -> list[Delivery]:
    """What each person would get from one dispatch pass at the clock's now."""
    dispatcher = Dispatcher(service)
    sent: list[Delivery] = []
    for claimed in await dispatcher.claim():
        sent.extend(await dispatcher.open(claimed))
    return sent


async def received(chat: Chat) -> list[OutMessage]:
    """The messages one dispatch pass sends to this chat; its buttons become the chat's."""
    messages = [m for d in await one_pass(chat.service) if d.recipient == chat.user_id
                for m in d.messages]
    for message in messages:
        if message.buttons:
            chat.buttons = message.choices
    return messages


def plain(messages: list[OutMessage]) -> str:
    return "\n".join(to_plain(m.text) for m in messages)


async def move_to(chat: Chat, clock: FakeClock, moment: datetime) -> list[OutMessage]:
    """Move the clock to `moment` and run one pass there."""
    assert moment >= clock.now
    clock.now = moment
    return await received(chat)


async def user_id(chat: Chat) -> int:
    async with chat.service.sessionmaker.begin() as session:
        user = await get_user(session, chat.user_id)
    assert user is not None
    return user.id


async def set_stage(chat: Chat, stage: str) -> None:
    uid = await user_id(chat)
    async with chat.service.sessionmaker.begin() as session:
        await update_user(session, uid, chat.service.clock(), stage=stage)


async def add_goal(chat: Chat, steps: list[tuple[str, date | None]],
                   details: JSONObject | None = None) -> None:
    """A goal with these action steps, as a completed GROW would leave it."""
    uid = await user_id(chat)
    now = chat.service.clock()
    async with chat.service.sessionmaker.begin() as session:
        run = await create_run(session, user_id=uid, dialog="grow", stage="establishing",
                               step="done", state={}, now=now)
        await set_run_status(session, run, RunStatus.COMPLETED, now)
        goal = await create_goal(session, user_id=uid, run_id=run, dialog="grow",
                                 stage="establishing", title="Run a half marathon",
                                 details=details or {}, due_on=None,
                                 visibility=Visibility.PRIVATE, now=now)
        await add_actions(session, goal_id=goal, user_id=uid, actions=steps, now=now)


async def statuses(chat: Chat, kind: str) -> list[ItemStatus]:
    async with chat.service.sessionmaker.begin() as session:
        return [row.item.status for row in await listing(session, user_id=chat.user_id)
                if row.item.kind == kind]


def at(zone: str, day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(zone)).astimezone(UTC)


async def berlin(chat: Chat) -> None:
    await chat.send("/settings timezone Europe/Berlin")


# --- /checkins ---------------------------------------------------------------------------


async def test_typed_daily_rhythm_sets_the_rule_and_the_next_check_in(chat: Chat) -> None:
    await berlin(chat)
    await chat.send("/checkins daily 18:30")
    assert "I'll check in with you every day at 18:30" in chat.last_text
    assert "The next check-in is today at 18:30." in chat.last_text
    async with chat.service.sessionmaker.begin() as session:
        pending = await pending_items(session, await user_id(chat), ["checkin"])
    assert [item.due_at for item in pending] == [at("Europe/Berlin", date(2026, 11, 21), 18, 30)]
    await chat.send("/checkins")
    assert "every day at 18:30" in chat.last_text
    assert "Next check-in: today at 18:30." in chat.last_text
    assert [b.label for b in chat.buttons] == ["Change", "Stop check-ins"]


@pytest.mark.parametrize(("lang", "said"), [
    ("en", "06:00 falls in your quiet hours (21:00–08:00), so I'll come at 08:00 instead"),
    ("de", "06:00 Uhr liegt in deinen Ruhezeiten (21:00–08:00), deshalb melde ich mich erst um "
           "08:00 Uhr")])
async def test_a_time_in_the_quiet_hours_is_explained(service: ConversationService, lang: str,
                                                      said: str) -> None:
    chat = Chat(service, language=lang)
    await berlin(chat)
    await chat.send("/checkins daily 06:00")
    assert said in chat.last_text
    assert "/settings" in chat.last_text
    await chat.send("/checkins daily 18:30")
    assert "(21:00–08:00)" not in chat.last_text


@pytest.mark.parametrize(("lang", "words"), [
    ("en", {"set": "The next check-in is {}.", "view": "Next check-in: {}.",
            "today": "today at 08:15", "tomorrow": "tomorrow at 08:15",
            "date": "on Friday, 27 November 2026 at 17:00"}),
    ("de", {"set": "Der nächste Check-in ist {}.", "view": "Nächster Check-in: {}.",
            "today": "heute um 08:15 Uhr", "tomorrow": "morgen um 08:15 Uhr",
            "date": "am Freitag, 27. November 2026 um 17:00 Uhr"})])
async def test_a_check_in_today_or_tomorrow_is_said_so_on_the_persons_calendar(
        service: ConversationService, clock: FakeClock, lang: str, words: dict[str, str]) -> None:
    chat = Chat(service, language=lang)
    await berlin(chat)
    clock.now = datetime(2026, 11, 21, 23, 30, tzinfo=UTC)  # Sunday 00:30 in Berlin already
    await chat.send("/checkins daily 08:15")
    assert words["set"].format(words["today"]) in chat.last_text
    await chat.send("/checkins")
    assert words["view"].format(words["today"]) in chat.last_text
    await chat.send("/checkins mon 08:15")
    assert words["set"].format(words["tomorrow"]) in chat.last_text
    await chat.send("/checkins")
    assert words["view"].format(words["tomorrow"]) in chat.last_text
    await chat.send("/checkins fri 17:00")
    assert words["set"].format(words["date"]) in chat.last_text
    await chat.send("/checkins")
    assert words["view"].format(words["date"].split(" ", 1)[1]) in chat.last_text


async def test_typed_forms_in_german(service: ConversationService) -> None:
    chat = Chat(service, language="de")
    await chat.send("/settings zeitzone Europe/Berlin")
    await chat.send("/checkins mo,do 08:15")
    assert "jeden Montag und Donnerstag um 08:15 Uhr" in chat.last_text
    assert "Montag, 23. November 2026 um 08:15 Uhr" in chat.last_text
    await chat.send("/checkins alle 2 wochen fr 17:00")
    assert "alle zwei Wochen am Freitag um 17:00 Uhr" in chat.last_text
    async with service.sessionmaker.begin() as session:
        pending = await pending_items(session, await user_id(chat), ["checkin"])
    assert [item.due_at for item in pending] == [at("Europe/Berlin", date(2026, 11, 27), 17)]
    await chat.send("/checkins aus")
    assert chat.last_text == shown("de", "checkins.stopped", side=None, word="")
    async with service.sessionmaker.begin() as session:
        assert await pending_items(session, await user_id(chat), ["checkin"]) == []


async def test_every_two_weeks_and_off_in_english(chat: Chat) -> None:
    await berlin(chat)
    await chat.send("/checkins every 2 weeks fri 17:00")
    assert "every other Friday at 17:00" in chat.last_text
    await chat.send("/checkins off")
    assert chat.last_text == shown("en", "checkins.stopped", side=None, word="")
    await chat.send("/checkins")  # a rhythm switched off is none now, not one not set "yet"
    assert chat.last_text.startswith("You have no check-in rhythm at the moment.")


SECOND_FRIDAYS = {  # (typed, what the reply says, the next two check-ins' local days)
    "en": [("/checkins every second friday 17:00", "every other Friday at 17:00", (27, 11), (11, 12)),
           ("/checkins every second friday of the month 17:00",
            "on the second Friday of each month at 17:00", (11, 12), (8, 1))],
    "de": [("/checkins jeden zweiten Freitag um 17 Uhr", "alle zwei Wochen am Freitag um 17:00 Uhr",
            (27, 11), (11, 12)),
           ("/checkins jeden zweiten Freitag im Monat um 17 Uhr",
            "am zweiten Freitag im Monat um 17:00 Uhr", (11, 12), (8, 1)),
           ("/checkins am zweiten Freitag im Monat um 17 Uhr",
            "am zweiten Freitag im Monat um 17:00 Uhr", (11, 12), (8, 1))]}


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_every_second_friday_is_every_other_one_unless_the_month_is_named(
        service: ConversationService, lang: str) -> None:
    """"Jeden zweiten Freitag" and "every second friday" are fortnightly; with the month named
    (or "am zweiten Freitag") they are the second Friday of each month."""
    chat = Chat(service, language=lang)
    await berlin(chat)  # Saturday, 21 November 2026
    for typed, said, first, second in SECOND_FRIDAYS[lang]:
        await chat.send(typed)
        assert said in chat.last_text, typed
        uid = await user_id(chat)
        async with service.sessionmaker.begin() as session:
            [item] = await pending_items(session, uid, ["checkin"])
            rhythm = Rhythm.from_json((await rules_of(session, uid))["checkin"])
        following = next_occurrence(rhythm, "Europe/Berlin", item.due_at)
        years = (2026, 2026 if second[1] > 1 else 2027)
        assert [item.due_at, following] == [
            at("Europe/Berlin", date(year, month, day), 17)
            for year, (day, month) in zip(years, (first, second), strict=True)], typed


async def test_a_bad_form_is_answered_with_examples(chat: Chat) -> None:
    await chat.send("/checkins sometimes maybe")
    assert chat.last_text == shown("en", "checkins.not_understood", text="sometimes maybe",
                                    side=None, word="")
    assert "/checkins mon,thu 08:15" in chat.last_text


async def test_the_buttons_set_a_rhythm_and_ask_the_time_once(chat: Chat) -> None:
    await chat.send("/checkins")
    await chat.press("Set a rhythm")
    await chat.press("Every other week")
    await chat.press("Tuesday")
    response = await chat.press("17:30")
    assert "every other Tuesday at 17:30" in chat.texts(response)
    assert shown("en", "checkins.zone_question") in chat.texts(response)  # never set a zone
    await chat.press("It's 10:00")  # 09:00 UTC is 10:00 in Berlin
    assert "Europe/Berlin" in chat.last_text
    assert "Tuesday, 24 November 2026 at 17:30" in chat.last_text


# --- The invitation ----------------------------------------------------------------------


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Asia/Kolkata"])
async def test_the_invitation_arrives_at_the_local_time(
        chat: Chat, clock: FakeClock, zone: str) -> None:
    await chat.send(f"/settings timezone {zone}")
    await chat.send("/checkins daily 19:00")
    due = at(zone, clock.now.astimezone(ZoneInfo(zone)).date(), 19)
    if due <= clock.now:
        due = at(zone, clock.now.astimezone(ZoneInfo(zone)).date() + timedelta(days=1), 19)
    assert await move_to(chat, clock, due - timedelta(minutes=1)) == []
    messages = await move_to(chat, clock, due)
    assert plain(messages).startswith("Hi Ana! Your mentoring agreement isn't finished yet"[:8])
    assert [b.label for b in messages[0].choices] == ["Start", "Later", "Skip this time"]
    # Exactly once.
    assert await move_to(chat, clock, due + timedelta(minutes=5)) == []


ZONE_CHANGE = {"en": ("/checkins daily 14:33", "/settings timezone America/New_York",
                      "Next check-in: tomorrow at 14:33."),
               "de": ("/checkins täglich 14:33", "/settings zeitzone America/New_York",
                      "Nächster Check-in: morgen um 14:33 Uhr.")}


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_changed_zone_brings_no_second_check_in_the_same_day(
        service: ConversationService, clock: FakeClock, lang: str) -> None:
    """Today's check-in arrived at 14:33 in Berlin; moving to New York the same day, the next
    is tomorrow at 14:33 there, not today's 14:33 New York time again."""
    chat = Chat(service, language=lang)
    typed, zone, said = ZONE_CHANGE[lang]
    await berlin(chat)
    await chat.send(typed)
    today = date(2026, 11, 21)
    assert plain(await move_to(chat, clock, at("Europe/Berlin", today, 14, 33))) == shown(
        lang, "checkins.invite.initiation", name="Ana")
    clock.advance(minutes=5)
    await chat.send(zone)
    uid = await user_id(chat)
    async with service.sessionmaker.begin() as session:
        pending = await pending_items(session, uid, ["checkin"])
    assert [item.due_at for item in pending] == [
        at("America/New_York", today + timedelta(days=1), 14, 33)]
    await chat.send("/checkins")
    assert said in chat.last_text
    assert await move_to(chat, clock, at("America/New_York", today, 14, 33)) == []
    assert plain(await move_to(chat, clock, at("America/New_York", today + timedelta(days=1),
                                               14, 33))) == shown(
        lang, "checkins.invite.initiation", name="Ana")


async def test_a_check_in_in_the_quiet_hours_still_comes_every_morning(
        chat: Chat, clock: FakeClock) -> None:
    """A daily 23:30 arrives when the quiet hours end, 08:00 the next day: the next one, planned
    that morning, arrives the morning after, not a day later."""
    await berlin(chat)
    await chat.send("/checkins daily 23:30")
    for day in (22, 23, 24):
        morning = at("Europe/Berlin", date(2026, 11, day), 8)
        assert plain(await move_to(chat, clock, morning)) == shown(
            "en", "checkins.invite.initiation", name="Ana"), day


async def test_later_twice_then_no_more_later(chat: Chat, clock: FakeClock) -> None:
    await berlin(chat)
    await chat.send("/checkins mon 10:00")
    await move_to(chat, clock, at("Europe/Berlin", date(2026, 11, 23), 10))
    await chat.press("Later")
    assert "I'll come back to you today at 13:00." in chat.last_text
    again = await move_to(chat, clock, at("Europe/Berlin", date(2026, 11, 23), 13))
    assert [b.label for b in again[0].choices] == ["Start", "Later", "Skip this time"]
    await chat.press("Later")
    last = await move_to(chat, clock, at("Europe/Berlin", date(2026, 11, 23), 16))
    assert [b.label for b in last[0].choices] == ["Start", "Skip this time"]


async def test_skip_leaves_nothing_behind(chat: Chat, clock: FakeClock) -> None:
    await berlin(chat)
    await chat.send("/checkins mon 10:00")
    await move_to(chat, clock, at("Europe/Berlin", date(2026, 11, 23), 10))
    await chat.press("Skip this time")
    assert chat.last_text == shown("en", "checkins.skipped")
    for hours in (24, 72):  # no reminder, and nothing counted as missed
        assert await move_to(chat, clock, at("Europe/Berlin", date(2026, 11, 23), 10)
                             + timedelta(hours=hours)) == []
    assert (await statuses(chat, "checkin"))[0] is ItemStatus.SKIPPED


async def test_one_reminder_after_a_day_then_missed_silently(chat: Chat, clock: FakeClock) -> None:
    await berlin(chat)
    await chat.send("/checkins mon 10:00")
    sent = at("Europe/Berlin", date(2026, 11, 23), 10)
    await move_to(chat, clock, sent)
    assert await move_to(chat, clock, sent + timedelta(hours=23, minutes=59)) == []
    reminder = await move_to(chat, clock, sent + timedelta(hours=24))
    assert plain(reminder).startswith(shown("en", "checkins.reminder"))
    assert await move_to(chat, clock, sent + timedelta(hours=72)) == []  # the close is silent
    assert (await statuses(chat, "checkin"))[0] is ItemStatus.MISSED


async def test_two_missed_in_a_row_ask_whether_the_rhythm_suits(
        chat: Chat, clock: FakeClock) -> None:
    await berlin(chat)
    await chat.send("/checkins mon 10:00")
    first = at("Europe/Berlin", date(2026, 11, 23), 10)
    for week in range(2):
        start = first + timedelta(weeks=week)
        await move_to(chat, clock, start)
        await move_to(chat, clock, start + timedelta(hours=24))
        closing = await move_to(chat, clock, start + timedelta(hours=72))
    assert plain(closing) == shown("en", "checkins.still_suits")
    assert [b.label for b in closing[0].choices] == ["Keep it", "Less often", "Pause for two weeks"]
    await chat.press("Pause for two weeks")
    assert "I'll leave you in peace until Thursday, 17 December 2026" in chat.last_text
    assert await move_to(chat, clock, first + timedelta(weeks=2)) == []  # paused


async def test_less_often_makes_a_weekly_rhythm_fortnightly(chat: Chat, clock: FakeClock) -> None:
    await berlin(chat)
    await chat.send("/checkins mon 10:00")
    first = at("Europe/Berlin", date(2026, 11, 23), 10)
    for week in range(2):
        await move_to(chat, clock, first + timedelta(weeks=week))
        await move_to(chat, clock, first + timedelta(weeks=week, hours=72))
    await chat.press("Less often")
    assert "every other Monday at 10:00" in chat.last_text


# --- What the invitation is about --------------------------------------------------------


async def invited(chat: Chat, clock: FakeClock, stage: str) -> str:
    await berlin(chat)
    await set_stage(chat, stage)
    await chat.send("/checkins mon 10:00")
    return plain(await move_to(chat, clock, at("Europe/Berlin", date(2026, 11, 23), 10)))


async def test_in_initiation_a_nudge_to_finish_the_agreement(chat: Chat, clock: FakeClock) -> None:
    assert await invited(chat, clock, "initiation") == shown("en", "checkins.invite.initiation",
                                                             name="Ana")
    response = await chat.press("Start")
    assert shown("en", "agreement.steps.purpose.text") in chat.texts(response)


async def test_in_establishing_a_nudge_to_what_is_not_done(chat: Chat, clock: FakeClock) -> None:
    text = await invited(chat, clock, "establishing")
    assert text == shown("en", "checkins.invite.establishing", name="Ana",
                         title=shown("en", "story.title"))
    response = await chat.press("Start")
    first = chat.service.scripts.get("story").steps[0].key
    assert shown("en", f"story.steps.{first}.text") in chat.texts(response)


async def typed_agreement(chat: Chat, lang: str) -> str:
    """Answer the whole agreement by typing (choices by number, yes and confirm in the chat's
    language); the closing messages' text."""
    await chat.send("/agreement")
    for text in ("To grow", "A new role", "Honest feedback", "Preparation", "Evenings off"):
        await chat.send(text)
    await chat.send("/skip")
    yes = {"en": "yes", "de": "ja"}[lang]
    await chat.send(yes)  # the mentor may see the answers
    await chat.send("/skip")  # whether the programme team may know: no
    await chat.send("3")  # meetings once a month
    await chat.send("2")  # by video
    await chat.send("/skip")
    await chat.send("30.06.2027")
    await chat.send("At each meeting")
    return chat.texts(await chat.send(yes))


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_after_the_agreement_the_invitation_suggests_the_next_stage_not_the_agreement(
        service: ConversationService, clock: FakeClock, lang: str) -> None:
    """The agreement done but the journey not moved on (still initiation): the check-in invites to
    the first dialog /journey shows as not done (the story), and Start runs it, never the
    agreement again as if it were unfinished."""
    chat = Chat(service, language=lang)
    await chat.send("/settings timezone Europe/Berlin")
    closing = await typed_agreement(chat, lang)
    assert shown(lang, "common.service.stage_done",
                 stage=shown(lang, "common.stages.initiation.name")) in closing
    await chat.send("/checkins mon 10:00")
    invitation = plain(await move_to(chat, clock, at("Europe/Berlin", date(2026, 11, 23), 10)))
    assert invitation == shown(lang, "checkins.invite.agreed", name="Ana",
                               title=shown(lang, "story.title"),
                               stage=shown(lang, "common.stages.establishing.name"))
    assert invitation != shown(lang, "checkins.invite.initiation", name="Ana")
    response = await chat.press(0)  # Start
    first = chat.service.scripts.get("story").steps[0].key
    assert shown(lang, f"story.steps.{first}.text") in chat.texts(response)
    assert shown(lang, "agreement.steps.purpose.text") not in chat.texts(response)
    async with chat.service.sessionmaker.begin() as session:
        user = await get_user(session, chat.user_id)
    assert user is not None
    assert user.stage == "initiation"  # nobody moved the journey on


async def dialog_started(chat: Chat) -> str | None:
    """Start pressed on the invitation: the dialog now running, if any."""
    await chat.press("Start")
    async with chat.service.sessionmaker.begin() as session:
        run = await active_run(session, await user_id(chat))
    return None if run is None else run.dialog


async def test_with_the_next_stage_done_too_the_invitation_is_the_check_in(
        chat: Chat, clock: FakeClock) -> None:
    """In initiation with the agreement and every dialog of establishing done: the check-in."""
    for dialog in ("agreement", "story", "vision", "grow"):
        await saved_run(chat, dialog, {}, shared=False)
    assert await invited(chat, clock, "initiation") == shown("en", "checkins.invite.maturing",
                                                             name="Ana")
    assert await dialog_started(chat) == "checkin"


async def test_in_ending_the_reflection(chat: Chat, clock: FakeClock) -> None:
    assert await invited(chat, clock, "ending") == shown("en", "checkins.invite.ending", name="Ana")
    response = await chat.press("Start")
    assert shown("en", "reflection.title") in chat.texts(response) or \
        shown("en", "reflection.intro", name="Ana")[:20] in chat.texts(response)


async def test_in_ending_with_the_reflection_done_the_check_in_as_usual(
        chat: Chat, clock: FakeClock) -> None:
    """Looked back already: the invitation no longer asks for the reflection, Start runs the
    check-in (never the reflection a second time)."""
    await saved_run(chat, "reflection", {}, shared=False)
    assert await invited(chat, clock, "ending") == shown("en", "checkins.invite.maturing",
                                                         name="Ana")
    assert await dialog_started(chat) == "checkin"


async def test_in_maturing_start_runs_the_check_in_about_the_step(
        chat: Chat, clock: FakeClock) -> None:
    await berlin(chat)
    await add_goal(chat, [("Run 5 km twice a week", None), ("Buy running shoes", date(2026, 11, 22))])
    assert await invited(chat, clock, "maturing") == shown("en", "checkins.invite.maturing",
                                                           name="Ana")
    response = await chat.press("Start")
    # The step that fell due since comes first.
    assert "Buy running shoes\nHow is this step going?" in chat.texts(response)
    await chat.press("Done")
    assert "Run 5 km twice a week" in chat.last_text
    await chat.press("Partly done")
    await chat.send("My running group")
    await chat.send("Rainy weather")
    await chat.press("8")
    await chat.send("/skip")
    await chat.send("/skip")
    await chat.press("Looks good")
    async with chat.service.sessionmaker.begin() as session:
        goal, = await goals_of(session, await user_id(chat))
    assert [a.status for a in goal.actions] == [ActionStatus.PARTLY, ActionStatus.DONE]
    # Started: no reminder, and nothing is missed.
    sent = at("Europe/Berlin", date(2026, 11, 23), 10)
    assert await move_to(chat, clock, sent + timedelta(hours=72)) == []
    assert (await statuses(chat, "checkin"))[0] is ItemStatus.SENT


async def test_typing_checkin_counts_as_started(chat: Chat, clock: FakeClock) -> None:
    await invited(chat, clock, "maturing")
    await chat.send("/checkin")
    sent = at("Europe/Berlin", date(2026, 11, 23), 10)
    assert await move_to(chat, clock, sent + timedelta(hours=72)) == []
    assert (await statuses(chat, "checkin_close")) == [ItemStatus.CANCELLED]


async def test_typing_the_dialog_invited_to_counts_as_started_another_does_not(
        chat: Chat, clock: FakeClock) -> None:
    """Nudged to the story: /checkin is not what was asked (the reminder still comes); /story
    is (no reminder, nothing missed)."""
    await invited(chat, clock, "establishing")
    await chat.send("/checkin")
    await chat.send("/cancel")
    sent = at("Europe/Berlin", date(2026, 11, 23), 10)
    reminded = plain(await move_to(chat, clock, sent + timedelta(hours=24)))
    assert shown("en", "checkins.reminder") in reminded
    await chat.send("/story")
    assert await move_to(chat, clock, sent + timedelta(hours=72)) == []
    assert (await statuses(chat, "checkin_close")) == [ItemStatus.CANCELLED]
    assert (await statuses(chat, "checkin"))[0] is ItemStatus.SENT


# --- Action steps and checkpoints --------------------------------------------------------


async def test_an_action_step_is_asked_about_on_its_due_date(chat: Chat, clock: FakeClock) -> None:
    await berlin(chat)
    await add_goal(chat, [("Buy running shoes", date(2026, 11, 24))])
    await chat.send("/checkins off")  # a change of rule plans again (as GROW's completion does)
    assert await move_to(chat, clock, at("Europe/Berlin", date(2026, 11, 24), 8, 59)) == []
    asked = await move_to(chat, clock, at("Europe/Berlin", date(2026, 11, 24), 9))
    assert shown("en", "checkins.step_due", step="Buy running shoes",
                 goal="Run a half marathon") == plain(asked)
    buttons = chat.buttons
    await chat.press("Done")
    assert chat.last_text == shown("en", "checkins.step_thanks.done")
    async with chat.service.sessionmaker.begin() as session:
        goal, = await goals_of(session, await user_id(chat))
    assert goal.actions[0].status is ActionStatus.DONE
    chat.buttons = buttons
    response = await chat.press("Done")  # a second press changes nothing
    assert response.toast is not None


async def test_no_step_question_on_a_check_in_day(chat: Chat, clock: FakeClock) -> None:
    await berlin(chat)
    await add_goal(chat, [("Buy running shoes", date(2026, 11, 23))])
    await chat.send("/checkins mon 10:00")
    sent = await move_to(chat, clock, at("Europe/Berlin", date(2026, 11, 23), 10))
    assert len(sent) == 1
    assert "check-in" in plain(sent)
    assert await statuses(chat, "checkin_step") == []


async def test_a_grow_checkpoint_is_a_check_in_of_its_own(chat: Chat, clock: FakeClock) -> None:
    await berlin(chat)
    await add_goal(chat, [("Run 5 km", None)], details={"checkpoint": "2026-11-25"})
    await chat.send("/checkins fri 18:00")
    assert await move_to(chat, clock, at("Europe/Berlin", date(2026, 11, 25), 17, 59)) == []
    invitation = await move_to(chat, clock, at("Europe/Berlin", date(2026, 11, 25), 18))
    assert plain(invitation) == shown("en", "checkins.invite.checkpoint", name="Ana",
                                      goal="Run a half marathon")
    response = await chat.press("Start")
    assert "Run 5 km\nHow is this step going?" in chat.texts(response)


@pytest.mark.parametrize(("lang", "pause", "said"), [
    ("en", "/pause 1 week", "Your next check-in is on Friday, 15 January 2027 at 09:00, at the "
                            "checkpoint you set for Run a half marathon."),
    ("de", "/pause 1 woche", "Dein nächster Check-in ist am Freitag, 15. Januar 2027 um 09:00 Uhr: "
                             "der Zwischenstand, den du dir für Run a half marathon vorgenommen hast."),
])
async def test_the_end_of_a_pause_names_a_checkpoints_check_in_as_such(
    chat: Chat, lang: str, pause: str, said: str
) -> None:
    chat.language = lang
    await berlin(chat)
    await add_goal(chat, [("Run 5 km", None)], details={"checkpoint": "2027-01-15"})
    await chat.send(pause)
    await chat.send({"en": "/pause off", "de": "/pause aus"}[lang])  # no rhythm: only the checkpoint
    assert chat.last_text == shown(lang, "calendar.pause.ended", goal="Run a half marathon",
                                   next={"en": "on Friday, 15 January 2027 at 09:00",
                                         "de": "am Freitag, 15. Januar 2027 um 09:00 Uhr"}[lang])
    assert said in chat.last_text


# --- The proposal when the agreement is done ---------------------------------------------


async def complete_agreement(chat: Chat, rhythm: str) -> str:
    """Answer the whole agreement (meeting `rhythm` by its label); the closing messages' text."""
    await chat.send("/agreement")
    for text in ("To grow", "A new role", "Honest feedback", "Preparation", "Evenings off"):
        await chat.send(text)
    await chat.send("/skip")
    await chat.press("Yes, share with my mentor")
    await chat.send("/skip")  # whether the programme team may know: no
    await chat.press(rhythm)
    await chat.press("Video call")
    await chat.send("/skip")
    await chat.send("2027-06-30")
    await chat.send("At each meeting")
    return chat.texts(await chat.press("Looks good"))


async def test_the_finished_agreement_proposes_a_rhythm_to_pick(chat: Chat) -> None:
    closing = await complete_agreement(chat, "Once a month")
    assert shown("en", "checkins.propose", meeting="monthly") in closing
    assert [b.label for b in chat.buttons] == ["Weekly", "Every other week", "Not now"]
    await chat.press("Every other week")
    await chat.press("Thursday")
    response = await chat.press("17:30")
    assert "every other Thursday at 17:30" in chat.texts(response)
    await chat.press("It's 14:30")  # 09:00 UTC is 14:30 in Kolkata
    assert "Asia/Kolkata" in chat.last_text
    assert "Thursday, 26 November 2026 at 17:30" in chat.last_text


async def test_the_proposal_and_pickers_take_the_buttons_words_typed(chat: Chat) -> None:
    await complete_agreement(chat, "Once a month")
    await chat.send("every other week")
    assert chat.last_text == shown("en", "checkins.which_day")
    await chat.send("Thursday")
    assert "every other Thursday at 17:30" in chat.texts(await chat.send("17:30"))


async def test_the_pickers_take_the_buttons_words_typed_in_german(
        service: ConversationService) -> None:
    chat = Chat(service, language="de")
    await chat.send("/settings zeitzone Europe/Berlin")
    await chat.send("/checkins")
    await chat.press("Rhythmus festlegen")
    await chat.send("jede zweite woche")
    assert chat.last_text == shown("de", "checkins.which_day")
    await chat.send("donnerstag")
    await chat.send("17:30 Uhr")
    assert "alle zwei Wochen am Donnerstag um 17:30 Uhr" in chat.last_text
    await chat.send("Jede Woche")  # nothing is offered now: no rhythm changes
    assert "alle zwei Wochen am Donnerstag" not in chat.last_text


@pytest.mark.parametrize(("lang", "weekly", "friday"),
                         [("en", "Weekly", "Friday"), ("de", "Jede Woche", "Freitag")])
async def test_a_picker_asks_again_after_text_that_is_none_of_its_choices(
        service: ConversationService, lang: str, weekly: str, friday: str) -> None:
    chat = Chat(service, language=lang)
    await chat.send("/checkins")
    await chat.press(0)  # set a rhythm
    response = await chat.send("sometimes")
    assert chat.texts(response) == "\n".join((
        shown(lang, "checkins.typed.how_often", text="sometimes"),
        shown(lang, "checkins.how_often", side=None)))
    await chat.send(weekly)
    response = await chat.send("foo")
    assert chat.texts(response) == "\n".join((shown(lang, "checkins.typed.day", text="foo"),
                                               shown(lang, "checkins.which_day")))
    assert len(chat.buttons) == 7
    await chat.send(friday)
    response = await chat.send("25:99")
    assert chat.texts(response) == "\n".join((
        shown(lang, "checkins.typed.time", text="25:99"),
        shown(lang, "checkins.which_time", side=None, word="")))
    assert len(chat.buttons) == 4
    assert f"{friday} " in chat.texts(await chat.send("17:45"))  # the rhythm is set


async def test_weekly_meetings_propose_a_weekly_check_in(chat: Chat) -> None:
    closing = await complete_agreement(chat, "Every week")
    assert shown("en", "checkins.propose", meeting="weekly") in closing
    assert [b.label for b in chat.buttons] == ["Weekly", "Not now"]
    await chat.press("Not now")
    assert chat.last_text == shown("en", "checkins.not_now")
