"""The calendar around the mentoring, as a mentee lives it: a pause (nothing sent inside it,
nothing missed, welcome back at its end), quiet hours, the next meeting and its agenda request,
and the planned ending's ladder. The clock is moved to each item's moment and the dispatcher run
directly: what it returns is what the person would get."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.telegram.dispatching import dispatch_job
from bot.terminal import to_plain
from service.conversation import ConversationService
from service.inputs import PressIn
from service.messages import OutMessage
from service.schedule.dispatch import Dispatcher
from service.schedule.rhythm import Rhythm
from storage.runs import active_run, save_run
from storage.schedule import ItemRecord, listing, rules_of, set_rule
from storage.users import UserRecord, get_user
from storage.vocabulary import ItemStatus, RunStatus
from tests.support.chat import Chat, rendered
from tests.support.clock import FakeClock
from tests.support.mentoring import saved_run
from tests.telegram.harness import E2E, say

BERLIN = ZoneInfo("Europe/Berlin")
LANGS = ["en", "de"]


@dataclass
class Got:
    """What one item sent to its person, and when."""

    kind: str
    at: datetime
    messages: list[OutMessage]

    @property
    def texts(self) -> list[str]:
        return [message.text for message in self.messages]

    @property
    def local(self) -> datetime:
        return self.at.astimezone(BERLIN)


async def dispatch(service: ConversationService) -> list[Got]:
    """One dispatch pass at the clock's now: what each person's items sent (empty: skipped)."""
    dispatcher = Dispatcher(service)
    got = []
    for claimed in await dispatcher.claim():
        deliveries = await dispatcher.open(claimed)
        if claimed.telegram_id is not None:
            got.append(Got(claimed.kind, service.clock(),
                           [m for delivery in deliveries for m in delivery.messages]))
    return got


async def items(service: ConversationService, status: ItemStatus | None = None) -> list[ItemRecord]:
    """Every item of a person, soonest first."""
    async with service.sessionmaker.begin() as session:
        rows = await listing(session, status=status)
    return [row.item for row in rows if row.item.user_id is not None]


async def next_sent(service: ConversationService, clock: FakeClock) -> Got | None:
    """Move the clock to the next pending item and dispatch until something is sent."""
    while pending := await items(service, ItemStatus.PENDING):
        clock.now = max(clock.now, pending[0].due_at)
        sent = [got for got in await dispatch(service) if got.messages]
        if sent:
            return sent[0]
    return None


async def user(service: ConversationService, chat: Chat) -> UserRecord:
    async with service.sessionmaker.begin() as session:
        found = await get_user(session, chat.user_id)
    assert found is not None
    return found


async def in_berlin(chat: Chat, lang: str) -> None:
    chat.language = lang
    await chat.send("/settings timezone Europe/Berlin")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC)  # type: ignore[misc]


async def press_item(chat: Chat, got: Got, label: str) -> list[str]:
    """Press a button of a scheduled item's message."""
    for message in got.messages:
        for button in message.choices:
            if button.label == label:
                return [m.text for m in (await chat.handle(PressIn(button.data))).messages]
    raise AssertionError(f"no button {label!r} in {got.messages}")


def label(lang: str, key: str) -> str:
    """A button's label as shown."""
    return html.unescape(rendered(lang, key))


# --- Pause -----------------------------------------------------------------------------------

WEEKLY_MEETING = {"en": "/meeting every tuesday 17:00", "de": "/meeting jeden dienstag 17 uhr"}


@pytest.mark.parametrize("lang", LANGS)
async def test_a_pause_sends_nothing_counts_nothing_missed_and_welcomes_back(
    service: ConversationService, chat: Chat, clock: FakeClock, lang: str
) -> None:
    await in_berlin(chat, lang)
    await chat.send(WEEKLY_MEETING[lang])  # an agenda request every Monday 17:00
    assert [i.due_at for i in await items(service, ItemStatus.PENDING)] == [local(2026, 11, 23, 17)]

    response = await chat.send({"en": "/pause 2 weeks", "de": "/pause 2 wochen"}[lang])
    assert chat.texts(response) == chat.texts(chat.log[-1])
    assert response.messages[0].text == rendered(lang, "calendar.pause.started",
                                                 last="2026-12-04", resume="2026-12-05",
                                                 next=None, goal=None)
    assert (await user(service, chat)).paused_until == local(2026, 12, 5)

    welcome = await next_sent(service, clock)  # the first thing sent: nothing inside the pause
    assert welcome is not None
    assert welcome.kind == "welcome_back"
    assert welcome.local == datetime(2026, 12, 5, 8, 0, tzinfo=BERLIN)  # out of the quiet hours
    assert welcome.texts == [rendered(lang, "calendar.pause.welcome_back", next=None)]
    assert (await user(service, chat)).paused_until is None
    statuses = {i.status for i in await items(service)}
    assert ItemStatus.MISSED not in statuses

    following = await next_sent(service, clock)
    assert following is not None
    assert following.kind == "agenda_request"
    assert following.at == local(2026, 12, 7, 17)


@pytest.mark.parametrize("lang", LANGS)
async def test_the_pause_by_buttons_and_ended_early(
    service: ConversationService, chat: Chat, clock: FakeClock, lang: str
) -> None:
    await in_berlin(chat, lang)
    await chat.send(WEEKLY_MEETING[lang])
    shown = await chat.send("/pause")
    assert shown.messages[0].text == rendered(lang, "calendar.pause.view")
    assert [b.label for b in chat.buttons] == [
        label(lang, "calendar.pause.button_1w"), label(lang, "calendar.pause.button_2w"),
        label(lang, "calendar.pause.button_date")]
    asked = await chat.press(label(lang, "calendar.pause.button_date"))
    assert asked.messages[0].text == rendered(lang, "calendar.pause.ask_date")

    await chat.send("/pause")
    started = await chat.press(label(lang, "calendar.pause.button_1w"))
    assert started.messages[0].text == rendered(lang, "calendar.pause.started",
                                                last="2026-11-27", resume="2026-11-28",
                                                next=None, goal=None)
    pending = await items(service, ItemStatus.PENDING)
    assert [i.kind for i in pending] == ["welcome_back"]  # Monday's agenda request is cancelled

    clock.advance(days=2)
    shown = await chat.send("/pause")
    assert shown.messages[0].text == rendered(lang, "calendar.pause.view_paused",
                                              last="2026-11-27", resume="2026-11-28",
                                              next=None, goal=None)
    ended = await chat.press(label(lang, "calendar.pause.end_button"))
    assert ended.messages[0].text == rendered(lang, "calendar.pause.ended", next=None)
    assert (await user(service, chat)).paused_until is None
    pending = await items(service, ItemStatus.PENDING)
    assert [(i.kind, i.due_at) for i in pending] == [("agenda_request", local(2026, 11, 23, 17))]
    assert (await chat.send("/pause off")).messages[0].text == rendered(
        lang, "calendar.pause.not_paused")
    sent = await next_sent(service, clock)
    assert sent is not None
    assert sent.kind == "agenda_request"


