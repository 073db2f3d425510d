"""Storage on a real SQLite file and a real PostgreSQL server: schema, locking, atomicity."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, text, update
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncEngine

from service.conversation import ConversationService
from service.inputs import CommandIn, Person, TextIn
from storage import migrate
from storage.answers import answers_of, save_answers
from storage.database import create_engine, create_sessionmaker
from storage.goals import add_actions, create_goal, goals_of, set_action_status
from storage.inbox import forget_updates, keep_update, take_up_leftovers
from storage.models import Base
from storage.rows import USERS
from storage.runs import active_run, create_run, get_run, lock_user_with_run, runs_of, save_run
from storage.schedule import cancel_pending, pending_items
from storage.updates import claim_update
from storage.users import create_user, get_user
from storage.vocabulary import ActionStatus, GoalStatus, Role, RunStatus, Visibility
from tests.support.chat import Chat
from tests.support.clock import FakeClock
from tests.support.databases import mentee_mid_agreement_at_0003


async def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(tmp_path: object) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/pragmas.sqlite3")
    async with engine.connect() as connection:
        assert (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
        assert (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
        assert (await connection.exec_driver_sql("PRAGMA busy_timeout")).scalar() >= 5000
    await engine.dispose()


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return await connection.run_sync(lambda sync: set(sync.dialect.get_table_names(sync)))


async def test_migrations_go_down_to_nothing_and_up_again(engine: AsyncEngine) -> None:
    await migrate.upgrade(engine)  # idempotent at head
    assert set(Base.metadata.tables) <= await _tables(engine)
    await migrate.downgrade(engine, "base")
    assert await _tables(engine) <= {"alembic_version"}
    await migrate.upgrade(engine)
    assert set(Base.metadata.tables) | {"alembic_version"} == await _tables(engine)


async def test_one_active_run_per_user_is_enforced_by_the_database(
    service: ConversationService, clock: FakeClock
) -> None:
    await service.handle(Person(5), CommandIn("agreement"))
    async with service.sessionmaker() as session:
        with pytest.raises(IntegrityError):
            async with session.begin():
                user = await get_user(session, 5)
                assert user is not None
                await create_run(session, user_id=user.id, dialog="story",
                                         stage="establishing", step="x", state={}, now=clock())


async def test_records_come_back_with_the_vocabulary_enums_and_their_json(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    state = {"v": 1, "step": "goal", "answers": {"goal": ["a", 2, None, True]}}
    value = {"text": "call Anna", "rating": 4.5, "tags": ["team"]}
    async with create_sessionmaker(engine).begin() as session:
        user, _ = await create_user(session, 31, name=None, language="en", timezone="UTC",
                                 now=clock(), role=Role.MENTOR)
        done_id = await create_run(session, user_id=user.id, dialog="grow", stage="establishing",
                                   step="goal", state={}, now=clock())
        await save_run(session, done_id, step="summary", status=RunStatus.COMPLETED, state={},
                       now=clock())
        run_id = await create_run(session, user_id=user.id, dialog="checkin", stage="establishing",
                                  step="goal", state=state, now=clock())
        run = await get_run(session, run_id)
        assert run is not None
        await save_answers(session, run, {"goal": value}, visibility=Visibility.SHARED, now=clock())
        goal_id = await create_goal(session, user_id=user.id, run_id=run_id, dialog="grow",
                                    stage="establishing", title="Lead", details={"why": ["growth"]},
                                    due_on=None, visibility=Visibility.SHARED, now=clock())
        await add_actions(session, goal_id=goal_id, user_id=user.id, actions=[("call", None)],
                          now=clock())
        [created] = await goals_of(session, user.id)
        await set_action_status(session, user.id, created.actions[0].id, ActionStatus.PARTLY,
                                clock())
    async with create_sessionmaker(engine).begin() as session:
        found = await lock_user_with_run(session, 31)  # each database's branch
        runs = await runs_of(session, user.id)
        [answer] = await answers_of(session, user.id)
        [goal] = await goals_of(session, user.id)
    assert found is not None
    locked, active = found
    assert active is not None
    assert type(locked.role) is Role
    assert locked.role is Role.MENTOR
    assert type(active.status) is RunStatus
    assert active.status is RunStatus.ACTIVE
    assert active.state == state
    assert [(type(r.status), r.status) for r in runs] == [(RunStatus, RunStatus.COMPLETED),
                                                          (RunStatus, RunStatus.ACTIVE)]
    assert type(answer.visibility) is Visibility
    assert (answer.value, answer.visibility) == (value, Visibility.SHARED)
    assert (type(goal.status), type(goal.visibility)) == (GoalStatus, Visibility)
    assert (goal.status, goal.visibility, goal.details) == (GoalStatus.OPEN, Visibility.SHARED,
                                                            {"why": ["growth"]})
    assert [(type(a.status), a.status) for a in goal.actions] == [(ActionStatus,
                                                                    ActionStatus.PARTLY)]


async def test_times_come_back_as_the_same_moment_in_utc_and_compare_in_time_order(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    berlin = timezone(timedelta(hours=1))
    moments = [datetime(2027, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
               datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC),  # whole seconds: stored the same way
               datetime(2027, 1, 2, 4, 4, 4, 999999, tzinfo=berlin)]  # 03:04:04.999999 UTC
    async with create_sessionmaker(engine).begin() as session:
        for number, moment in enumerate(moments, 41):
            user, _ = await create_user(session, number, name=None, language="en",
                                        timezone="UTC", now=clock())
            await session.execute(update(USERS).where(USERS.c.id == user.id)
                                  .values(paused_until=moment))
        if engine.dialect.name == "sqlite":  # text, as SQLAlchemy's own type always wrote it
            await session.execute(text("UPDATE users SET paused_until = "
                                       "'2027-01-02 03:04:05.000000' WHERE telegram_id = 42"))
        with pytest.raises(StatementError, match="naive datetime"):
            await session.execute(update(USERS).values(paused_until=datetime(2027, 1, 2)))  # noqa: DTZ001
    async with create_sessionmaker(engine).begin() as session:
        rows = (await session.execute(select(USERS.c.telegram_id, USERS.c.paused_until)
                                      .order_by(USERS.c.paused_until))).all()
        before = (await session.scalars(select(USERS.c.telegram_id).where(
            USERS.c.paused_until < datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)))).all()
        due = (await session.scalars(select(USERS.c.telegram_id).where(
            USERS.c.paused_until <= datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)))).all()
    assert [telegram for telegram, _ in rows] == [43, 42, 41]
    assert [moment for _, moment in rows] == sorted(moments)
    assert all(moment.utcoffset() == timedelta(0) for _, moment in rows)
    assert before == [43]
    assert sorted(due) == [42, 43]


async def test_a_persons_pending_items_are_read_among_their_own_rows(tmp_path: Path) -> None:
    """SQLite keeps no statistics here: without the index by person and status it read every
    pending item of everyone for each person's (10 ms a call with 100,000 people)."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'plans.sqlite3'}")
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    try:
        await migrate.upgrade(engine)
        event.listen(engine.sync_engine, "before_cursor_execute", capture)
        async with create_sessionmaker(engine).begin() as session:
            await pending_items(session, 1)
            await pending_items(session, 1, ["checkin"])
            await cancel_pending(session, 1, datetime(2027, 1, 1, tzinfo=UTC), kinds=["checkin"])
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
        async with engine.connect() as connection:
            plans = [" ".join(str(row[3]) for row in (await connection.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {statement}", tuple(parameters))).all())
                for statement, parameters in statements if "scheduled_items" in statement]
    finally:
        await engine.dispose()
    assert len(plans) == 3
    assert all("ix_scheduled_items_user_status_due (user_id=? AND status=?)" in plan
               for plan in plans), plans


async def test_a_failed_transaction_saves_neither_answer_nor_position(
    service: ConversationService,
) -> None:
    chat = Chat(service, user_id=11)
    await chat.send("/agreement")
    async with service.sessionmaker() as session:
        user = await get_user(session, 11)
        assert user is not None
        before = await active_run(session, user.id)
    with pytest.raises(RuntimeError):
        async with service.sessionmaker.begin() as session:
            run = await active_run(session, user.id)
            assert run is not None
            await save_answers(session, run, {"purpose": "lost"}, visibility=Visibility.PRIVATE,
                                       now=service.clock())
            raise RuntimeError("crash between the answer and the position")
    async with service.sessionmaker() as session:
        assert await answers_of(session, user.id) == []
        assert await active_run(session, user.id) == before


async def test_concurrent_users_all_get_their_answers_saved(service: ConversationService) -> None:
    users = range(100, 140)
    await asyncio.gather(*(service.handle(Person(u), CommandIn("agreement")) for u in users))
    await asyncio.gather(*(service.handle(Person(u), TextIn(f"purpose of {u}")) for u in users))
    async with service.sessionmaker() as session:
        for u in users:
            user = await get_user(session, u)
            assert user is not None
            [answer] = await answers_of(session, user.id)
            assert answer.value == f"purpose of {u}"


async def test_two_quick_messages_of_one_user_land_on_two_steps(service: ConversationService) -> None:
    await service.handle(Person(9), CommandIn("agreement"))
    await asyncio.gather(service.handle(Person(9), TextIn("first")),
                         service.handle(Person(9), TextIn("second")))
    async with service.sessionmaker() as session:
        user = await get_user(session, 9)
        assert user is not None
        saved = {a.step_key: a.value for a in await answers_of(session, user.id)}
    assert sorted(saved.values()) == ["first", "second"]
    assert len(saved) == 2


async def test_an_update_id_is_claimed_once(service: ConversationService) -> None:
    async with service.sessionmaker.begin() as session:
        assert await claim_update(session, 77, service.clock())
    async with service.sessionmaker.begin() as session:
        assert not await claim_update(session, 77, service.clock())


async def test_redelivered_update_changes_nothing(service: ConversationService) -> None:
    await service.handle(Person(3), CommandIn("agreement"), update_id=1)
    first = await service.handle(Person(3), TextIn("my purpose"), update_id=2)
    again = await service.handle(Person(3), TextIn("my purpose"), update_id=2)
    assert first.messages
    assert not again.messages
    async with service.sessionmaker() as session:
        user = await get_user(session, 3)
        assert user is not None
        assert len(await answers_of(session, user.id)) == 1


async def test_deleting_a_user_leaves_no_row_behind(service: ConversationService,
                                                     engine: AsyncEngine) -> None:
    chat = Chat(service, user_id=21)
    await chat.send("/vision")
    for line in ["I started as an apprentice", "I lead a small project", "I lead a team",
                 "Running a team of five"]:
        await chat.send(line)
    other = Chat(service, user_id=22)
    await other.send("/agreement")
    await other.send("someone else's purpose")
    await chat.send("/delete")
    await chat.press("Yes")
    async with engine.connect() as connection:
        for table in ("dialog_runs", "answers", "goals", "action_steps"):
            rows = (await connection.execute(text(
                f"SELECT count(*) FROM {table} WHERE user_id NOT IN (SELECT id FROM users)"))).scalar()
            assert rows == 0, table
        users = (await connection.execute(select(Base.metadata.tables["users"].c.telegram_id))).scalars()
        assert list(users) == [22]
        answers = (await connection.execute(text("SELECT count(*) FROM answers"))).scalar()
        assert answers == 1


async def test_a_second_engine_on_the_same_file_sees_committed_answers(tmp_path: object) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/shared.sqlite3"
    first, second = create_engine(url), create_engine(url)
    await migrate.upgrade(first)
    from dialogs.registry import default_scripts
    from prompts.catalog import default_catalog

    def service_on(engine: AsyncEngine) -> ConversationService:
        return ConversationService(create_sessionmaker(engine), scripts=default_scripts(),
                                   catalog=default_catalog(), clock=FakeClock())

    await service_on(first).handle(Person(1), CommandIn("agreement"))
    await asyncio.gather(service_on(first).handle(Person(1), TextIn("one")),
                         service_on(second).handle(Person(2), CommandIn("agreement")))
    async with create_sessionmaker(second)() as session:
        user = await get_user(session, 1)
        assert user is not None
        assert [a.value for a in await answers_of(session, user.id)] == ["one"]
    await first.dispose()
    await second.dispose()


@pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
async def test_of_two_processes_meeting_a_new_user_at_once_only_one_greets_them_as_new(
    engine: AsyncEngine, database_url: str, clock: FakeClock
) -> None:
    from bot.terminal import to_plain
    from dialogs.registry import default_scripts
    from prompts.catalog import default_catalog
    from tests.telegram.harness import say

    other_process = create_engine(database_url)
    service = ConversationService(create_sessionmaker(other_process), scripts=default_scripts(),
                                  catalog=default_catalog(), clock=clock)
    creating = asyncio.Event()  # the other process found no user and is about to insert one

    @event.listens_for(other_process.sync_engine, "before_cursor_execute")
    def _watch(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.startswith("INSERT INTO users"):
            creating.set()

    async with create_sessionmaker(engine).begin() as session:
        # The first process is inside the new user's first update: inserted, not yet committed.
        _, inserted = await create_user(session, 88, name="Ana", language="en", timezone="UTC",
                                        now=clock())
        assert inserted
        second = asyncio.create_task(service.handle(Person(88, "Ana", "en"), CommandIn("start")))
        await creating.wait()
    response = await second
    await other_process.dispose()

    assert to_plain(response.messages[0].text) == say("en", "common.service.welcome_back",
                                                        name="Ana")


async def test_the_inbox_keeps_an_update_once_and_knows_which_were_handled(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    payload = {"update_id": 7, "message": {"text": "a lone \udcff surrogate, as Telegram may send"}}
    async with create_sessionmaker(engine).begin() as session:
        assert await keep_update(session, 7, 31, payload, clock())
        assert not await keep_update(session, 7, 31, {"update_id": 7}, clock())  # counts once
        assert await keep_update(session, 8, 31, {"update_id": 8}, clock())
        assert await keep_update(session, 9, None, {"update_id": 9}, clock())
        await claim_update(session, 8, clock())
        await forget_updates(session, [9])
    async with create_sessionmaker(engine).begin() as session:
        left = await take_up_leftovers(session)
    assert [(r.update_id, r.person_id, r.replays, r.handled) for r in left] == [
        (7, 31, 1, False), (8, 31, 1, True)]
    assert left[0].payload == payload


async def test_upgrading_a_database_in_use_keeps_every_row(empty_database_url: str) -> None:
    """Each migration since the first release adds to a database people use: no run, answer or
    user is lost on the way up or back down (SQLite's copy-and-move of a referenced table would
    cascade-delete)."""
    engine = create_engine(empty_database_url)
    try:
        await mentee_mid_agreement_at_0003(engine, FakeClock()(), answered=True)
        await migrate.upgrade(engine)
        async with engine.begin() as connection:
            counts = [(await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar()
                      for table in ("users", "dialog_runs", "answers")]
        assert counts == [1, 1, 1]
        await migrate.downgrade(engine, "0003")  # and back: columns dropped in place
        async with engine.begin() as connection:
            counts = [(await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar()
                      for table in ("users", "dialog_runs", "answers")]
        assert counts == [1, 1, 1]
    finally:
        await engine.dispose()
