"""The mentor's side through the service: choosing a side, /invite, opening the link, refusals
that change nothing, ending a pairing, deletion and export (issue 10, items 1, 2 and 10)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from service.commands import Scope
from service.conversation import ConversationService
from service.inputs import PressIn
from service.messages import Response
from storage.pairings import pairing_of_mentee
from storage.rows import INVITES, PAIRINGS
from storage.shared import shared_answers
from storage.users import get_user
from storage.vocabulary import PairingStatus, Role
from tests.support.chat import Chat, shown
from tests.support.clock import FakeClock

MENTOR, MENTEE, OTHER = 501, 502, 503
TOKEN = re.compile(r"/start ([A-Za-z0-9_-]{32})")


async def as_mentor(service: ConversationService, lang: str = "en") -> Chat:
    """Ben comes in as a mentor."""
    ben = Chat(service, user_id=MENTOR, language=lang, name="Ben Berg")
    await ben.send("/start")
    await ben.press(shown(lang, "mentors.roles.mentor_button"))
    return ben


async def invite_token(mentor: Chat) -> str:
    """The token of a new /invite (the service has no bot username: the terminal's form)."""
    found = TOKEN.search(mentor.texts(await mentor.send("/invite")))
    assert found is not None
    return found[1]


async def counts(service: ConversationService) -> dict[str, Any]:
    """What a refused link must not change."""
    async with service.sessionmaker.begin() as session:
        pairings = (await session.execute(select(PAIRINGS.c.id, PAIRINGS.c.status))).all()
        uses = (await session.execute(select(func.sum(INVITES.c.uses_left)))).scalar()
    return {"pairings": sorted(pairings), "uses": uses}


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_newcomer_chooses_mentor_and_gets_the_mentors_welcome_and_menu(
    service: ConversationService, lang: str
) -> None:
    ben = Chat(service, user_id=MENTOR, language=lang, name="Ben")
    asked = await ben.send("/start")
    assert ben.texts(asked) == shown(lang, "mentors.roles.ask", name="Ben")
    assert asked.menu is None

    chosen = await ben.press(shown(lang, "mentors.roles.mentor_button"))
    text = ben.texts(chosen)
    assert shown(lang, "mentors.roles.mentor_welcome", name="Ben") in text
    assert shown(lang, "mentor_story.title") in text  # offered first
    assert chosen.menu is not None
    assert chosen.menu.scopes == {Scope.MENTOR}
    assert chosen.menu.language == lang
    help_text = ben.texts(await ben.send("/help"))
    assert "/invite" in help_text
    assert "/grow" not in help_text
    started = ben.texts(await ben.send("/story"))
    assert shown(lang, "mentor_story.intro", name="Ben").splitlines()[0] in started


@pytest.mark.parametrize(("lang", "word"), [("en", "Mentor"), ("de", "Mentorin"),
                                            ("de", "ich bin mentee")])
async def test_the_side_can_be_typed(service: ConversationService, lang: str, word: str) -> None:
    chat = Chat(service, user_id=OTHER, language=lang)
    await chat.send("/start")
    await chat.send(word)
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, OTHER)
    assert user is not None
    assert user.role == (Role.MENTEE if "mentee" in word else Role.MENTOR)
    assert user.awaiting is None


async def test_a_newcomer_who_just_goes_on_is_a_mentee(service: ConversationService) -> None:
    chat = Chat(service, user_id=OTHER)
    await chat.send("/start")
    said = chat.texts(await chat.send("/agreement"))
    assert shown("en", "agreement.steps.purpose.text") in said
    await chat.send("My purpose")  # typed text answers the dialog, not the role question
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, OTHER)
    assert user is not None
    assert user.role == Role.MENTEE


async def test_the_side_is_chosen_once(service: ConversationService) -> None:
    chat = Chat(service, user_id=OTHER)
    await chat.send("/start")
    await chat.press(shown("en", "mentors.roles.mentee_button"))
    late = await chat.handle(PressIn("ro:mentor"))  # the old question's other button
    assert late.toast
    assert late.messages == ()
    assert late.menu is None


