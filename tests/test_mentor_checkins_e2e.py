"""A mentor's own check-in rhythm in Telegram (the real Application over the Bot API stub): /checkins
is in the mentor's menu, shows the rhythm, and the pickers and the typed forms change it, en and
de; someone on both sides gets both rhythms, each with its own buttons."""

from __future__ import annotations

import pytest

from storage.rows import SCHEDULES
from tests.telegram.harness import E2E, say
from tests.test_mentor_accounts_e2e import chat_menu

MENTOR, BOTH = 7201, 7202
NO_QUIET: dict[str, str | None] = {"quiet": None, "at": "", "quiet_end": ""}  # not in quiet hours
FORTNIGHTLY_FRIDAY = {"en": "every other Friday at 15:00", "de": "alle zwei Wochen am Freitag um 15:00 Uhr"}
WEEKLY_TUESDAY = {"en": "every Tuesday at 17:30", "de": "jeden Dienstag um 17:30 Uhr"}
DAILY = {"en": ("daily 18:45", "every day at 18:45"), "de": ("täglich 18:45", "jeden Tag um 18:45 Uhr")}


async def rules(e2e: E2E, telegram_id: int) -> dict[str, object]:
    """The person's schedule rules by kind."""
    user = await e2e.user(telegram_id)
    assert user is not None
    return {row["kind"]: row["rule"] for row in await e2e.rows(SCHEDULES, user_id=user["id"])}


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_mentor_changes_their_own_rhythm_by_buttons_and_typed(e2e: E2E, lang: str) -> None:
    ben = e2e.client(MENTOR, lang=lang, first_name="Ben")
    await ben.send("/start")
    await ben.click(say(lang, "mentors.roles.mentor_button"))
    assert "checkins" in chat_menu(e2e, MENTOR)

    [view] = await ben.send("/checkins")
    assert view.startswith(say(lang, "checkins.view", side="mentor", word="", rhythm="",
                               next=None, paused=False).splitlines()[0])
    assert FORTNIGHTLY_FRIDAY[lang] in view
    assert ben.last_buttons == [say(lang, "checkins.buttons.change"),
                                say(lang, "checkins.buttons.stop")]

    await ben.click(say(lang, "checkins.buttons.change"))
    assert ben.last_text == say(lang, "checkins.how_often", side="mentor", word="")
    await ben.click(say(lang, "checkins.buttons.weekly"))
    await ben.click(1)  # Tuesday
    sent = await ben.click("17:30")
    assert sent[0] == say(lang, "checkins.set", **NO_QUIET, side="mentor", word="",
                          rhythm=WEEKLY_TUESDAY[lang], next=None)  # no mentee yet: none planned
    assert (await rules(e2e, MENTOR))["mentor_checkin"] == {"at": "17:30", "weekdays": [1]}

    typed, described = DAILY[lang]
    said = await ben.send(f"/checkins {typed}")
    assert said[1] == say(lang, "checkins.zone_question")  # they never chose a time zone
    assert said[0] == say(lang, "checkins.set", **NO_QUIET, side="mentor", word="",
                          rhythm=described, next=None)
    assert (await rules(e2e, MENTOR)) == {"mentor_checkin": {"at": "18:45"},
                                          "digest": {"at": "16:00", "weekdays": [4]}}
    assert e2e.errors == []


async def test_both_sides_get_both_rhythms_each_with_its_buttons(e2e: E2E) -> None:
    ana = e2e.client(BOTH, lang="de", first_name="Ana")
    await ana.send("/start")
    await ana.click(say("de", "mentors.roles.mentee_button"))
    await ana.send("/checkins mo,do 08:15")
    await ana.send("/start mentor")
    assert {"checkins", "invite", "grow"} <= set(chat_menu(e2e, BOTH))
    assert "askmentor" not in chat_menu(e2e, BOTH)  # she has no mentor (yet)

    mentee_view, mentor_view = await ana.send("/checkins")
    assert mentee_view.startswith("Deine Check-ins als Mentee")
    assert "jeden Montag und Donnerstag um 08:15 Uhr" in mentee_view
    assert mentor_view.startswith("Deine eigenen Check-ins als Mentorin oder Mentor")
    assert "/checkins mentor täglich 18:30" in mentor_view

    # The last keyboard is the mentor's: stopping it leaves the mentee's rhythm.
    [stopped] = await ana.click(say("de", "checkins.buttons.stop"))
    assert stopped == say("de", "checkins.stopped", side="mentor", word="mentor ")
    assert await rules(e2e, BOTH) == {"checkin": {"at": "08:15", "weekdays": [0, 3]},
                                      "mentor_checkin": {"off": True},
                                      "digest": {"at": "16:00", "weekdays": [4]}}
    again = await ana.send("/checkins mentorin fr 17:00")
    assert again[0].startswith(say("de", "checkins.set", **NO_QUIET, side="mentor", word="mentor ",
                                rhythm="jeden Freitag um 17:00 Uhr", next=None))
    assert (await rules(e2e, BOTH))["checkin"] == {"at": "08:15", "weekdays": [0, 3]}
    assert e2e.errors == []
