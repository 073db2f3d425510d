"""/export holds everything kept: the check-in rhythm, the pause and the quiet hours in the JSON,
and a goal set aside in the words /goals uses (en, de); a fixed-offset zone on the page as people
write it (UTC+2), never the tz database's Etc/GMT-2, and the JSON says it so beside the name."""

from __future__ import annotations

import json

import pytest

from service.conversation import ConversationService
from tests.support.chat import Chat, shown
from tests.test_goals import a_goal


async def exported(chat: Chat) -> tuple[dict[str, object], str]:
    data, page = (await chat.send("/export")).messages
    assert data.document is not None
    assert page.document is not None
    return json.loads(data.document.content), page.document.content.decode()


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_the_export_holds_the_rhythm_the_pause_and_goal_words(
        service: ConversationService, lang: str) -> None:
    chat = Chat(service, language=lang)
    await a_goal(service, chat)
    await chat.send("/checkins daily 18:00" if lang == "en" else "/checkins täglich 18:00")
    await chat.send("/pause 1 week" if lang == "en" else "/pause 1 woche")
    await chat.send("/goals")
    await chat.press(0)
    await chat.press(shown(lang, "common.goals.buttons.dropped"))
    data, page = await exported(chat)
    schedule = data["schedule"]
    assert isinstance(schedule, dict)
    assert "checkin" in schedule
    user = data["user"]
    assert isinstance(user, dict)
    assert user["paused_until"] is not None
    assert shown(lang, "common.goals.goal_status.dropped") in page
    assert shown(lang, "common.goals.status.dropped") not in page


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_the_export_page_marks_the_shared_answers(service: ConversationService,
                                                        lang: str) -> None:
    from tests.support.mentoring import saved_run
    chat = Chat(service, language=lang)
    await saved_run(chat, "checkin", {"helped": "my running group"}, shared=True)
    await saved_run(chat, "checkin", {"helped": "a SECRET diary"}, shared=False)
    _data, page = await exported(chat)
    mark = shown(lang, "common.export.shared")
    assert page.count(mark) == 1
    assert page.index(mark) < page.index("my running group")


@pytest.mark.parametrize(("lang", "zone", "meeting", "profile", "rhythm"), [
    ("en", "/settings timezone {}", "/meeting every tuesday 17:00", "time zone: UTC-5",
     "every Tuesday at 17:00 in the UTC+2 time zone"),
    ("de", "/settings Zeitzone {}", "/meeting jeden Dienstag 17 Uhr", "Zeitzone: UTC-5",
     "jeden Dienstag um 17:00 Uhr in der Zeitzone UTC+2")])
async def test_the_export_page_names_fixed_offsets_as_people_write_them(
        service: ConversationService, lang: str, zone: str, meeting: str, profile: str,
        rhythm: str) -> None:
    chat = Chat(service, language=lang)
    await chat.send(zone.format("UTC+2"))
    await chat.send(meeting)  # agreed at UTC+2
    await chat.send(zone.format("GMT-5"))
    data, page = await exported(chat)
    assert profile in page
    assert rhythm in page
    assert "Etc/GMT" not in page
    user = data["user"]
    assert isinstance(user, dict)
    assert user["timezone"] == "Etc/GMT+5"  # the data keeps the zone's own name
    assert user["timezone_label"] == "UTC-5"  # and says it as the bot does