@pytest.mark.parametrize(("lang", "friday", "never"), [("en", "next friday", "someday"),
                                                       ("de", "nächsten freitag", "irgendwann")])
async def test_until_a_date_takes_the_typed_day(
    service: ConversationService, chat: Chat, lang: str, friday: str, never: str
) -> None:
    await in_berlin(chat, lang)
    await chat.send("/pause")
    await chat.press(label(lang, "calendar.pause.button_date"))
    again = await chat.send(never)
    assert again.messages[0].text == rendered(lang, "calendar.pause.unclear_date", text=never)
    started = await chat.send(friday)
    assert started.messages[0].text == rendered(lang, "calendar.pause.started",
                                                last="2026-11-27", resume="2026-11-28",
                                                next=None, goal=None)
    assert (await user(service, chat)).awaiting is None
    await chat.send("/pause off")
    await chat.send("/agreement")  # a dialog is open: /cancel drops the wait, not the dialog
    await chat.send("/pause")
    await chat.press(label(lang, "calendar.pause.button_date"))
    dropped = await chat.send("/cancel")
    assert dropped.messages[0].text == rendered(lang, "calendar.pause.date_dropped")
    async with service.sessionmaker.begin() as session:
        run = await active_run(session, (await user(service, chat)).id)
    assert run is not None
    assert run.dialog == "agreement"
    await chat.send(friday)  # the wait ended: a day typed now is no pause
    assert (await user(service, chat)).paused_until is None


async def test_a_pause_typed_in_german_until_a_date(
    service: ConversationService, chat: Chat
) -> None:
    await in_berlin(chat, "de")
    response = await chat.send("/pause bis 24.12.")
    assert response.messages[0].text == rendered("de", "calendar.pause.started",
                                                 last="2026-12-24", resume="2026-12-25",
                                                 next=None, goal=None)
    unclear = await chat.send("/pause irgendwann")
    assert unclear.messages[0].text == rendered("de", "calendar.pause.unclear", text="irgendwann")
    ended = await chat.send("/pause aus")
    assert ended.messages[0].text == rendered("de", "calendar.pause.ended", next=None)
    assert await items(service, ItemStatus.PENDING) == []


@pytest.mark.parametrize(("lang", "typed", "asked"), [
    ("en", "/pause until 01.01.2020", "yesterday"), ("de", "/pause bis 01.01.2020", "gestern"),
    ("en", "/pause until 1 January 2020", "20.11.2026"), ("de", "/pause bis 1. Januar 2020", "20.11.2026")])
async def test_a_pause_until_a_day_gone_says_it_has_passed(
    service: ConversationService, chat: Chat, lang: str, typed: str, asked: str
) -> None:
    """Not "unreadable": the day was read, it is behind us; the reply says what to write."""
    await in_berlin(chat, lang)
    said = await chat.send(typed)
    assert said.messages[0].text == rendered(lang, "calendar.pause.date_passed", day="2020-01-01")
    assert {"en": "/pause until 24.12.", "de": "/pause bis 24.12."}[lang] in said.messages[0].text
    await chat.send("/pause")
    await chat.press(label(lang, "calendar.pause.button_date"))
    again = await chat.send(asked)  # today is Saturday 21 November 2026
    assert again.messages[0].text == rendered(lang, "calendar.pause.date_passed",
                                              day="2026-11-20", waiting=True)
    assert (await user(service, chat)).paused_until is None
    started = await chat.send("24.12.")  # still waiting for the day
    assert started.messages[0].text == rendered(lang, "calendar.pause.started",
                                                last="2026-12-24", resume="2026-12-25",
                                                next=None, goal=None)


def when_said(lang: str, day: str, at: str, days: int) -> str:
    """A check-in's moment as the pause's texts name it ("on Monday, 30 November 2026 at 08:15")."""
    return rendered(lang, "checkins.when", day=day, at=at, days=days, on=True)


@pytest.mark.parametrize(("lang", "typed", "monday", "promise"), [
    ("en", "/pause 3 days", "Monday, 30 November 2026 at 08:15", "I'll be back on"),
    ("de", "/pause 3 Tage", "Montag, 30. November 2026 um 08:15 Uhr", "melde ich mich wieder")])
async def test_a_pause_names_the_check_in_that_really_comes_after_it(
    service: ConversationService, chat: Chat, clock: FakeClock, lang: str, typed: str,
    monday: str, promise: str
) -> None:
    """Check-ins on Mondays, three days of pause from Saturday: Monday is its last day, so nothing
    is due the day it is over (Tuesday). The reply and /pause say when the pause is over and that
    the next check-in comes the Monday after, no "I'll be back" that day, and so it is."""
    await in_berlin(chat, lang)
    await chat.send("/checkins mon 08:15")
    started = await chat.send(typed)
    said = {"last": "2026-11-23", "resume": "2026-11-24",
            "next": when_said(lang, "2026-11-30", "08:15", 9), "goal": None}
    assert started.messages[0].text == rendered(lang, "calendar.pause.started", **said)
    assert monday in chat.texts(started)
    assert promise not in chat.texts(started)
    shown_pause = await chat.send("/pause")
    assert shown_pause.messages[0].text == rendered(lang, "calendar.pause.view_paused", **said)

    welcome = await next_sent(service, clock)
    assert welcome is not None
    assert welcome.kind == "welcome_back"
    assert welcome.texts == [rendered(lang, "calendar.pause.welcome_back",
                                      next=when_said(lang, "2026-11-30", "08:15", 6), goal=None)]
    following = await next_sent(service, clock)
    assert following is not None
    assert (following.kind, following.at) == ("checkin", local(2026, 11, 30, 8, 15))