async def test_a_mentee_adds_the_mentor_side_and_keeps_their_own(service: ConversationService) -> None:
    ana = Chat(service, user_id=MENTEE)
    await ana.send("/start")
    await ana.press(shown("en", "mentors.roles.mentee_button"))
    refused = await ana.send("/invite")
    assert ana.texts(refused) == shown("en", "mentors.roles.not_yours", for_mentors=True)
    added = await ana.send("/start mentor")
    assert added.menu is not None
    assert added.menu.scopes == {Scope.MENTEE, Scope.MENTOR}
    help_text = ana.texts(await ana.send("/help"))
    assert "/invite" in help_text
    assert "/grow" in help_text
    assert shown("en", "agreement.steps.purpose.text") in ana.texts(await ana.send("/agreement"))
    assert TOKEN.search(ana.texts(await ana.send("/invite")))


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_the_invite_link_pairs_a_new_mentee_and_both_are_told(
    service: ConversationService, lang: str
) -> None:
    ben = await as_mentor(service, lang)
    token = await invite_token(ben)
    assert len(token) == 32

    ana = Chat(service, user_id=MENTEE, language=lang, name="Ana Alves")
    opened = await ana.send(f"/start {token}")
    text = ana.texts(opened)
    assert shown(lang, "common.service.welcome_new", name="Ana", mentor="Ben") in text
    assert shown(lang, "mentors.pairing.paired_mentee", mentor="Ben") in text
    assert shown(lang, "agreement.title") in text  # the first dialog is offered as before
    [told] = opened.deliveries
    assert told.recipient == MENTOR
    assert [m.text for m in told.messages] == [
        service.catalog.render(lang, "mentors.pairing.paired_mentor", mentee="Ana")]
    async with service.sessionmaker.begin() as session:
        pairing = await pairing_of_mentee(session, (await get_user(session, MENTEE)).id)  # type: ignore[union-attr]
    assert pairing is not None
    assert pairing.status is PairingStatus.ACTIVE

    # The sharing texts name the mentor now.
    settings = ana.texts(await ana.send("/settings"))
    assert shown(lang, "mentors.pairing.your_mentor", mentor="Ben",
                 since=pairing.started_on.isoformat()) in settings


async def refused(service: ConversationService, chat: Chat, token: str, key: str,
                  **variables: Any) -> None:
    before = await counts(service)
    response = await chat.send(f"/start {token}")
    assert chat.texts(response).startswith(shown(chat.language, key, **variables))
    assert response.deliveries == ()
    assert await counts(service) == before


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_used_expired_forged_own_and_second_links_are_refused_and_change_nothing(
    service: ConversationService, clock: FakeClock, lang: str
) -> None:
    ben = await as_mentor(service, lang)
    used = await invite_token(ben)
    ana = Chat(service, user_id=MENTEE, language=lang)
    await ana.send(f"/start {used}")

    cleo = Chat(service, user_id=OTHER, language=lang, name="Cleo")
    await refused(service, cleo, used, "mentors.invite.used", mentor="Ben")
    await refused(service, cleo, "A" * 32, "mentors.invite.unknown")
    await refused(service, cleo, "<b>not-a-token</b>", "mentors.invite.unknown")
    own = await invite_token(ben)
    await refused(service, ben, own, "mentors.invite.own")
    await refused(service, ana, own, "mentors.invite.already_paired", mentor="Ben")
    clock.advance(days=14, seconds=1)
    await refused(service, cleo, own, "mentors.invite.expired", mentor="Ben")


async def test_a_refused_newcomer_is_asked_which_side_they_are_on(
    service: ConversationService
) -> None:
    cleo = Chat(service, user_id=OTHER, name="Cleo")
    said = cleo.texts(await cleo.send("/start " + "B" * 32))
    assert shown("en", "mentors.invite.unknown") in said
    assert shown("en", "mentors.roles.ask", name="Cleo") in said


async def paired(service: ConversationService) -> tuple[Chat, Chat]:
    ben = await as_mentor(service)
    ana = Chat(service, user_id=MENTEE, name="Ana")
    await ana.send(f"/start {await invite_token(ben)}")
    return ben, ana


async def pairing_id(service: ConversationService) -> int:
    async with service.sessionmaker.begin() as session:
        [found] = (await session.execute(select(PAIRINGS.c.id))).scalars().all()
    return int(found)


