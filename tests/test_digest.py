"""The mentor's digest as a mentor lives it, with the clock moved by hand: the default Friday
16:00, `/digest` to see and change it (typed en/de, buttons), only what was shared since the last
digest and never a private answer, no digest when there is nothing new, the flags, a long digest
split for Telegram, and the mentor's own dialogs never shared."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.telegram.sending import LIMIT, split_html
from bot.terminal import to_plain
from dialogs.registry import default_scripts
from prompts.catalog import default_catalog
from service.conversation import ConversationService
from service.mentors.digest import MenteeNews, render_digest
from service.messages import OutMessage
from service.render import Renderer
from storage.help import ask_help
from storage.schedule import listing, pending_items
from storage.shared import shared_answers
from storage.users import update_user
from storage.vocabulary import ItemStatus
from tests.support.chat import Chat, shown
from tests.support.clock import FakeClock
from tests.support.mentoring import one_pass, pair, replan_for, saved_run, to, user_id

# The FakeClock starts on Saturday, 21 November 2026, 09:00 UTC; zones are UTC unless set.
FRIDAY_16 = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)


def plain(messages: list[OutMessage]) -> str:
    return "\n".join(to_plain(m.text) for m in messages)


def checkin(helped: str, confidence: int, for_mentor: str | None = None) -> dict[str, object]:
    answers: dict[str, object] = {"helped": helped, "in_the_way": "time", "confidence": confidence}
    if for_mentor:
        answers["for_mentor"] = for_mentor
    return answers


async def digest_at(mentor: Chat, clock: FakeClock, moment: datetime) -> str:
    """The digest the mentor gets at `moment` (their own check-in's invitation left out)."""
    clock.now = moment
    own = ("Time for your own short check-in", "Zeit für deinen eigenen kurzen Check-in")
    return plain([m for m in to(mentor, await one_pass(mentor.service))
                  if not any(words in m.text for words in own)])


async def digest_statuses(mentor: Chat) -> list[ItemStatus]:
    async with mentor.service.sessionmaker.begin() as session:
        return [row.item.status for row in await listing(session, user_id=mentor.user_id)
                if row.item.kind == "digest"]


async def test_default_weekly_friday_and_only_shared_answers(service: ConversationService,
                                                              clock: FakeClock) -> None:
    mentor, mentee = Chat(service, 2001, name="Maria Meyer"), Chat(service, 2002, name="Ana Lopez")
    await pair(mentor, mentee)
    await saved_run(mentee, "checkin", checkin("my running group", 7, "Talk about pacing"),
                    shared=True)
    await saved_run(mentee, "checkin", checkin("a SECRET diary", 6), shared=False)
    async with service.sessionmaker.begin() as session:
        pending = await pending_items(session, await user_id(mentor), ["digest"])
    assert [item.due_at for item in pending] == [FRIDAY_16]  # planned when they were paired
    assert await digest_at(mentor, clock, FRIDAY_16 - timedelta(minutes=1)) == ""
    text = await digest_at(mentor, clock, FRIDAY_16)
    assert "Your digest" in text
    assert "Ana" in text
    assert "Lopez" not in text
    assert "my running group" in text
    assert "Talk about pacing" in text
    assert "My confidence: 7" in text
    assert "SECRET" not in text


async def test_nothing_new_means_no_digest_then_only_what_is_new(service: ConversationService,
                                                                 clock: FakeClock) -> None:
    mentor, mentee = Chat(service, 2001), Chat(service, 2002)
    await pair(mentor, mentee)
    await saved_run(mentee, "checkin", checkin("first week notes", 6), shared=True)
    assert "first week notes" in await digest_at(mentor, clock, FRIDAY_16)
    assert await digest_at(mentor, clock, FRIDAY_16 + timedelta(weeks=1)) == ""
    assert await digest_statuses(mentor) == [ItemStatus.SENT, ItemStatus.SKIPPED, ItemStatus.PENDING]
    clock.now += timedelta(days=2)
    await saved_run(mentee, "checkin", checkin("third week notes", 6), shared=True)
    text = await digest_at(mentor, clock, FRIDAY_16 + timedelta(weeks=2))
    assert "third week notes" in text
    assert "first week notes" not in text
    assert "shared since Friday" not in text
    assert "27 November 2026" in text


async def test_flags_confidence_down_help_and_ending(service: ConversationService,
                                                     clock: FakeClock) -> None:
    mentor, mentee = Chat(service, 2001), Chat(service, 2002, name="Ana")
    pairing = await pair(mentor, mentee, ends_on=date(2026, 12, 20))
    await saved_run(mentee, "checkin", checkin("good", 8), shared=True)
    await saved_run(mentee, "checkin", checkin("hard week", 4), shared=True)
    async with service.sessionmaker.begin() as session:
        await ask_help(session, pairing_id=pairing.id, mentee_id=pairing.mentee_id,
                       mentor_id=pairing.mentor_id, note="Can we talk?", now=clock.now)
    text = await digest_at(mentor, clock, FRIDAY_16)
    assert "Ana asked you for help." in text
    assert "Can we talk?" in text
    assert "Confidence went down by 3 or more" in text
    assert "The planned end is in 23 days." in text


@pytest.mark.parametrize(("lang", "ends", "said"), [
    ("en", date(2026, 11, 27), "The planned end is today."),
    ("en", date(2026, 11, 28), "The planned end is tomorrow."),
    ("de", date(2026, 11, 27), "Das geplante Ende ist heute."),
    ("de", date(2026, 11, 28), "Das geplante Ende ist morgen.")])
async def test_an_ending_today_or_tomorrow_is_said_so(
        service: ConversationService, clock: FakeClock, lang: str, ends: date, said: str) -> None:
    mentor, mentee = Chat(service, 2001, language=lang), Chat(service, 2002, name="Ana")
    await pair(mentor, mentee, ends_on=ends)
    assert said in await digest_at(mentor, clock, FRIDAY_16)


async def test_flags_alone_make_a_digest(service: ConversationService, clock: FakeClock) -> None:
    mentor, mentee = Chat(service, 2001), Chat(service, 2002, name="Ana")
    await pair(mentor, mentee)
    async with service.sessionmaker.begin() as session:
        await update_user(session, await user_id(mentee), clock.now, active=False)
    text = await digest_at(mentor, clock, FRIDAY_16)
    assert "I can't reach Ana any more" in text


async def test_digest_command_typed_in_english(service: ConversationService) -> None:
    mentor, mentee = Chat(service, 2001), Chat(service, 2002)
    await pair(mentor, mentee)
    await mentor.send("/digest")
    assert "every Friday at 16:00" in mentor.last_text
    assert "Friday, 27 November 2026 at 16:00" in mentor.last_text
    await mentor.send("/digest daily 08:00")
    assert "your digest comes every day at 08:00" in mentor.last_text
    assert "The next one: tomorrow at 08:00." in mentor.last_text
    async with service.sessionmaker.begin() as session:
        pending = await pending_items(session, await user_id(mentor), ["digest"])
    assert [i.due_at for i in pending] == [datetime(2026, 11, 22, 8, tzinfo=UTC)]
    await mentor.send("/digest off")
    assert mentor.last_text == shown("en", "digest.stopped")
    async with service.sessionmaker.begin() as session:
        assert await pending_items(session, await user_id(mentor), ["digest"]) == []
    await replan_for(mentee)  # the mentee's side plans nothing once the mentor turned it off
    async with service.sessionmaker.begin() as session:
        assert await pending_items(session, await user_id(mentor), ["digest"]) == []
    await mentor.send("/digest sometimes")
    assert "couldn't read “sometimes”" in mentor.last_text


async def test_digest_command_in_german_and_buttons(service: ConversationService) -> None:
    mentor = Chat(service, 2001, language="de")
    await pair(mentor, Chat(service, 2002))
    await mentor.send("/settings zeitzone Europe/Berlin")
    await mentor.send("/digest mo 07:30")
    assert "Dein Überblick kommt jeden Montag um 07:30 Uhr" in mentor.last_text
    await mentor.send("/digest")
    await mentor.press("Wöchentlich")
    await mentor.press("Mittwoch")
    await mentor.press("17:30")
    assert "jeden Mittwoch um 17:30 Uhr" in mentor.last_text
    await mentor.send("/digest")
    await mentor.press("Aus")
    assert mentor.last_text == shown("de", "digest.stopped")


@pytest.mark.parametrize(("lang", "typed", "said"), [
    ("en", "daily", "The next one: tomorrow at 08:00. 07:15 falls in your quiet hours "
                    "(21:00–08:00), so I'll come at 08:00 instead"),
    ("de", "täglich", "Der nächste: morgen um 08:00 Uhr. 07:15 Uhr liegt in deinen Ruhezeiten "
                      "(21:00–08:00), deshalb melde ich mich erst um 08:00 Uhr")])
async def test_a_digest_time_in_the_quiet_hours_is_explained(service: ConversationService,
                                                             lang: str, typed: str,
                                                             said: str) -> None:
    mentor = Chat(service, 2001, language=lang)
    await pair(mentor, Chat(service, 2002))
    await mentor.send(f"/digest {typed} 07:15")
    assert said in mentor.last_text
    assert "/settings" in mentor.last_text
    await mentor.send(f"/digest {typed} 18:30")
    assert "(21:00–08:00)" not in mentor.last_text


async def test_digest_command_shows_what_is_new_without_using_it_up(
        service: ConversationService, clock: FakeClock) -> None:
    mentor, mentee = Chat(service, 2001), Chat(service, 2002, name="Ana")
    await pair(mentor, mentee)
    answer = await mentor.send("/digest")
    assert mentor.texts(answer).startswith(shown("en", "digest.nothing_new", since=None))
    await saved_run(mentee, "checkin", checkin("my running group", 7), shared=True)
    await saved_run(mentee, "checkin", checkin("a SECRET diary", 6), shared=False)
    text = mentor.texts(await mentor.send("/digest"))
    assert "Your digest" in text
    assert "my running group" in text
    assert "SECRET" not in text
    assert shown("en", "digest.so_far") in text
    assert "every Friday at 16:00" in text  # and the rhythm, with how to change it
    assert "/digest daily 08:00" in text
    assert "my running group" in await digest_at(mentor, clock, FRIDAY_16)  # not used up
    clock.now += timedelta(hours=1)
    text = mentor.texts(await mentor.send("/digest"))
    assert "my running group" not in text
    assert text.startswith(shown("en", "digest.nothing_new", since="2026-11-27"))


async def test_digest_command_in_german_shows_the_news_as_ueberblick(
        service: ConversationService) -> None:
    mentor, mentee = Chat(service, 2001, language="de"), Chat(service, 2002, name="Ana")
    await pair(mentor, mentee)
    await saved_run(mentee, "checkin", checkin("my running group", 7), shared=True)
    text = mentor.texts(await mentor.send("/digest"))
    assert "Dein Überblick" in text
    assert "my running group" in text
    assert shown("de", "digest.so_far") in text
    assert "Digest" not in text.replace("/digest", "")


@pytest.mark.parametrize(("lang", "weekly", "friday", "daily", "said"), [
    ("en", "Weekly", "Friday", "Daily", ("every Friday at 17:45", "every day at 09:15")),
    ("de", "Wöchentlich", "Freitag", "Täglich",
     ("jeden Freitag um 17:45 Uhr", "jeden Tag um 09:15 Uhr"))])
async def test_the_pickers_take_a_typed_day_and_time_and_ask_again_after_other_text(
        service: ConversationService, lang: str, weekly: str, friday: str, daily: str,
        said: tuple[str, str]) -> None:
    mentor = Chat(service, 2001, language=lang)
    await pair(mentor, Chat(service, 2002))
    await mentor.send("/digest")
    await mentor.press(weekly)
    response = await mentor.send("sometimes")
    assert mentor.texts(response) == "\n".join((shown(lang, "checkins.typed.day", text="sometimes"),
                                               shown(lang, "digest.which_day")))
    assert len(mentor.buttons) == 7
    await mentor.send(friday)
    response = await mentor.send("25:99")
    assert mentor.texts(response) == "\n".join((shown(lang, "checkins.typed.time", text="25:99"),
                                               shown(lang, "digest.which_time")))
    assert len(mentor.buttons) == 4
    assert said[0] in mentor.texts(await mentor.send("17:45"))
    await mentor.send("/digest")
    await mentor.press(daily)
    assert shown(lang, "digest.which_time") == mentor.last_text
    assert said[1] in mentor.texts(await mentor.send("09:15"))


async def test_digest_is_for_mentors(chat: Chat) -> None:
    await chat.send("/digest")  # the command table refuses a mentor's command to a mentee
    assert chat.last_text == shown("en", "mentors.roles.not_yours", for_mentors=True)


async def test_digest_frame_in_the_mentors_language_words_as_written(
        service: ConversationService, clock: FakeClock) -> None:
    mentor, mentee = Chat(service, 2001, language="de"), Chat(service, 2002, name="Ana")
    await pair(mentor, mentee)
    await saved_run(mentee, "checkin", checkin("my running group", 7), shared=True)
    text = await digest_at(mentor, clock, FRIDAY_16)
    assert "Dein Überblick" in text
    assert "Meine Zuversicht: 7" in text
    assert "my running group" in text
    assert "How confident" not in text


async def test_a_long_digest_is_split_for_telegram(service: ConversationService,
                                                   clock: FakeClock) -> None:
    mentor, mentee = Chat(service, 2001), Chat(service, 2002)
    await pair(mentor, mentee)
    for week in range(12):
        await saved_run(mentee, "checkin", checkin(f"week {week} " + "word " * 120, 6),
                        shared=True)
    clock.now = FRIDAY_16
    messages = to(mentor, await one_pass(service))
    assert sum(len(m.text) for m in messages) > LIMIT
    parts = [part for m in messages for part in split_html(m.text)]
    assert len(parts) > 1
    assert all(len(part) <= LIMIT for part in parts)
    joined = "".join(parts)
    assert all(f"week {week} " in joined for week in range(12))


async def test_a_mentors_own_dialogs_are_never_shared(service: ConversationService) -> None:
    """Someone who mentors and is mentored: their mentor check-in stays theirs, even when they
    share everything by default."""
    their_mentor, middle, mentee = Chat(service, 2001), Chat(service, 2002), Chat(service, 2003)
    upper = await pair(their_mentor, middle)
    await pair(middle, mentee)
    await saved_run(middle, "mentor_checkin", {"capacity": 2, "comment": "TIRED"}, shared=True)
    await saved_run(middle, "checkin", checkin("visible", 5), shared=True)
    async with service.sessionmaker.begin() as session:
        answers = await shared_answers(session, upper.mentor_id, upper.id)
    assert {a.dialog for a in answers} == {"checkin"}


_counter = iter(range(10_000, 1_000_000, 2))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.booleans(), min_size=1, max_size=6))
async def test_property_the_digest_holds_exactly_the_shared_answers(
        service: ConversationService, clock: FakeClock, choices: list[bool]) -> None:
    first = next(_counter)
    mentor, mentee = Chat(service, first), Chat(service, first + 1)
    clock.now = datetime(2026, 11, 21, 9, tzinfo=UTC)
    await pair(mentor, mentee)
    for index, shared in enumerate(choices):
        await saved_run(mentee, "checkin", checkin(f"marker{first}x{index}y", 6), shared=shared)
    clock.now = FRIDAY_16
    text = plain(to(mentor, await one_pass(service)))
    for index, shared in enumerate(choices):
        assert (f"marker{first}x{index}y" in text) == shared


@pytest.mark.parametrize("lang", ["en", "de"])
def test_a_quiet_mentee_without_a_name_is_named_as_what_they_are_never_a_question_mark(
        lang: str) -> None:
    """A person met only in the terminal chat has no first name; the digest's list of those with
    nothing new says who they are to the mentor instead."""
    news = [MenteeNews(1, "Ana", (), (), (), ("ending",), 3),
            MenteeNews(2, None, (), (), (), (), None)]  # as for a sole mentee (service.names)
    messages = render_digest(Renderer(default_catalog(), lang), default_scripts(), news, "UTC",
                             None)
    text = to_plain(messages[-1].text)
    assert "?" not in text
    assert {"en": "your mentee", "de": "der Person, die du begleitest"}[lang] in text