@pytest.mark.parametrize("lang", LANGS)
async def test_resume_with_no_dialog_paused_ends_a_pause_as_pause_off_does(
    service: ConversationService, chat: Chat, lang: str
) -> None:
    await in_berlin(chat, lang)
    await chat.send("/checkins mon 08:15")
    await chat.send({"en": "/pause 2 weeks", "de": "/pause 2 wochen"}[lang])
    assert [i.kind for i in await items(service, ItemStatus.PENDING)] == ["welcome_back"]

    resumed = await chat.send("/resume")
    assert chat.texts(resumed) == to_plain(rendered(
        lang, "calendar.pause.ended", next=when_said(lang, "2026-11-23", "08:15", 2), goal=None))
    assert (await user(service, chat)).paused_until is None
    pending = await items(service, ItemStatus.PENDING)
    assert [(i.kind, i.due_at) for i in pending] == [("checkin", local(2026, 11, 23, 8, 15))]
    again = await chat.send("/resume")  # neither a dialog nor a pause now
    assert chat.texts(again) == to_plain(rendered(lang, "common.service.nothing_to_resume"))


@pytest.mark.parametrize("lang", LANGS)
async def test_resume_brings_a_paused_dialog_back_and_says_check_ins_stay_paused(
    service: ConversationService, chat: Chat, lang: str
) -> None:
    """A paused dialog and a pause: /resume means the dialog; the pause goes on, and one line
    says until when and how it ends."""
    await in_berlin(chat, lang)
    await chat.send("/agreement")
    await chat.send("/cancel")
    await chat.send({"en": "/pause 2 weeks", "de": "/pause 2 wochen"}[lang])

    resumed = await chat.send("/resume")
    note = resumed.messages[0].text
    assert note == "\n".join((
        rendered(lang, "common.service.resumed", title=rendered(lang, "agreement.title")),
        rendered(lang, "calendar.pause.still_paused", last="2026-12-04")))
    assert {"en": "/pause off", "de": "/pause aus"}[lang] in note
    assert (await user(service, chat)).paused_until == local(2026, 12, 5)
    async with service.sessionmaker.begin() as session:
        run = await active_run(session, (await user(service, chat)).id)
    assert run is not None
    assert run.dialog == "agreement"


# --- Quiet hours -----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
async def test_quiet_hours_move_an_item_to_their_end_and_are_set_in_settings(
    service: ConversationService, chat: Chat, clock: FakeClock, lang: str
) -> None:
    await in_berlin(chat, lang)
    view = await chat.send("/settings")
    assert "21:00–08:00" in view.messages[0].text
    await chat.send({"en": "/meeting next tuesday 22:00", "de": "/meeting nächsten dienstag 22 uhr"}[lang])
    # The request would be due Monday 22:00: inside the default quiet hours, so Tuesday 08:00.
    [request] = await items(service, ItemStatus.PENDING)
    assert request.due_at == local(2026, 11, 24, 8)

    words = {"en": "/settings quiet 22:30-07:30", "de": "/settings ruhezeit 22:30 bis 7:30"}
    changed = await chat.send(words[lang])
    assert changed.messages[0].text == rendered(lang, "common.settings.quiet_set",
                                                quiet="22:30–07:30")
    assert "22:30–07:30" in (await chat.send("/settings")).messages[0].text
    [request] = await items(service, ItemStatus.PENDING)
    assert request.due_at == local(2026, 11, 23, 22)  # no longer quiet: when it is due

    await chat.send({"en": "/settings quiet 21-8", "de": "/settings ruhezeit 21-8"}[lang])
    sent = await next_sent(service, clock)
    assert sent is not None
    assert sent.local == datetime(2026, 11, 24, 8, 0, tzinfo=BERLIN)
    # Moved out of the quiet hours onto the meeting's day: it is today, not tomorrow.
    assert {"en": "Your meeting is today at 22:00.",
            "de": "Dein Treffen ist heute um 22:00 Uhr."}[lang] in sent.texts[0]

    off = await chat.send({"en": "/settings quiet off", "de": "/settings ruhezeit aus"}[lang])
    assert off.messages[0].text == rendered(lang, "common.settings.quiet_set_off")
    assert rendered(lang, "common.settings.quiet_off") in (await chat.send("/settings")).messages[0].text
    unclear = await chat.send({"en": "/settings quiet later", "de": "/settings ruhezeit später"}[lang])
    assert unclear.messages[0].text == rendered(
        lang, "common.settings.quiet_unclear", text={"en": "later", "de": "später"}[lang])


@pytest.mark.parametrize(("lang", "typed"), [
    ("en", "/settings quiet 22-22"), ("en", "/settings quiet 10pm to 22:00"),
    ("de", "/settings ruhezeit 22-22"), ("de", "/settings Ruhezeit 22 Uhr bis 22 Uhr")])
async def test_quiet_hours_that_start_when_they_end_are_questioned_not_switched_off(
    service: ConversationService, chat: Chat, lang: str, typed: str
) -> None:
    await in_berlin(chat, lang)
    said = await chat.send(typed)
    assert said.messages[0].text == rendered(lang, "common.settings.quiet_same", at="22:00")
    assert {"en": "/settings quiet off", "de": "/settings Ruhezeit aus"}[lang] in said.messages[0].text
    assert (await user(service, chat)).quiet_hours is None  # the defaults still hold
    assert "21:00–08:00" in (await chat.send("/settings")).messages[0].text
    off = await chat.send({"en": "/settings quiet off", "de": "/settings ruhezeit aus"}[lang])
    assert off.messages[0].text == rendered(lang, "common.settings.quiet_set_off")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("command", ["/settings", "/meeting", "/pause", "/checkins", "/answers"])
async def test_a_command_followed_by_only_invisible_characters_is_the_command_alone(
    chat: Chat, lang: str, command: str
) -> None:
    """Zero-width spaces, a word joiner or a BOM after a command are nothing typed, as in a
    dialog: the command shows what it shows alone, not "I didn't understand …"."""
    await in_berlin(chat, lang)
    alone = chat.texts(await chat.send(command))
    assert chat.texts(await chat.send(f"{command} \u200b \u2060\ufeff")) == alone


