"""/export holds the rest of what is kept about a person, and only what is theirs: their own
relationship pulse answers (never the other side's), the notes they sent their mentor with the
replies addressed to them (a mentor: the notes addressed to them and their own replies, never a
note to another mentor), their scheduling settings as they stand, and the invite links they made;
in the JSON and on the page, in en and de, times on the person's own clock."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from prompts.catalog import default_catalog
from service.conversation import ConversationService
from storage.users import update_user
from storage.vocabulary import Role
from tests.support.chat import Chat, rendered
from tests.support.clock import FakeClock
from tests.support.cohort import member, one_pass, pair, programme, replan_people
from tests.support.mentoring import pair as pair_chats
from tests.test_export_pairings import exported
from tests.test_mentor_accounts import as_mentor, invite_token

DAY = {"en": "{d} November 2026", "de": "{d}. November 2026"}


def moment(lang: str, day: int, time: str) -> str:
    """A day and time as the page says it (the FakeClock's November 2026)."""
    return rendered(lang, "common.export.moment", day=DAY[lang].format(d=day), time=time)


def everything(data: dict[str, Any], page: str) -> str:
    """The JSON and the page as one text to search."""
    return json.dumps(data, ensure_ascii=False) + page


async def both_pulses(service: ConversationService, clock: FakeClock,
                      lang: str) -> tuple[Chat, Chat, int]:
    """Max (Berlin) mentors Ana (Tokyo) in a programme; on the pulse day each answers on their
    own at 17:00 local: Ana 2 with a comment, Max 4 with his own."""
    cohort = await programme(service)
    max_user = await member(service, 301, "Max Mentor", "Europe/Berlin", cohort.id,
                            role=Role.MENTOR)
    ana_user = await member(service, 302, "Ana Mentee", "Asia/Tokyo", cohort.id)
    async with service.sessionmaker.begin() as session:
        for user in (max_user, ana_user):
            await update_user(session, user.id, service.clock(), language=lang,
                              language_chosen=True)
    pairing = await pair(service, max_user, ana_user, cohort.id, date(2026, 10, 25))
    await replan_people(service, 301, 302)
    max_chat = Chat(service, user_id=301, name="Max", language=lang)
    ana_chat = Chat(service, user_id=302, name="Ana", language=lang)
    for chat, hour, score, comment in ((ana_chat, 8, "2", "ANA thinks <b>slow</b>"),
                                       (max_chat, 16, "4", "MAX finds her quiet")):
        clock.now = datetime(2026, 11, 24, hour, 0, tzinfo=UTC)
        [sent] = [d for d in await one_pass(service) if d.recipient == chat.user_id]
        chat.buttons = sent.messages[0].choices
        await chat.press(score)
        await chat.send(comment)
    return ana_chat, max_chat, pairing


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_each_side_exports_its_own_pulse_and_never_the_others(
        service: ConversationService, clock: FakeClock, lang: str) -> None:
    ana, max_chat, pairing = await both_pulses(service, clock, lang)

    data, page = await exported(ana)
    assert data["pulses"] == [{"pairing": pairing, "as": "mentee", "with": "Max", "score": 2,
                               "comment": "ANA thinks <b>slow</b>",
                               "at": "2026-11-24T08:00:00+00:00"}]
    assert rendered(lang, "common.export.pulses") in page
    # 08:00 UTC is 17:00 in Tokyo; the comment escaped like every value on the page.
    assert rendered(lang, "common.export.pulse", when=moment(lang, 24, "17:00"), name="Max",
                    score=2, comment="ANA thinks <b>slow</b>") in page
    assert "<b>slow</b>" not in page
    assert "MAX finds her quiet" not in everything(data, page)
    assert data["user"]["programme"] == "Spring cohort"

    data, page = await exported(max_chat)
    assert [(p["as"], p["with"], p["score"], p["comment"]) for p in data["pulses"]] == [
        ("mentor", "Ana", 4, "MAX finds her quiet")]
    assert rendered(lang, "common.export.pulse", when=moment(lang, 24, "17:00"), name="Ana",
                    score=4, comment="MAX finds her quiet") in page
    assert "ANA thinks" not in everything(data, page)


async def notes_and_replies(service: ConversationService, clock: FakeClock,
                            lang: str) -> tuple[Chat, Chat, Chat]:
    """Ben mentors Ana (Berlin) and Cleo: Ana writes to him at 10:00 her time and he replies two
    hours later; Cleo writes too and gets no reply."""
    ben = Chat(service, 701, language=lang, name="Ben Berg")
    ana = Chat(service, 702, language=lang, name="Ana Lima")
    cleo = Chat(service, 703, language=lang, name="Cleo Stone")
    await pair_chats(ben, ana)
    await pair_chats(ben, cleo)
    await ana.send("/settings timezone Europe/Berlin")
    sent = await ana.send("/askmentor ANA needs <i>advice</i>")
    [alert] = [d for d in sent.deliveries if d.recipient == ben.user_id]
    ben.buttons = alert.messages[0].choices
    clock.advance(hours=2)
    await ben.press(0)
    await ben.send("BEN answers Ana")
    await cleo.send("/askmentor CLEO asks something")
    return ben, ana, cleo


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_mentee_exports_her_notes_and_the_replies_to_her(
        service: ConversationService, clock: FakeClock, lang: str) -> None:
    _, ana, cleo = await notes_and_replies(service, clock, lang)

    data, page = await exported(ana)
    [note] = data["notes"]
    assert {k: v for k, v in note.items() if k != "pairing"} == {
        "as": "mentee", "with": "Ben", "note": "ANA needs <i>advice</i>",
        "sent_at": "2026-11-21T09:00:00+00:00", "reply": "BEN answers Ana",
        "replied_at": "2026-11-21T11:00:00+00:00"}
    assert rendered(lang, "common.export.notes") in page
    assert '<li class="words">' + rendered(  # its lines kept (white-space: pre-wrap)
        lang, "common.export.note", as_mentor=False, name="Ben", when=moment(lang, 21, "10:00"),
        note="ANA needs <i>advice</i>") in page
    assert "li.words{white-space:pre-wrap}" in page
    assert rendered(lang, "common.export.reply", as_mentor=False, name="Ben",
                    when=moment(lang, 21, "12:00"), reply="BEN answers Ana") in page
    assert "CLEO" not in everything(data, page)  # another mentee's note to the same mentor
    assert "Cleo" not in everything(data, page)

    data, page = await exported(cleo)
    assert [(n["note"], n["reply"]) for n in data["notes"]] == [("CLEO asks something", None)]
    assert "ANA needs" not in everything(data, page)
    assert "BEN answers" not in everything(data, page)


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_mentor_exports_the_notes_to_him_and_his_replies(
        service: ConversationService, clock: FakeClock, lang: str) -> None:
    ben, _, _ = await notes_and_replies(service, clock, lang)
    data, page = await exported(ben)
    assert [(n["as"], n["with"], n["note"], n["reply"]) for n in data["notes"]] == [
        ("mentor", "Ana", "ANA needs <i>advice</i>", "BEN answers Ana"),
        ("mentor", "Cleo", "CLEO asks something", None)]
    # His clock is UTC: the note came at 09:00, his reply went at 11:00.
    assert rendered(lang, "common.export.note", as_mentor=True, name="Ana",
                    when=moment(lang, 21, "09:00"), note="ANA needs <i>advice</i>") in page
    assert rendered(lang, "common.export.reply", as_mentor=True, name="Ana",
                    when=moment(lang, 21, "11:00"), reply="BEN answers Ana") in page
    assert rendered(lang, "common.export.note", as_mentor=True, name="Cleo",
                    when=moment(lang, 21, "11:00"), note="CLEO asks something") in page
    for name in ("Lima", "Stone"):
        assert name not in everything(data, page)


CHECKINS = {"en": "/checkins daily 18:00", "de": "/checkins täglich 18:00"}
PAUSE = {"en": "/pause 1 week", "de": "/pause 1 woche"}


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_the_page_shows_the_scheduling_settings_as_they_stand(
        service: ConversationService, lang: str) -> None:
    chat = Chat(service, 801, language=lang)
    await chat.send("/settings timezone Europe/Berlin")
    _, page = await exported(chat)
    assert rendered(lang, "common.export.scheduling") in page
    assert rendered(lang, "common.export.quiet",
                    quiet=rendered(lang, "common.export.quiet_default")) in page

    await chat.send(CHECKINS[lang])
    await chat.send("/meeting 14.12. 18:30")
    await chat.send("/settings quiet 22:00-07:30")
    await chat.send(PAUSE[lang])
    data, page = await exported(chat)
    assert data["schedule"]["meeting"] == {"once": "2026-12-14T18:30", "zone": "Europe/Berlin"}
    assert data["user"]["quiet_hours"] == "22:00-07:30"
    daily = rendered(lang, "checkins.rhythm", kind="daily", days=[], every=1, nth=None,
                     at="18:00")
    assert rendered(lang, "common.export.rule", kind="checkin", what=daily) in page
    meeting = rendered(lang, "common.export.moment", time="18:30",
                       day={"en": "14 December 2026", "de": "14. Dezember 2026"}[lang])
    assert rendered(lang, "common.export.rule", kind="meeting", what=meeting) in page
    assert rendered(lang, "common.export.quiet", quiet="22:00–07:30") in page
    # The pause's end on her clock (Berlin), whatever hour the pause rounds it to.
    until = datetime.fromisoformat(data["user"]["paused_until"]).astimezone(
        ZoneInfo("Europe/Berlin"))
    assert until.date() >= date(2026, 11, 28)
    when = rendered(lang, "common.export.moment", time=until.strftime("%H:%M"),
                    day=default_catalog().format_date(lang, until.date().isoformat()))
    assert rendered(lang, "common.export.paused", when=when) in page

    # Moved to New York, the meeting agreed in Berlin is at its moment on her new clock.
    await chat.send("/settings timezone America/New_York")
    _, page = await exported(chat)
    meeting = rendered(lang, "common.export.moment", time="12:30",
                       day={"en": "14 December 2026", "de": "14. Dezember 2026"}[lang])
    assert rendered(lang, "common.export.rule", kind="meeting", what=meeting) in page


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_mentors_export_lists_his_invite_links_and_never_a_token(
        service: ConversationService, lang: str) -> None:
    ben = await as_mentor(service, lang)
    token = await invite_token(ben)
    data, page = await exported(ben)
    [invite] = data["invites"]
    assert (invite["role"], invite["uses_left"], invite["created_at"]) == (
        "mentee", 1, "2026-11-21T09:00:00+00:00")
    assert rendered(lang, "common.export.invites") in page
    assert token not in everything(data, page)
    ana = Chat(service, user_id=611, language=lang, name="Ana Lima")
    await ana.send(f"/start {token}")
    ana_data, ana_page = await exported(ana)
    assert ana_data["invites"] == []
    assert rendered(lang, "common.export.invites") not in ana_page
