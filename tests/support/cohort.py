"""A programme to test with: members in given zones, pairings, seeded answers, one dispatch pass."""

from __future__ import annotations

from datetime import date

from service.conversation import ConversationService
from service.messages import Delivery
from service.schedule.dispatch import Dispatcher
from service.schedule.plan import replan
from storage.answers import save_answers
from storage.pairings import create_pairing
from storage.programmes import ProgrammeRecord, create_programme, grant
from storage.runs import create_run, get_run, set_run_status
from storage.users import UserRecord, create_user, update_user
from storage.vocabulary import Role, RunStatus, Visibility


async def programme(service: ConversationService, name: str = "Spring cohort",
                    coordinators: tuple[int, ...] = ()) -> ProgrammeRecord:
    now = service.clock()
    async with service.sessionmaker.begin() as session:
        made = await create_programme(session, name, {}, {}, now)
        assert made is not None
        for telegram_id in coordinators:
            await grant(session, made.id, telegram_id, now)
    return made


async def member(service: ConversationService, telegram_id: int, name: str, zone: str,
                 programme_id: int | None, role: Role = Role.MENTEE,
                 stage: str = "maturing") -> UserRecord:
    """Someone who has written to the bot, a member of the programme."""
    now = service.clock()
    async with service.sessionmaker.begin() as session:
        user, _ = await create_user(session, telegram_id, name=name, language="en",
                                    timezone=zone, now=now, role=role)
        await update_user(session, user.id, now, programme_id=programme_id, stage=stage)
    return user


async def pair(service: ConversationService, mentor: UserRecord, mentee: UserRecord,
               programme_id: int, started: date, ends: date | None = None) -> int:
    async with service.sessionmaker.begin() as session:
        pairing = await create_pairing(session, mentor.id, mentee.id, today=started, ends_on=ends,
                                       now=service.clock(), programme_id=programme_id)
    return pairing.id


async def one_pass(service: ConversationService) -> list[Delivery]:
    """Everything due at the clock's now, as one dispatcher would send it."""
    dispatcher = Dispatcher(service)
    sent: list[Delivery] = []
    while claimed := await dispatcher.claim():
        for item in claimed:
            sent.extend(await dispatcher.open(item))
    return sent


async def seed_answer(service: ConversationService, user: UserRecord, text: str,
                      dialog: str = "checkin", step: str = "helped") -> None:
    """A completed run with one answer holding `text` (coordinator outputs must never show it)."""
    now = service.clock()
    async with service.sessionmaker.begin() as session:
        run_id = await create_run(session, user_id=user.id, dialog=dialog, stage=user.stage,
                                  step="done", state={}, now=now)
        await set_run_status(session, run_id, RunStatus.COMPLETED, now)
        run = await get_run(session, run_id)
        assert run is not None
        await save_answers(session, run, {step: text}, visibility=Visibility.PRIVATE, now=now)


async def replan_people(service: ConversationService, *telegram_ids: int) -> None:
    """What creating a pairing does for both people: their items planned anew."""
    for telegram_id in telegram_ids:
        async with service.turn_of(telegram_id) as turn:
            assert turn is not None
            await replan(turn, turn.content.schedule)