@pytest.mark.parametrize(("start", "meeting", "arrives"), [
    # Spring forward (28 March 2027): the evening before is CET, the morning after CEST.
    (datetime(2027, 3, 20, 9, tzinfo=UTC), "/meeting 28.3. 21:30", datetime(2027, 3, 28, 6, tzinfo=UTC)),
    # Fall back (31 October 2027): the evening before is CEST, the morning after CET.
    (datetime(2027, 10, 25, 9, tzinfo=UTC), "/meeting 31.10. 21:30", datetime(2027, 10, 31, 7, tzinfo=UTC)),
])
async def test_quiet_hours_end_at_08_00_local_across_a_dst_change(
    service: ConversationService, chat: Chat, clock: FakeClock, start: datetime, meeting: str,
    arrives: datetime,
) -> None:
    clock.now = start
    await in_berlin(chat, "en")
    await chat.send(meeting)
    sent = await next_sent(service, clock)
    assert sent is not None
    assert sent.kind == "agenda_request"
    assert sent.at == arrives
    assert sent.local.hour == 8
    assert sent.local.minute == 0


# --- The next meeting and its agenda ---------------------------------------------------------

ONE_OFF = {"en": ("/meeting next tuesday 17:00", "2026-11-24", "17:00"),
           "de": ("/meeting 14.12. 18:30", "2026-12-14", "18:30")}
#: What /meeting says of that meeting (days ahead: dated) and the request the day before.
ONE_OFF_WORDS = {
    "en": {"set": "Noted: your next meeting is <b>on Tuesday, 24 November 2026 at 17:00</b>.",
           "view": "Your next meeting: <b>Tuesday, 24 November 2026 at 17:00</b>.",
           "ask": "I'll ask what you'd like to bring to it on Monday, 23 November 2026 at 17:00.",
           "request": "Your meeting is tomorrow at 17:00."},
    "de": {"set": "Notiert: Dein nächstes Treffen ist <b>am Montag, 14. Dezember 2026 um 18:30 Uhr</b>.",
           "view": "Dein nächstes Treffen: <b>Montag, 14. Dezember 2026 um 18:30 Uhr</b>.",
           "ask": "Ich frage dich am Sonntag, 13. Dezember 2026 um 18:30 Uhr, was du mitbringen möchtest.",
           "request": "Dein Treffen ist morgen um 18:30 Uhr."}}


@pytest.mark.parametrize("lang", LANGS)
async def test_a_meeting_brings_the_agenda_request_a_day_before_and_its_button_starts_the_agenda(
    service: ConversationService, chat: Chat, clock: FakeClock, lang: str
) -> None:
    await in_berlin(chat, lang)
    typed, day, at = ONE_OFF[lang]
    before = datetime.combine(date.fromisoformat(day) - timedelta(days=1),
                              time.fromisoformat(at), BERLIN)
    words = ONE_OFF_WORDS[lang]
    response = await chat.send(typed)
    assert response.messages[0].text.splitlines() == [words["set"], words["ask"]]
    shown = (await chat.send("/meeting")).messages[0].text.splitlines()
    assert shown[:2] == [words["view"], words["ask"]]

    await chat.send("/agreement")  # a dialog is open when the request arrives
    sent = await next_sent(service, clock)
    assert sent is not None
    assert sent.kind == "agenda_request"
    assert sent.at == before.astimezone(UTC)
    assert sent.texts[0].startswith(words["request"])

    offered = await press_item(chat, sent, label(lang, "calendar.meeting.agenda_button"))
    titles = {"open_title": rendered(lang, "agreement.title"), "title": rendered(lang, "agenda.title")}
    assert offered == [rendered(lang, "common.service.switch_question", **titles)]
    await chat.press(html.unescape(rendered(lang, "common.buttons.pause_and_start",
                                            title=titles["title"])))
    async with service.sessionmaker.begin() as session:
        run = await active_run(session, (await user(service, chat)).id)
    assert run is not None
    assert run.dialog == "agenda"

    # A one-off meeting that passed plans nothing more.
    clock.advance(days=2)
    assert await items(service, ItemStatus.PENDING) == []
    none = await chat.send("/meeting")
    assert none.messages[0].text.startswith(rendered(lang, "calendar.meeting.none", agenda_day=None,
                                                              paired=False)[:20])


RECURRING = {"en": "/meeting every 2nd tuesday of the month 17:00",
             "de": "/meeting jeden 2. Dienstag im Monat 17 Uhr"}
MONTHLY = {"en": "on the second Tuesday of each month at 17:00",
           "de": "am zweiten Dienstag im Monat um 17:00 Uhr"}


@pytest.mark.parametrize("lang", LANGS)
async def test_a_recurring_meeting_plans_the_next_request_once_one_went_out(
    service: ConversationService, chat: Chat, clock: FakeClock, lang: str
) -> None:
    await in_berlin(chat, lang)
    response = await chat.send(RECURRING[lang])
    assert response.messages[0].text == rendered(
        lang, "calendar.meeting.set", recurring=True, rhythm=MONTHLY[lang], paired=False,
        when={"en": "on Tuesday, 8 December 2026 at 17:00",
              "de": "am Dienstag, 8. Dezember 2026 um 17:00 Uhr"}[lang],
        ask={"en": "on Monday, 7 December 2026 at 17:00",
             "de": "am Montag, 7. Dezember 2026 um 17:00 Uhr"}[lang])
    assert MONTHLY[lang] in response.messages[0].text  # not "regularly": which rhythm
    sent = await next_sent(service, clock)
    assert sent is not None
    assert sent.at == local(2026, 12, 7, 17)
    assert {"en": "Your meeting is tomorrow at 17:00.",
            "de": "Dein Treffen ist morgen um 17:00 Uhr."}[lang] in sent.texts[0]
    [following] = await items(service, ItemStatus.PENDING)
    assert following.due_at == local(2027, 1, 11, 17)  # the day before the 2nd Tuesday of January
    shown = await chat.send("/meeting")
    assert shown.messages[0].text == rendered(  # tomorrow's meeting: its request went out
        lang, "calendar.meeting.view", recurring=True, rhythm=MONTHLY[lang], ask=None, why="soon",
        paired=False,
        when={"en": "tomorrow at 17:00", "de": "morgen um 17:00 Uhr"}[lang])
    assert {"en": "Your next meeting: <b>tomorrow at 17:00</b> (a regular meeting,",
            "de": "Dein nächstes Treffen: <b>morgen um 17:00 Uhr</b> (ein regelmäßiges Treffen,"
            }[lang] in shown.messages[0].text

    cleared = await chat.press(label(lang, "calendar.meeting.clear_button"))
    assert cleared.messages[0].text == rendered(lang, "calendar.meeting.cleared")
    assert await items(service, ItemStatus.PENDING) == []
    unclear = await chat.send("/meeting someday")
    assert unclear.messages[0].text == rendered(lang, "calendar.meeting.unclear", text="someday")


