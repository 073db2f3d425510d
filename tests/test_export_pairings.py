"""The export covers the pairings (issue 10, item 10): a mentee's and a mentor's /export, as JSON
and as the page to read, list their own pairings (the other person by first name, their side,
status, dates) and nothing of anyone else: a mentor's never holds a mentee's answers, shared ones
included; a mentee's never names the mentor's other mentees."""

from __future__ import annotations

import json
from typing import Any

import pytest

from service.conversation import ConversationService
from tests.support.chat import Chat, shown
from tests.support.clock import FakeClock
from tests.support.mentoring import saved_run
from tests.test_mentor_accounts import as_mentor, invite_token

# The FakeClock starts on Saturday, 21 November 2026, 09:00 UTC.
SHARED, PRIVATE = "Running with my sister on Sundays", "Nobody knows I want to quit"


async def exported(chat: Chat) -> tuple[dict[str, Any], str]:
    """The person's /export: the JSON data and the page."""
    response = await chat.send("/export")
    json_file, page = (message.document for message in response.messages)
    assert json_file is not None
    assert page is not None
    return json.loads(json_file.content), page.content.decode()


async def two_mentees(service: ConversationService, clock: FakeClock,
                      lang: str) -> tuple[Chat, Chat, Chat]:
    """Ben Berg mentors Ana Lima (who shared one check-in and kept one private) and, until the
    next day, Cleo Stone, whose pairing he ended."""
    ben = await as_mentor(service, lang)
    ana = Chat(service, user_id=611, language=lang, name="Ana Lima")
    await ana.send(f"/start {await invite_token(ben)}")
    cleo = Chat(service, user_id=612, language=lang, name="Cleo Stone")
    await cleo.send(f"/start {await invite_token(ben)}")
    await saved_run(ana, "checkin", {"helped": SHARED}, shared=True)
    await saved_run(ana, "checkin", {"helped": PRIVATE}, shared=False)
    clock.advance(days=1)
    await ben.send("/settings")
    await ben.press(shown(lang, "mentors.pairing.end_button", name="Cleo"))
    await ben.press(shown(lang, "mentors.pairing.end_yes"))
    return ben, ana, cleo


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_the_mentors_export_lists_the_pairings_and_no_mentee_content(
    service: ConversationService, clock: FakeClock, lang: str,
) -> None:
    ben, _, _ = await two_mentees(service, clock, lang)
    data, page = await exported(ben)

    assert data["pairings"] == [
        {"id": data["pairings"][0]["id"], "as": "mentor", "with": "Ana", "status": "active",
         "started_on": "2026-11-21", "ends_on": None, "ended_at": None},
        {"id": data["pairings"][1]["id"], "as": "mentor", "with": "Cleo", "status": "ended",
         "started_on": "2026-11-21", "ends_on": None, "ended_at": "2026-11-22T09:00:00+00:00"},
    ]
    day = {"en": ("21 November 2026", "22 November 2026"),
           "de": ("21. November 2026", "22. November 2026")}[lang]
    assert shown(lang, "common.export.pairings") in page
    assert shown(lang, "common.export.pairing", as_mentor=True, name="Ana",
                 status=shown(lang, "common.export.pairing_status.active"), started=day[0],
                 ends="", ended="") in page
    assert shown(lang, "common.export.pairing", as_mentor=True, name="Cleo",
                 status=shown(lang, "common.export.pairing_status.ended"), started=day[0],
                 ends="", ended=day[1]) in page
    for content in (json.dumps(data, ensure_ascii=False), page):
        assert SHARED not in content  # shared with him, and still not his data
        assert PRIVATE not in content
        assert "Lima" not in content  # first names only
        assert "Stone" not in content


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_the_mentees_export_lists_her_pairing_and_nobody_elses(
    service: ConversationService, clock: FakeClock, lang: str,
) -> None:
    _, ana, cleo = await two_mentees(service, clock, lang)
    data, page = await exported(ana)
    [pairing] = data["pairings"]
    assert {k: pairing[k] for k in ("as", "with", "status", "started_on", "ended_at")} == {
        "as": "mentee", "with": "Ben", "status": "active", "started_on": "2026-11-21",
        "ended_at": None}
    mentor = {"en": "Your mentor Ben", "de": "Deine Mentorin oder dein Mentor Ben"}[lang]
    assert mentor in page
    for content in (json.dumps(data, ensure_ascii=False), page):
        assert SHARED in content  # her own answers, shared or not
        assert PRIVATE in content
        assert "Cleo" not in content  # the mentor's other mentee
        assert "Berg" not in content

    cleo_data, cleo_page = await exported(cleo)
    [ended] = cleo_data["pairings"]
    assert (ended["as"], ended["with"], ended["status"]) == ("mentee", "Ben", "ended")
    assert "Ana" not in json.dumps(cleo_data) + cleo_page
