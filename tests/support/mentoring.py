"""Helpers for tests of the mentor's side: pair two chats, save a shared or private dialog run,
run one dispatch pass and see what each person would get."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from service.conversation import ConversationService
from service.messages import Delivery, OutMessage
from service.schedule.dispatch import Dispatcher
from service.schedule.plan import replan
from storage.answers import save_answers
from storage.pairings import PairingRecord, create_pairing
from storage.runs import create_run, get_run
from storage.runs import save_run as store_run
from storage.users import get_user, update_user
from storage.vocabulary import JSONValue, Role, RunStatus, Visibility
from tests.support.chat import Chat


async def user_id(chat: Chat) -> int:
    """The chat's user row id (the user is created by a first message if needed)."""
    async with chat.service.sessionmaker.begin() as session:
        user = await get_user(session, chat.user_id)
    if user is None:
        await chat.send("/help")
        return await user_id(chat)
    return user.id


async def make_mentor(chat: Chat) -> int:
    """The chat's person works as a mentor."""
    uid = await user_id(chat)
    async with chat.service.sessionmaker.begin() as session:
        await update_user(session, uid, chat.service.clock(), role=Role.MENTOR, mentors=True)
    return uid


async def pair(mentor: Chat, mentee: Chat, ends_on: date | None = None) -> PairingRecord:
    """Pair the two chats (the first one becomes a mentor) and plan the mentee's items."""
    mentor_id = await make_mentor(mentor)
    mentee_id = await user_id(mentee)
    service = mentor.service
    now = service.clock()
    async with service.sessionmaker.begin() as session:
        pairing = await create_pairing(session, mentor_id, mentee_id, today=now.date(),
                                       ends_on=ends_on, now=now)
        if ends_on is not None:
            await update_user(session, mentee_id, now, relationship_ends_on=ends_on)
    await replan_for(mentee)
    return pairing


async def replan_for(chat: Chat) -> None:
    """Plan the chat's person's items now (as any change of theirs would)."""
    async with chat.service.turn_of(chat.user_id) as turn:
        assert turn is not None
        await replan(turn, turn.content.schedule)


async def saved_run(chat: Chat, dialog: str, answers: Mapping[str, JSONValue], *,
                   shared: bool, stage: str = "maturing") -> int:
    """A completed run of `dialog` with these answers, shared with the mentor or private."""
    uid = await user_id(chat)
    now = chat.service.clock()
    async with chat.service.sessionmaker.begin() as session:
        run_id = await create_run(session, user_id=uid, dialog=dialog, stage=stage, step="done",
                                  state={}, now=now)
        run = await get_run(session, run_id)
        assert run is not None
        await save_answers(session, run, answers, now=now,
                           visibility=Visibility.SHARED if shared else Visibility.PRIVATE)
        await store_run(session, run_id, step="done", status=RunStatus.COMPLETED, state={},
                        now=now)
    return run_id


async def one_pass(service: ConversationService) -> list[Delivery]:
    """What each person would get from one dispatch pass at the clock's now."""
    dispatcher = Dispatcher(service)
    sent: list[Delivery] = []
    for claimed in await dispatcher.claim():
        sent.extend(await dispatcher.open(claimed))
    return sent


def to(chat: Chat, deliveries: list[Delivery]) -> list[OutMessage]:
    """The messages of these deliveries for this chat; its buttons become the chat's."""
    messages = [m for d in deliveries if d.recipient == chat.user_id for m in d.messages]
    for message in messages:
        if message.buttons:
            chat.buttons = message.choices
    return messages