TOMORROW = {"en": ("/meeting tomorrow", "/meeting cancel", "someday"),
            "de": ("/meeting morgen", "/meeting absagen", "irgendwann")}
TOMORROW_WORDS = {
    "en": ("At what time is your meeting tomorrow?",
           "Noted: your next meeting is <b>tomorrow at 18:30</b>.\n"
           "I'll ask what you'd like to bring to it today at 18:30."),
    "de": ("Um wie viel Uhr ist dein Treffen morgen?",
           "Notiert: Dein nächstes Treffen ist <b>morgen um 18:30 Uhr</b>.\n"
           "Ich frage dich heute um 18:30 Uhr, was du mitbringen möchtest.")}


@pytest.mark.parametrize("lang", LANGS)
async def test_a_day_without_a_time_asks_for_the_time_and_cancel_clears(
    chat: Chat, lang: str
) -> None:
    await in_berlin(chat, lang)  # Saturday
    tomorrow, cancel, never = TOMORROW[lang]
    question, noted_words = TOMORROW_WORDS[lang]
    asked = await chat.send(tomorrow)
    assert asked.messages[0].text.startswith(question)
    again = await chat.send(never)
    assert question in again.messages[0].text
    assert never in again.messages[0].text
    noted = await chat.send("18:30")
    assert noted.messages[0].text == noted_words
    assert [b.label for b in chat.buttons] == [label(lang, "calendar.meeting.clear_button")]
    cleared = await chat.send(cancel)
    assert cleared.messages[0].text == rendered(lang, "calendar.meeting.cleared")
    await chat.send(tomorrow)
    dropped = await chat.send("/cancel")  # the time is not given: nothing changes
    assert dropped.messages[0].text == rendered(lang, "calendar.meeting.time_dropped")
    assert (await chat.send("/meeting off")).messages[0].text == rendered(
        lang, "calendar.meeting.cleared")


@pytest.mark.parametrize("lang", LANGS)
async def test_an_agendas_day_is_the_meeting_meeting_knows_of(chat: Chat, lang: str) -> None:
    await in_berlin(chat, lang)
    await saved_run(chat, "agenda", {"meeting_date": "2026-12-02"}, shared=False)
    shown = (await chat.send("/meeting")).messages[0].text
    assert shown == rendered(lang, "calendar.meeting.none", agenda_day="2026-12-02", days=11,
                             paired=False)
    assert {"en": "Your agenda is for a meeting on Wednesday, 2 December 2026, but",
            "de": "Deine Agenda ist für ein Treffen am Mittwoch, 2. Dezember 2026, aber"}[lang] in shown
    assert "/meeting 2.12. 17:00" in shown
    await saved_run(chat, "agenda", {"meeting_date": "2026-11-22"}, shared=False)
    shown = (await chat.send("/meeting")).messages[0].text
    assert {"en": "Your agenda is for a meeting tomorrow, but",
            "de": "Deine Agenda ist für ein Treffen morgen, aber"}[lang] in shown
    assert "/meeting 22.11. 17:00" in shown


async def test_a_meeting_less_than_a_day_away_asks_for_nothing_in_the_past(
    service: ConversationService, chat: Chat
) -> None:
    await in_berlin(chat, "en")  # Saturday 10:00 in Berlin
    response = await chat.send("/meeting tomorrow 09:00")
    assert response.messages[0].text == (
        "Noted: your next meeting is <b>tomorrow at 09:00</b>.\n"
        "It's less than a day away: /agenda is there whenever you'd like to prepare.")
    assert await items(service, ItemStatus.PENDING) == []


IN_PAUSE = {
    "en": ("/pause 2 weeks", "/meeting day after tomorrow 9:30", "/pause off",
           "Noted: your next meeting is <b>on Monday, 23 November 2026 at 09:30</b>.",
           "You're pausing until Friday, 4 December 2026, so I won't ask you for an agenda the day "
           "before: /agenda is there whenever you'd like to prepare.",
           "I'll ask what you'd like to bring to it tomorrow at 09:30."),
    "de": ("/pause 2 Wochen", "/meeting übermorgen 9:30", "/pause aus",
           "Notiert: Dein nächstes Treffen ist <b>am Montag, 23. November 2026 um 09:30 Uhr</b>.",
           "Du pausierst bis einschließlich Freitag, 4. Dezember 2026, deshalb frage ich dich am "
           "Vortag nicht nach deiner Agenda: /agenda ist da, wann immer du dich vorbereiten "
           "möchtest.",
           "Ich frage dich morgen um 09:30 Uhr, was du mitbringen möchtest.")}


