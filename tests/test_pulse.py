"""The relationship pulse: 30 days after pairing, then every 60 days, each side asked on its own
(1-5) with a note that the programme team reads it, not the other person; an optional comment;
the score reaches the figures as an average, the comment never reaches the other side."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bot.terminal import to_plain
from service.conversation import ConversationService
from service.programmes.pulse import pulse_days
from storage.rows import PULSES
from storage.users import update_user
from storage.vocabulary import Role
from tests.support.chat import Chat, shown
from tests.support.clock import FakeClock
from tests.support.cohort import member, one_pass, pair, programme, replan_people


def test_pulse_days_follow_30_then_every_60() -> None:
    start = date(2026, 10, 1)
    assert pulse_days(start, date(2026, 10, 5)) == (date(2026, 10, 31), date(2026, 12, 30))
    assert pulse_days(start, date(2026, 11, 21)) == (date(2026, 10, 31), date(2026, 12, 30))
    assert pulse_days(start, date(2027, 1, 2)) == (date(2026, 12, 30), date(2027, 2, 28))


async def test_each_side_is_asked_separately_and_the_comment_stays_with_the_team(
        service: ConversationService, clock: FakeClock) -> None:
    cohort = await programme(service)
    mentor = await member(service, 301, "Max Mentor", "Europe/Berlin", cohort.id, role=Role.MENTOR)
    mentee = await member(service, 302, "Ana Mentee", "Asia/Tokyo", cohort.id)
    await pair(service, mentor, mentee, cohort.id, date(2026, 10, 25))  # 30 days: 24 November
    max_chat = Chat(service, user_id=301, name="Max")
    ana_chat = Chat(service, user_id=302, name="Ana")
    await replan_people(service, 301, 302)  # as pairing them does

    clock.now = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert [d.recipient for d in await one_pass(service)] == [302]  # 17:00 in Tokyo
    clock.now = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
    sent = await one_pass(service)
    assert [d.recipient for d in sent] == [301]  # 17:00 in Berlin
    question = to_plain(sent[0].messages[0].text)
    assert "How is the mentoring relationship with Ana going for you?" in question
    assert "read by the programme team, not by Ana" in question
    max_chat.buttons = sent[0].messages[0].choices
    assert [b.label for b in max_chat.buttons] == ["1", "2", "3", "4", "5"]

    await max_chat.press("4")
    assert "add a few words for the programme team" in max_chat.last_text
    await max_chat.send("She rarely replies, honestly")
    assert max_chat.last_text == "Thank you, I've passed your words on to the programme team."
    async with service.sessionmaker.begin() as session:
        rows = (await session.execute(select(PULSES.c.side, PULSES.c.score,
                                             PULSES.c.comment))).all()
    assert [tuple(row) for row in rows] == [("mentor", 4, "She rarely replies, honestly")]
    assert not any("rarely replies" in to_plain(m.text) for r in ana_chat.log
                   for m in r.messages)

    clock.now = datetime(2026, 12, 23, 16, 0, tzinfo=UTC)  # the next one, 60 days on
    await one_pass(service)
    clock.now = datetime(2027, 1, 23, 16, 0, tzinfo=UTC)
    assert 301 in [d.recipient for d in await one_pass(service)]


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_comment_of_only_invisible_characters_is_no_comment(
        service: ConversationService, clock: FakeClock, lang: str) -> None:
    """Zero-width characters (with spaces) after the score are nothing typed: no comment is
    kept and no thanks for one is said; the score stays."""
    cohort = await programme(service)
    mentor = await member(service, 301, "Max", "Europe/Berlin", cohort.id, role=Role.MENTOR)
    mentee = await member(service, 302, "Ana", "Europe/Berlin", cohort.id)
    async with service.sessionmaker.begin() as session:
        await update_user(session, mentee.id, clock(), language=lang)
    await pair(service, mentor, mentee, cohort.id, date(2026, 10, 25))
    await replan_people(service, 301, 302)
    clock.now = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
    ana = Chat(service, user_id=302, name="Ana", language=lang)
    ana.buttons = next(d for d in await one_pass(service) if d.recipient == 302).messages[0].choices
    await ana.press("3")
    typed = await ana.send("\u200b \u2060\ufeff")
    assert shown(lang, "programmes.pulse.thanks") not in ana.texts(typed)
    async with service.sessionmaker.begin() as session:
        rows = (await session.execute(select(PULSES.c.score, PULSES.c.comment))).all()
    assert [tuple(row) for row in rows] == [(3, None)]
