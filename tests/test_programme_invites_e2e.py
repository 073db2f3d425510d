"""A coordinator's /invite over the Telegram stub: the programme and the side chosen with buttons,
the deep link in the text and its QR code as a photo (sendPhoto, the link in the caption's
message above it), which a newcomer then opens to join; someone who coordinates nothing is refused
and gets neither a link nor a picture (also for a forged button press), and no invite is made. A
member of one programme who opens another's link stays where they are and is told so. Someone
whose Telegram is in English, put into a German programme's German by its link, gets a button
back to English, which switches the chat (and its command menu)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from service.callbacks import scheduling_data
from service.programmes.admin_view import INVITE
from service.programmes.invites import programme_invite, qr_png
from storage.programmes import ProgrammeRecord, create_programme, grant
from storage.rows import INVITES, PROGRAMMES
from storage.vocabulary import Role
from tests.telegram.harness import E2E, say
from tests.telegram.stub import BOT_USERNAME

COORDINATOR, NEWCOMER, OUTSIDER = 8101, 8102, 8103
LINK = re.compile(rf"https://t\.me/{BOT_USERNAME}\?start=([A-Za-z0-9_-]{{32}})")


async def _spring(e2e: E2E) -> None:
    """Programme "Spring" with one coordinator."""
    now = e2e.clock()
    async with e2e.service.sessionmaker.begin() as session:
        made = await create_programme(session, "Spring", {}, {}, now)
        assert made is not None
        await grant(session, made.id, COORDINATOR, now)


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_coordinator_s_invite_arrives_as_a_link_and_a_qr_photo(e2e: E2E, lang: str) -> None:
    await _spring(e2e)
    cora = e2e.client(COORDINATOR, lang=lang, first_name="Cora")
    await cora.send("/start")
    assert await cora.send("/invite") == [say(lang, "programme_admin.invite.pick_programme")]
    await cora.click("Spring")
    assert cora.last_text == say(lang, "programme_admin.invite.pick_role", programme="Spring")
    sent = await cora.click(say(lang, "programme_admin.invite.mentee"))

    [text, caption] = sent
    found = LINK.search(text)
    assert found is not None, text
    link = found[0]
    assert caption == say(lang, "programme_admin.invite.caption", programme="Spring")
    [photo] = [p for p in e2e.stub.photos if p["chat_id"] == COORDINATOR]
    assert photo["mime_type"] == "image/png"
    assert photo["content"] == qr_png(link)  # the picture is the code of the link in the text
    assert cora.messages[-1]["message_id"] == photo["message_id"]

    newcomer = e2e.client(NEWCOMER, lang=lang, first_name="Nia")
    joined = await newcomer.send(f"/start {found[1]}")
    assert any("Spring" in message for message in joined)
    user = await e2e.user(NEWCOMER)
    assert user is not None
    assert user["programme_id"] is not None
    assert user["role"] == "mentee"


async def test_someone_who_coordinates_nothing_gets_no_link_and_no_picture(e2e: E2E) -> None:
    await _spring(e2e)
    olaf = e2e.client(OUTSIDER, first_name="Olaf")
    await olaf.send("/start")
    sent = await olaf.send("/invite")
    assert sent == [say("en", "mentors.roles.not_yours", for_mentors=True,
                        for_coordinators=False)]
    assert not LINK.search(" ".join(sent))
    assert [p for p in e2e.stub.photos if p["chat_id"] == OUTSIDER] == []

    # A forged press of a coordinator's button (programme and side) is refused the same way.
    [programme] = await e2e.rows(PROGRAMMES)
    data = scheduling_data(INVITE, f"{programme['id']}:mentee")
    message_id = olaf.last_message["message_id"]
    e2e.stub.press_button(OUTSIDER, message_id, data, strict=False)
    await e2e.settle()
    assert olaf.last_text == say("en", "programme_admin.programme.not_coordinator")
    assert [p for p in e2e.stub.photos if p["chat_id"] == OUTSIDER] == []
    assert await e2e.rows(INVITES) == []


async def _cohort(e2e: E2E, name: str, role: Role = Role.MENTEE,
                  language: str | None = None) -> tuple[ProgrammeRecord, str]:
    """Programme `name` (in `language`, if given) and a link for three of its mentees (or
    mentors)."""
    now = e2e.clock()
    async with e2e.service.sessionmaker.begin() as session:
        made = await create_programme(session, name, {"language": language} if language else {},
                                      {}, now)
        assert made is not None
        invite = await programme_invite(session, made, role, uses=3, valid_for=timedelta(days=14),
                                        created_by=None, now=now)
    return made, invite.token


async def _uses_left(e2e: E2E, programme: ProgrammeRecord) -> int:
    [invite] = await e2e.rows(INVITES, programme_id=programme.id)
    return int(invite["uses_left"])


@pytest.mark.parametrize("lang", ["en", "de"])
@pytest.mark.parametrize("role", [Role.MENTEE, Role.MENTOR])
async def test_another_programme_s_link_does_not_move_a_member(e2e: E2E, lang: str,
                                                               role: Role) -> None:
    spring, spring_token = await _cohort(e2e, "Spring")
    autumn, autumn_token = await _cohort(e2e, "Autumn", role)
    nia = e2e.client(NEWCOMER, lang=lang, first_name="Nia")
    await nia.send(f"/start {spring_token}")
    assert (await e2e.user(NEWCOMER) or {})["programme_id"] == spring.id
    assert await _uses_left(e2e, spring) == 2

    sent = await nia.send(f"/start {autumn_token}")
    assert sent == [say(lang, "programme_admin.other_programme", member_of="Spring",
                        programme="Autumn")]
    assert "Spring" in sent[0]
    assert "Autumn" in sent[0]
    user = await e2e.user(NEWCOMER)
    assert user is not None
    assert (user["programme_id"], user["role"], user["mentors"]) == (spring.id, "mentee", False)
    assert await _uses_left(e2e, autumn) == 3  # its place is kept for someone else

    # Spring's own link, opened again, says they are in Spring already and uses no place.
    again = await nia.send(f"/start {spring_token}")
    assert again == [say(lang, "programme_admin.already_in", programme="Spring", as_mentor=False,
                         paired=False, mentor=None)]
    assert await _uses_left(e2e, spring) == 2

    # Someone in no programme joins Autumn with the same link, as before.
    olaf = e2e.client(OUTSIDER, lang=lang, first_name="Olaf")
    joined = await olaf.send(f"/start {autumn_token}")
    assert say(lang, "programme_admin.joined", programme="Autumn", as_mentor=role is Role.MENTOR,
               name="Olaf") in joined
    assert (await e2e.user(OUTSIDER) or {})["programme_id"] == autumn.id
    assert await _uses_left(e2e, autumn) == 2


async def test_an_english_telegram_joining_a_german_programme_taps_back_to_english(
        e2e: E2E) -> None:
    _, token = await _cohort(e2e, "Frühling", language="de")
    nia = e2e.client(NEWCOMER, lang="en", first_name="Nia")
    joined = await nia.send(f"/start {token}")
    assert say("de", "programme_admin.joined", programme="Frühling", as_mentor=False,
               name="Nia") in joined
    assert joined[-1] == say("en", "programme_admin.language_offer")
    assert nia.last_buttons == [say("en", "programme_admin.language_button")]
    menu = (json.dumps({"chat_id": NEWCOMER, "type": "chat"}, sort_keys=True), "")
    settings = {c["command"]: c["description"] for c in e2e.stub.commands[menu]}["settings"]
    assert settings == say("de", "common.commands.settings")

    assert await nia.click(say("en", "programme_admin.language_button")) == [
        say("en", "common.settings.language_set"),
        say("en", "common.service.suggest", title=say("en", "agreement.title"),
            command="agreement", description=say("en", "agreement.description"))]
    assert nia.last_buttons == [say("en", "common.buttons.start", title=say("en", "agreement.title"))]
    assert (await e2e.user(NEWCOMER) or {})["language"] == "en"
    settings = {c["command"]: c["description"] for c in e2e.stub.commands[menu]}["settings"]
    assert settings == say("en", "common.commands.settings")