@pytest.mark.parametrize("lang", LANGS)
async def test_a_meeting_whose_agenda_request_falls_in_the_pause_is_planned_and_said_so(
    service: ConversationService, chat: Chat, clock: FakeClock, lang: str
) -> None:
    """Paused for two weeks, a meeting two days away: planned, and the reply says the pause is why
    no agenda request comes (never that the meeting is less than a day away); a meeting after the
    pause brings its request, and ending the pause brings this one's back."""
    await in_berlin(chat, lang)  # Saturday 10:00 in Berlin
    pause, typed, pause_off, noted, paused, asked = IN_PAUSE[lang]
    await chat.send(pause)
    response = await chat.send(typed)
    assert response.messages[0].text.splitlines() == [noted, paused]
    assert rendered(lang, "calendar.meeting.set", recurring=False, when="", rhythm=None, ask=None,
                    why="soon", paired=False).splitlines()[1] not in response.messages[0].text
    async with service.sessionmaker.begin() as session:
        rules = await rules_of(session, (await user(service, chat)).id)
    assert rules["meeting"] == {"once": "2026-11-23T09:30",  # the meeting is planned
                                "zone": "Europe/Berlin"}
    shown = (await chat.send("/meeting")).messages[0].text.splitlines()
    assert shown[1] == paused
    assert [i.kind for i in await items(service, ItemStatus.PENDING)] == ["welcome_back"]

    later = await chat.send({"en": "/meeting 10.12. 17:00", "de": "/meeting 10.12. 17 Uhr"}[lang])
    assert later.messages[0].text.splitlines()[1] == {
        "en": "I'll ask what you'd like to bring to it on Wednesday, 9 December 2026 at 17:00.",
        "de": "Ich frage dich am Mittwoch, 9. Dezember 2026 um 17:00 Uhr, was du mitbringen "
              "möchtest."}[lang]

    await chat.send(typed)
    await chat.send(pause_off)
    assert (await chat.send("/meeting")).messages[0].text.splitlines()[1] == asked
    sent = await next_sent(service, clock)
    assert sent is not None
    assert sent.kind == "agenda_request"
    assert sent.at == local(2026, 11, 22, 9, 30)


PASSED = {  # (typed, what the reply begins with, the hint it ends with)
    "en": [("/meeting today 09:00", "It's too late to plan a meeting today at 09:00:",
            "/meeting next tuesday 17:00."),
           ("/meeting 21.11.2026 09:00", "It's too late to plan a meeting today at 09:00:",
            "/meeting next tuesday 17:00."),
           ("/meeting yesterday 18:00", "It's too late to plan a meeting on Friday, 20 November "
            "2026 at 18:00:", "/meeting next tuesday 17:00."),
           ("/meeting 20.11. 18:00", "It's too late to plan a meeting on Friday, 20 November "
            "2026 at 18:00:", "If you mean next year, add the year: /meeting 20.11.2027 18:00."),
           ("/meeting 20.11.", "It's too late to plan a meeting on Friday, 20 November 2026:",
            "/meeting 20.11.2027 17:00.")],
    "de": [("/meeting heute 9 uhr", "Ein Treffen heute um 09:00 Uhr kann ich nicht mehr planen:",
            "/meeting nächsten Dienstag 17:00."),
           ("/meeting gestern 18 Uhr", "Ein Treffen am Freitag, 20. November 2026 um 18:00 Uhr "
            "kann ich nicht mehr planen:", "/meeting nächsten Dienstag 17:00."),
           ("/meeting 20. November 18:00", "Ein Treffen am Freitag, 20. November 2026 um 18:00 "
            "Uhr kann ich nicht mehr planen:",
            "Falls du nächstes Jahr meinst, schreib das Jahr dazu: /meeting 20.11.2027 18:00."),
           ("/meeting gestern", "Ein Treffen am Freitag, 20. November 2026 kann ich nicht mehr "
            "planen:", "/meeting nächsten Dienstag 17:00.")]}
PLANNED = {"en": "Your planned meeting stays as it is: Monday, 14 December 2026 at 18:30.",
           "de": "Dein geplantes Treffen bleibt, wie es ist: Montag, 14. Dezember 2026 um 18:30 Uhr."}


@pytest.mark.parametrize("lang", LANGS)
async def test_a_meeting_moment_that_has_passed_is_said_and_the_planned_one_kept(
    service: ConversationService, chat: Chat, lang: str
) -> None:
    await in_berlin(chat, lang)  # Saturday, 21 November 2026, 10:00 in Berlin
    await chat.send("/meeting 14.12. 18:30")
    for typed, begins, hint in PASSED[lang]:
        text = to_plain((await chat.send(typed)).messages[0].text)
        assert text.startswith(begins), typed
        assert PLANNED[lang] in text, typed
        assert text.endswith(hint), typed
    shown = await chat.send("/meeting")  # untouched, and so is its agenda request
    assert shown.messages[0].text.splitlines()[0] == {
        "en": "Your next meeting: <b>Monday, 14 December 2026 at 18:30</b>.",
        "de": ONE_OFF_WORDS["de"]["view"]}[lang]
    [request] = await items(service, ItemStatus.PENDING)
    assert (request.kind, request.due_at) == ("agenda_request", local(2026, 12, 13, 18, 30))

    await chat.send({"en": "/meeting today", "de": "/meeting heute"}[lang])
    earlier = (await chat.send("8:00")).messages[0].text  # still waiting: a later time is asked for
    assert earlier == rendered(lang, "calendar.meeting.passed", day="2026-11-21", days=0, paired=False,
                               at="08:00", when={"en": "today at 08:00",
                                                 "de": "heute um 08:00 Uhr"}[lang],
                               planned=PLANNED[lang].split(": ", 1)[1][:-1],
                               yearless_past=False, waiting=True)
    later = await chat.send("19:00")
    assert later.messages[0].text.startswith(
        {"en": "Noted: your next meeting is <b>today at 19:00</b>.",
         "de": "Notiert: Dein nächstes Treffen ist <b>heute um 19:00 Uhr</b>."}[lang])
    further_back = await chat.send("/meeting 5.9. 10:00")  # over two months ago: next year's
    assert {"en": "on Sunday, 5 September 2027 at 10:00",
            "de": "am Sonntag, 5. September 2027 um 10:00 Uhr"}[lang] in further_back.messages[0].text


# --- The planned ending ----------------------------------------------------------------------

AGREEMENT = {
    "en": ["To grow into a team lead role", "I lead my first project team", "Honest feedback",
           "I come prepared", "No calls after 8 pm", "/skip", "yes", "/skip", "1", "2", "About ten"],
    "de": ["In eine Teamleitung hineinwachsen", "Ich leite ein Projektteam", "Ehrliches Feedback",
           "Ich komme vorbereitet", "Keine Anrufe nach 20 Uhr", "/skip", "ja", "/skip", "1", "2",
           "Etwa zehn"],
}


async def agree(chat: Chat, lang: str, ends: str) -> None:
    """Walk the agreement (again: a revision), with this end date."""
    await chat.send("/agreement")
    for text in [*AGREEMENT[lang], ends, {"en": "Every second meeting", "de": "Jedes zweite Treffen"}[lang]]:
        await chat.send(text)
    confirm = next(b for b in chat.buttons if b.data.endswith(":confirm"))
    await chat.handle(PressIn(confirm.data))


