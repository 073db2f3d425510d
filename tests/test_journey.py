"""Where the journey goes next: recurring dialogs never finish a stage; the ending comes when the
planned end is near, or when the mentee asks for it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from service.conversation import ConversationService
from storage.users import get_user, update_user
from tests.support.chat import Chat
from tests.support.chat import rendered as say


async def in_maturing(service: ConversationService, chat: Chat, ends_in_days: int | None) -> None:
    await chat.send("/help")  # creates the user in their language
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, chat.user_id)
        assert user is not None
        ends_on = (None if ends_in_days is None
                   else service.clock().date() + timedelta(days=ends_in_days))
        await update_user(session, user.id, service.clock(), stage="maturing",
                          relationship_ends_on=ends_on)


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_maturing_offers_check_ins_and_agendas_not_the_ending(
    service: ConversationService, lang: str
) -> None:
    chat = Chat(service, user_id=71, language=lang)
    await in_maturing(service, chat, ends_in_days=None)
    text = chat.texts(await chat.send("/start"))
    maturing = say(lang, "common.stages.maturing.name")
    assert say(lang, "common.service.stage_done", stage=maturing).split("“")[0] not in text
    assert say(lang, "checkin.title") in text
    assert [b.label for b in chat.buttons] == [
        say(lang, "common.buttons.start", title=say(lang, "checkin.title"))]

    journey = chat.texts(await chat.send("/journey"))
    assert say(lang, "common.journey.all_done") not in journey


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_four_weeks_before_the_planned_end_the_ending_is_offered(
    service: ConversationService, lang: str
) -> None:
    chat = Chat(service, user_id=72, language=lang)
    await in_maturing(service, chat, ends_in_days=27)
    await chat.send("/start")
    ending = say(lang, "common.stages.ending.name")
    assert [b.label for b in chat.buttons] == [say(lang, "common.buttons.stage_next", stage=ending)]


async def test_further_away_the_end_is_not_suggested(service: ConversationService) -> None:
    chat = Chat(service, user_id=73)
    await in_maturing(service, chat, ends_in_days=60)
    await chat.send("/start")
    assert [b.label for b in chat.buttons] == [
        say("en", "common.buttons.start", title=say("en", "checkin.title"))]
