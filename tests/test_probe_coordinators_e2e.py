"""The coordinator's side over the Telegram stub, probed as an outsider and a careless coordinator
would: /stats, /programme and /invite typed with another programme's name or forged as button
presses; programme names holding HTML, template syntax and emoji shown as typed; a cohort link
tapped again by someone already in it, an expired one and forged deep-link payloads; a pulse
pressed twice and forged. No coordinator message ever holds a member's answer."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from service.callbacks import item_data, scheduling_data
from service.programmes.invites import programme_invite
from storage.programmes import ProgrammeRecord
from storage.rows import INVITES, PULSES
from storage.vocabulary import Role
from tests.support.cohort import member, pair, programme, replan_people, seed_answer
from tests.telegram.harness import E2E, say
from tests.telegram.stub import BOT_USERNAME

CORA, OTTO, OLAF = 8201, 8202, 8203
SECRET = "the answer nobody but me may read"
HTML_NAME = "<b>Sp</b>ring {{ 7*7 }} 🌱"
LINK = re.compile(rf"https://t\.me/{BOT_USERNAME}\?start=([A-Za-z0-9_-]{{32}})")


async def _programmes(e2e: E2E) -> tuple[ProgrammeRecord, ProgrammeRecord]:
    """HTML_NAME coordinated by Cora, "Autumn secret" by Otto; a member of each answered."""
    spring = await programme(e2e.service, HTML_NAME, coordinators=(CORA,))
    autumn = await programme(e2e.service, "Autumn secret", coordinators=(OTTO,))
    for telegram_id, cohort in ((8301, spring), (8302, autumn)):
        answered = await member(e2e.service, telegram_id, f"Mem{telegram_id}", "UTC", cohort.id)
        await seed_answer(e2e.service, answered, SECRET)
    return spring, autumn


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_an_outsider_gets_one_refusal_for_every_command_and_forged_press(
        e2e: E2E, lang: str) -> None:
    spring, autumn = await _programmes(e2e)
    olaf = e2e.client(OLAF, lang=lang, first_name="Olaf")
    await olaf.send("/start")
    coordinators_only = say(lang, "mentors.roles.not_yours", for_coordinators=True,
                            for_mentors=False)
    for text in ("/stats", "/stats Autumn secret", f"/stats {spring.id}", "/programme",
                 "/programme autumn SECRET", "/programme " + "A" * 4000):
        assert await olaf.send(text) == [coordinators_only], text
    invited = await olaf.send("/invite Autumn secret")
    assert not LINK.search(" ".join(invited))
    message_id = olaf.last_message["message_id"]
    for data in (scheduling_data("stats", str(autumn.id)), scheduling_data("prog", str(spring.id)),
                 scheduling_data("pinv", f"{autumn.id}:mentor")):
        e2e.stub.press_button(OLAF, message_id, data, strict=False)
        await e2e.settle()
        assert "Autumn" not in olaf.last_text
        assert "Spring" not in olaf.last_text
        assert SECRET not in olaf.last_text
    assert [p for p in e2e.stub.photos if p["chat_id"] == OLAF] == []
    assert await e2e.rows(INVITES) == []


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_coordinator_naming_another_programme_sees_their_own_as_typed(
        e2e: E2E, lang: str) -> None:
    spring, autumn = await _programmes(e2e)
    cora = e2e.client(CORA, lang=lang, first_name="Cora")
    await cora.send("/start")
    for command in ("/stats", "/programme"):
        for args in ("", " Autumn secret", " <i>Autumn</i>", " {{ 7*7 }}", " 🌱" * 2000):
            [text] = await cora.send(command + args)
            assert HTML_NAME in text, (command, args)  # the name as typed, not bold, not 49
            assert "Autumn" not in text
            assert SECRET not in text
    message_id = cora.last_message["message_id"]
    e2e.stub.press_button(CORA, message_id, scheduling_data("stats", str(autumn.id)),
                          strict=False)
    await e2e.settle()
    assert cora.last_text == say(lang, "programmes.stats.not_coordinator")
    e2e.stub.press_button(CORA, message_id, scheduling_data("pinv", f"{autumn.id}:mentee"),
                          strict=False)
    await e2e.settle()
    assert cora.last_text == say(lang, "programme_admin.programme.not_coordinator")
    assert [p for p in e2e.stub.photos if p["chat_id"] == CORA] == []
    del spring


@pytest.mark.parametrize("e2e", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
async def test_a_cohort_link_tapped_again_keeps_its_places_and_forgeries_open_nothing(
        e2e: E2E) -> None:
    spring = await programme(e2e.service, "Spring", coordinators=(CORA,))
    async with e2e.service.sessionmaker.begin() as session:
        made = await programme_invite(session, spring, Role.MENTEE, uses=2,
                                      valid_for=timedelta(days=1), created_by=None,
                                      now=e2e.clock())
    ana = e2e.client(8401, first_name="Ana")
    for _ in range(3):
        assert any("Spring" in text for text in await ana.send(f"/start {made.token}"))
    ben = e2e.client(8402, first_name="Ben")
    assert any("Spring" in text for text in await ben.send(f"/start {made.token}"))
    [invite] = await e2e.rows(INVITES)
    assert invite["uses_left"] == 0
    for number, payload in enumerate((made.token[::-1], "QUJD" * 16, "=" * 40, "x" * 3000,
                                      made.token + "A"), start=8410):
        eve = e2e.client(number, first_name="Eve")
        assert not any("Spring" in text for text in await eve.send(f"/start {payload}"))
        user = await e2e.user(number)
        assert user is None or user["programme_id"] is None

    async with e2e.service.sessionmaker.begin() as session:
        later = await programme_invite(session, spring, Role.MENTOR, uses=5,
                                       valid_for=timedelta(days=1), created_by=None,
                                       now=e2e.clock())
    e2e.clock.advance(days=2)
    late = e2e.client(8420, lang="de", first_name="Lea")
    sent = await late.send(f"/start {later.token}")
    assert sent[0] == say("de", "mentors.invite.expired", mentor=None, cohort=True)  # not "your mentor"
    assert not any("Spring" in text for text in sent)
    user = await e2e.user(8420)
    assert user is None or user["programme_id"] is None


@pytest.mark.parametrize("e2e", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
async def test_a_pulse_pressed_twice_or_forged_is_counted_once(e2e: E2E) -> None:
    await e2e.stop()
    await e2e.start(dispatch_every=0.05)
    cohort = await programme(e2e.service, "Spring", coordinators=(CORA,))
    mentor = await member(e2e.service, 8501, "Max", "UTC", cohort.id, role=Role.MENTOR)
    mentee = await member(e2e.service, 8502, "Ana", "UTC", cohort.id)
    await member(e2e.service, 8503, "Eve", "UTC", cohort.id)
    await pair(e2e.service, mentor, mentee, cohort.id, date(2026, 10, 25))
    await replan_people(e2e.service, 8501, 8502)
    ana = e2e.client(8502, first_name="Ana")
    await ana.send("/help")  # a chat the bot may write to
    e2e.clock.now = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
    await e2e.stub.wait_for(lambda: bool(ana.messages) and ana.last_buttons == [
        "1", "2", "3", "4", "5"], what="the pulse question")
    question = ana.last_message
    data = next(b["callback_data"] for row in question["reply_markup"]["inline_keyboard"]
                for b in row if b["text"] == "2")
    await ana.click("4")
    e2e.stub.press_button(8502, question["message_id"], data, strict=False)  # pressed again
    await e2e.settle()
    eve = e2e.client(8503, first_name="Eve")
    await eve.send("/start")
    item = int(data.split(":")[1])
    e2e.stub.press_button(8503, eve.last_message["message_id"], item_data(item, "five"),
                          strict=False)
    await e2e.settle()
    assert [(row["side"], row["score"]) for row in await e2e.rows(PULSES)] == [("mentee", 4)]