def ladder(lang: str, ends: str) -> list[tuple[str, str]]:
    return [("ending_notice", rendered(lang, "calendar.ending.notice", ends=ends)),
            ("reflection_invite", rendered(lang, "calendar.ending.invite", ends=ends)),
            ("reflection_day", rendered(lang, "calendar.ending.day")),
            ("reflection_reminder", rendered(lang, "calendar.ending.reminder"))]


@pytest.mark.parametrize("lang", LANGS)
async def test_the_ending_ladder_in_order_with_consent_to_move_to_the_ending(
    service: ConversationService, chat: Chat, clock: FakeClock, lang: str
) -> None:
    await in_berlin(chat, lang)
    await agree(chat, lang, "31.01.2027")
    assert (await user(service, chat)).relationship_ends_on == date(2027, 1, 31)
    expected = ladder(lang, "2027-01-31")
    moments = [local(2027, 1, 3, 10), local(2027, 1, 24, 10), local(2027, 1, 31, 10),
               local(2027, 2, 7, 10)]

    notice = await next_sent(service, clock)
    assert notice is not None
    assert (notice.kind, notice.texts[0]) == expected[0]
    assert notice.at == moments[0]
    not_yet = await press_item(chat, notice, label(lang, "calendar.ending.not_yet_button"))
    assert not_yet == [rendered(lang, "calendar.ending.not_yet")]
    assert (await user(service, chat)).stage == "initiation"  # nothing moves without consent
    await press_item(chat, notice, label(lang, "calendar.ending.move_button"))
    assert (await user(service, chat)).stage == "ending"

    for (kind, text), moment in zip(expected[1:], moments[1:], strict=True):
        sent = await next_sent(service, clock)
        assert sent is not None
        assert (sent.kind, sent.texts[0]) == (kind, text)
        assert sent.at == moment
    assert await next_sent(service, clock) is None


async def test_on_the_day_the_reflection_begins_and_no_reminder_follows_once_it_is_done(
    service: ConversationService, chat: Chat, clock: FakeClock
) -> None:
    await in_berlin(chat, "en")
    await agree(chat, "en", "31.01.2027")
    for _ in range(2):
        await next_sent(service, clock)
    day = await next_sent(service, clock)
    assert day is not None
    assert day.kind == "reflection_day"
    assert day.texts[0] == rendered("en", "calendar.ending.day")
    assert len(day.texts) > 1  # and the reflection's first question
    me = await user(service, chat)
    async with service.sessionmaker.begin() as session:
        run = await active_run(session, me.id)
        assert run is not None
        assert run.dialog == "reflection"
        await save_run(session, run.id, step=run.step, status=RunStatus.COMPLETED, state=run.state,
                       now=clock.now)
    assert await next_sent(service, clock) is None  # the reminder is skipped
    [reminder] = [i for i in await items(service) if i.kind == "reflection_reminder"]
    assert reminder.status is ItemStatus.SKIPPED


@pytest.mark.parametrize("lang", LANGS)
async def test_a_revised_end_date_recomputes_the_ladder(
    service: ConversationService, chat: Chat, clock: FakeClock, lang: str
) -> None:
    await in_berlin(chat, lang)
    await agree(chat, lang, "31.01.2027")
    first = await items(service, ItemStatus.PENDING)
    assert [i.due_at for i in first] == [local(2027, 1, 3, 10), local(2027, 1, 24, 10),
                                         local(2027, 1, 31, 10), local(2027, 2, 7, 10)]
    await agree(chat, lang, "28.02.2027")  # the living agreement, revised
    pending = await items(service, ItemStatus.PENDING)
    assert [i.due_at for i in pending] == [local(2027, 1, 31, 10), local(2027, 2, 21, 10),
                                           local(2027, 2, 28, 10), local(2027, 3, 7, 10)]
    cancelled = {i.id for i in await items(service, ItemStatus.CANCELLED)}
    assert {i.id for i in first} <= cancelled
    notice = await next_sent(service, clock)
    assert notice is not None
    assert notice.texts[0] == rendered(lang, "calendar.ending.notice", ends="2027-02-28")


async def test_a_ladder_step_already_past_is_not_created(
    service: ConversationService, chat: Chat
) -> None:
    await in_berlin(chat, "en")
    await agree(chat, "en", "10.12.2026")  # 19 days away: the four-week notice has passed
    pending = await items(service, ItemStatus.PENDING)
    assert [i.kind for i in pending] == ["reflection_invite", "reflection_day",
                                        "reflection_reminder"]



async def test_the_ladder_comes_at_the_check_in_time_and_survives_a_replan_during_downtime(
    service: ConversationService, chat: Chat, clock: FakeClock
) -> None:
    await in_berlin(chat, "en")
    me = await user(service, chat)
    async with service.sessionmaker.begin() as session:
        await set_rule(session, me.id, "checkin", Rhythm(time(18, 30)).to_json(), clock.now)
    await agree(chat, "en", "31.01.2027")
    ladder_kinds = {"ending_notice", "reflection_invite", "reflection_day", "reflection_reminder"}
    pending = [i for i in await items(service, ItemStatus.PENDING) if i.kind in ladder_kinds]
    assert [i.due_at for i in pending] == [local(2027, 1, 3, 18, 30), local(2027, 1, 24, 18, 30),
                                           local(2027, 1, 31, 18, 30), local(2027, 2, 7, 18, 30)]

    clock.now = local(2027, 1, 3, 20, 30)  # the bot was down when the notice was due
    await chat.send("/meeting off")  # something replans before the dispatcher runs again
    assert pending[0].id in {i.id for i in await items(service, ItemStatus.PENDING)}
    sent = {got.kind: got for got in await dispatch(service)}  # within the grace window: sent
    assert sent["ending_notice"].texts[0] == rendered("en", "calendar.ending.notice",
                                                      ends="2027-01-31")

# --- A pause across the end --------------------------------------------------------------------

FOUR_WEEKS = {"en": "/pause 4 weeks", "de": "/pause 4 wochen"}


