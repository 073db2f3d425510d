"""In Telegram (the real Application over the Bot API stub), en and de: a mentor types the words
of the /digest overview's buttons instead of tapping them ("Wöchentlich", then "Freitag" and
"17:45"), text that is none of them gets a hint and the same buttons, and at the time zone
question a place typed as people write it ("Wien", "Munich") sets the zone, named in the reply."""

from __future__ import annotations

import pytest

from storage.rows import SCHEDULES
from tests.telegram.harness import E2E, say

MENTOR = 7301
TYPED = {"en": ("weekly", "Friday", "every Friday at 17:45", "Munich", "Europe/Berlin"),
         "de": ("wöchentlich", "Freitag", "jeden Freitag um 17:45 Uhr", "Wien", "Europe/Vienna")}


@pytest.mark.parametrize("e2e", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_mentor_types_the_digest_buttons_and_names_their_city(e2e: E2E, lang: str) -> None:
    weekly, friday, described, city, zone = TYPED[lang]
    ben = e2e.client(MENTOR, lang=lang, first_name="Ben")
    await ben.send("/start")
    await ben.click(say(lang, "mentors.roles.mentor_button"))

    await ben.send("/digest")
    buttons = [say(lang, f"digest.buttons.{b}") for b in ("daily", "weekly", "off")]
    assert ben.last_buttons == buttons
    said = await ben.send("sometimes")
    assert said == [say(lang, "checkins.typed.overview", text="sometimes"), ben.last_text]
    assert ben.last_buttons == buttons

    assert await ben.send(weekly) == [say(lang, "digest.which_day")]
    assert len(ben.last_buttons) == 7
    await ben.send(friday)
    [done] = await ben.send("17:45")
    assert described in done
    user = await e2e.user(MENTOR)
    assert user is not None
    digest = [row["rule"] for row in await e2e.rows(SCHEDULES, user_id=user["id"])
              if row["kind"] == "digest"]
    assert digest == [{"at": "17:45", "weekdays": [4]}]

    said = await ben.send("/checkins " + ("täglich" if lang == "de" else "daily") + " 18:45")
    assert said[-1] == say(lang, "checkins.zone_question")  # they never chose a time zone
    [named] = await ben.send(city)
    assert named.startswith(say(lang, "checkins.zone_set", zone=zone, next=None))
    assert (await e2e.user(MENTOR) or {})["timezone"] == zone
    assert e2e.errors == []