async def test_the_mentee_ends_the_pairing_with_confirmation_and_the_mentor_loses_access(
    service: ConversationService
) -> None:
    ben, ana = await paired(service)
    pid = await pairing_id(service)
    await ana.send("/settings")
    asked = await ana.press(shown("en", "mentors.pairing.end_button", name="Ben"))
    assert ana.texts(asked) == shown("en", "mentors.pairing.end_confirm", name="Ben", as_mentor=False)
    kept = await ana.press(shown("en", "mentors.pairing.end_no"))
    assert ana.texts(kept) == shown("en", "mentors.pairing.kept")

    forged = await ben.handle(PressIn(f"pe:{pid + 1}:y"))  # not a pairing of his
    assert forged.toast
    assert forged.deliveries == ()
    await ana.send("/settings")
    await ana.press(shown("en", "mentors.pairing.end_button", name="Ben"))
    ended = await ana.press(shown("en", "mentors.pairing.end_yes"))
    assert ana.texts(ended) == shown("en", "mentors.pairing.ended_you", name="Ben", as_mentor=False)
    [told] = ended.deliveries
    assert told.recipient == MENTOR
    async with service.sessionmaker.begin() as session:
        mentor = await get_user(session, MENTOR)
        assert mentor is not None
        assert await shared_answers(session, mentor.id, pid) == []
        status = (await session.execute(select(PAIRINGS.c.status))).scalar_one()
    assert status == PairingStatus.ENDED
    again = await ana.handle(PressIn(f"pe:{pid}:y"))  # the old confirmation, pressed again
    assert again.toast
    assert again.deliveries == ()


async def test_the_mentor_ends_it_from_settings(service: ConversationService) -> None:
    ben, _ = await paired(service)
    await ben.send("/settings")
    await ben.press(shown("en", "mentors.pairing.end_button", name="Ana"))
    ended = await ben.press(shown("en", "mentors.pairing.end_yes"))
    [told] = ended.deliveries
    assert told.recipient == MENTEE
    assert "Ben" in told.messages[0].text


async def test_a_mentees_delete_tells_the_mentor_first(service: ConversationService) -> None:
    _ben, ana = await paired(service)
    warning = ana.texts(await ana.send("/delete"))
    assert "Ben" in warning
    erased: Response = await ana.press(shown("en", "common.delete.yes_button"))
    [told] = erased.deliveries
    assert told.recipient == MENTOR
    assert told.messages[0].text == service.catalog.render("en", "mentors.pairing.gone", name="Ana",
                                                           as_mentor=True)
    assert (await counts(service))["pairings"] == []


async def test_the_mentors_export_has_pairings_by_first_name_and_no_mentee_content(
    service: ConversationService,
) -> None:
    ben, ana = await paired(service)
    await ana.send("/agreement")
    await ana.send("A secret purpose")
    response = await ben.send("/export")
    data = response.messages[0].document
    assert data is not None
    content = data.content.decode()
    assert "A secret purpose" not in content
    assert '"with": "Ana"' in content
    assert '"as": "mentor"' in content


def test_chat_rehearses_the_mentors_side(tmp_path: Path) -> None:
    from tests.test_cli import coachbot

    story = coachbot(tmp_path, "chat", "--user-id", "21", "--dialog", "mentor_story",
                     stdin="/cancel\n")
    assert story.returncode == 0, story.stderr
    assert "I don't know that command" not in story.stdout
    assert shown("en", "mentors.roles.mentor_welcome", name=None).splitlines()[0] in story.stdout
    assert shown("en", "mentor_story.intro", name=None).splitlines()[0] in story.stdout

    mentor = coachbot(tmp_path, "chat", "--user-id", "22", "--role", "mentor", stdin="/invite\n")
    assert mentor.returncode == 0, mentor.stderr
    token = TOKEN.search(mentor.stdout)
    assert token is not None  # the terminal has no bot username: the /start form
    mentee = coachbot(tmp_path, "chat", "--user-id", "23", stdin=f"/start {token[1]}\n")
    assert mentee.returncode == 0, mentee.stderr
    assert "You're now paired with" in mentee.stdout