async def paused_over_the_end(service: ConversationService, chat: Chat, clock: FakeClock,
                              lang: str) -> None:
    """The end is 31 January (reminder due 7 February, 10:00); the notice and the invitation
    came, then on 28 January a four-week pause begins: resume on 25 February."""
    await in_berlin(chat, lang)
    await agree(chat, lang, "31.01.2027")
    for kind in ("ending_notice", "reflection_invite"):
        sent = await next_sent(service, clock)
        assert sent is not None
        assert sent.kind == kind
    clock.now = local(2027, 1, 28, 12)
    await chat.send(FOUR_WEEKS[lang])
    assert [i.kind for i in await items(service, ItemStatus.PENDING)] == ["welcome_back"]


@pytest.mark.parametrize("lang", LANGS)
async def test_a_pause_past_the_reminder_ends_with_one_reflection_prompt(
    service: ConversationService, chat: Chat, clock: FakeClock, lang: str
) -> None:
    await paused_over_the_end(service, chat, clock, lang)
    welcome = await next_sent(service, clock)
    assert welcome is not None
    assert welcome.kind == "welcome_back"
    assert welcome.local == datetime(2027, 2, 25, 8, 0, tzinfo=BERLIN)

    prompt = await next_sent(service, clock)  # the reminder the pause held back
    assert prompt is not None
    assert prompt.kind == "reflection_after_pause"
    assert prompt.local == datetime(2027, 2, 25, 8, 0, tzinfo=BERLIN)
    assert prompt.texts == [rendered(lang, "calendar.ending.after_pause", ends="2027-01-31")]
    started = await press_item(chat, prompt, label(lang, "calendar.ending.start_button"))
    me = await user(service, chat)
    async with service.sessionmaker.begin() as session:
        run = await active_run(session, me.id)
    assert run is not None
    assert run.dialog == "reflection"
    assert started
    assert await next_sent(service, clock) is None  # once


@pytest.mark.parametrize("lang", LANGS)
async def test_a_pause_ended_early_at_night_brings_the_prompt_when_the_quiet_hours_end(
    service: ConversationService, chat: Chat, clock: FakeClock, lang: str
) -> None:
    await paused_over_the_end(service, chat, clock, lang)
    clock.now = local(2027, 2, 10, 22, 30)  # the reminder's day has passed
    ended = await chat.send({"en": "/pause off", "de": "/pause aus"}[lang])
    assert ended.messages[0].text == rendered(lang, "calendar.pause.ended", next=None)

    prompt = await next_sent(service, clock)
    assert prompt is not None
    assert prompt.kind == "reflection_after_pause"
    assert prompt.local == datetime(2027, 2, 11, 8, 0, tzinfo=BERLIN)  # out of the quiet hours
    assert prompt.texts == [rendered(lang, "calendar.ending.after_pause", ends="2027-01-31")]
    assert await next_sent(service, clock) is None


async def test_no_prompt_after_a_pause_once_the_reflection_is_done(
    service: ConversationService, chat: Chat, clock: FakeClock
) -> None:
    await paused_over_the_end(service, chat, clock, "en")
    clock.now = local(2027, 2, 14, 11)
    await saved_run(chat, "reflection", {"achieved": "A team of my own"}, shared=False,
                    stage="ending")  # looked back during the pause, on their own
    welcome = await next_sent(service, clock)
    assert welcome is not None
    assert welcome.kind == "welcome_back"
    assert await next_sent(service, clock) is None
    assert "reflection_after_pause" not in {i.kind for i in await items(service)}


async def test_a_pause_that_ends_before_the_reminder_leaves_the_reminder_alone(
    service: ConversationService, chat: Chat, clock: FakeClock
) -> None:
    await in_berlin(chat, "en")
    await agree(chat, "en", "31.01.2027")
    for _ in range(2):
        await next_sent(service, clock)
    clock.now = local(2027, 1, 28, 12)
    await chat.send("/pause 1 week")  # over the day itself; back on 4 February
    kinds = [(got.kind, got.local.date()) for got in
             [await next_sent(service, clock), await next_sent(service, clock)] if got]
    assert kinds == [("welcome_back", date(2027, 2, 4)), ("reflection_reminder", date(2027, 2, 7))]
    assert await next_sent(service, clock) is None


async def test_no_second_prompt_after_a_pause_that_began_once_the_reminder_came(
    service: ConversationService, chat: Chat, clock: FakeClock
) -> None:
    await in_berlin(chat, "en")
    await agree(chat, "en", "31.01.2027")
    reminder = None
    while reminder is None or reminder.kind != "reflection_reminder":
        reminder = await next_sent(service, clock)
        assert reminder is not None
    clock.now = local(2027, 2, 9, 12)
    await chat.send("/pause 2 weeks")
    welcome = await next_sent(service, clock)
    assert welcome is not None
    assert welcome.kind == "welcome_back"
    assert await next_sent(service, clock) is None


# --- Over Telegram ---------------------------------------------------------------------------


async def test_the_agenda_request_arrives_over_telegram_and_its_button_starts_the_agenda(
    e2e: E2E,
) -> None:
    client = e2e.client()
    await client.send("/settings timezone Europe/Berlin")
    [confirmed] = await client.send("/meeting next tuesday 17:00")
    assert confirmed == say("en", "calendar.meeting.set", recurring=False, paired=False,
                            when="on Tuesday, 24 November 2026 at 17:00",
                            ask="on Monday, 23 November 2026 at 17:00")

    job = dispatch_job(e2e.service)  # one tick of the JobQueue's dispatcher, at the clock's now
    e2e.clock.now = local(2026, 11, 23, 17)
    await e2e.bot.app.update_queue.put(job.work(await job.dispatcher.claim()))
    await e2e.settle()
    assert client.last_text == say("en", "calendar.meeting.agenda_request",
                                   when="tomorrow at 17:00", paired=False)
    assert client.last_text.startswith("Your meeting is tomorrow at 17:00.")
    assert client.last_buttons == [say("en", "calendar.meeting.agenda_button")]

    started = await client.click(say("en", "calendar.meeting.agenda_button"))
    assert say("en", "agenda.intro") in "\n".join(started)
    run = await e2e.run(client.user_id, "agenda")
    assert run["status"] == "active"
    assert await items(e2e.service, ItemStatus.PENDING) == []  # a one-off meeting: nothing more
