"""A programme's health figures, read with a few grouped queries (never one query per person).

Coordinators see counts and first names, never answer text: nothing here selects an answer's
value, a goal, a note or a pulse comment. Each function names the programme it reads; the caller
has checked who may see it (storage.programmes.coordinated_by).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Integer, and_, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from storage.rows import ITEMS, PAIRINGS, PULSES, RUNS, USERS
from storage.users import first_name
from storage.vocabulary import ItemStatus, PairingStatus, RunStatus

#: The kinds of item that invite someone to answer (their payload notes `started`).
INVITATIONS = ("checkin", "broadcast", "cohort_checkin")
#: The mentee's check-in dialog: its completed runs count whether invited or begun alone. The
#: mentor's own check-in (mentor_checkin) is about the mentor, not a pair, and is not counted.
CHECKIN = "checkin"
#: An invitation that went out (whatever became of it since).
WENT_OUT = (ItemStatus.SENT.value, ItemStatus.MISSED.value, ItemStatus.SKIPPED.value)


@dataclass(frozen=True)
class MemberFigures:
    """One member: who (first name only; None without one: service.names says how coordinators
    read them), where they are, how they answer."""

    user_id: int
    first_name: str | None
    stage: str
    active: bool
    last_active: datetime | None  # their last dialog step (None: never)
    invited: int  # invitations that went out since the window's start
    started: int  # of those, started
    missed_streak: int  # invitations missed in a row since the last one started
    joined: datetime | None = None  # when they first wrote to the bot (silence counts from here)
    completed: int = 0  # their check-ins (CHECKIN) completed since the window's start, invited or not


@dataclass(frozen=True)
class PairFigures:
    """One open pairing of the programme, with its pulse averages per side."""

    pairing_id: int
    mentor_id: int
    mentee_id: int
    status: str
    started_on: date
    ends_on: date | None
    pulse_mentor: float | None
    pulse_mentee: float | None
    pulses: int
    mentor_telegram_id: int  # what `coachbot pair` and `unpair` take
    mentee_telegram_id: int


def started_flag() -> ColumnElement[Any]:
    """1 where an invitation's payload says it was started, else 0 (both backends)."""
    flag = ITEMS.c.payload["started"].as_boolean()
    return case((flag.is_(True), 1), else_=0)


async def member_figures(session: AsyncSession, programme_id: int,
                         since: datetime) -> list[MemberFigures]:
    """Every member of the programme with their last activity, invitations since `since`, mentee
    check-ins completed since then, and their current missed streak: grouped sub-queries over the members'
    own rows (users by programme, then runs and items by person), joined to the members; the
    invitation counts are read once (a CTE) for the figures and for the streak."""
    member = USERS.c.programme_id == programme_id
    done = and_(RUNS.c.dialog == CHECKIN, RUNS.c.status == RunStatus.COMPLETED.value,
                func.coalesce(RUNS.c.completed_at, RUNS.c.updated_at) >= since)
    activity = (select(USERS.c.id.label("user_id"), func.max(RUNS.c.updated_at).label("last_active"),
                       func.sum(case((done, 1), else_=0)).label("completed"))
                .select_from(USERS.join(RUNS, RUNS.c.user_id == USERS.c.id)).where(member)
                .group_by(USERS.c.id).subquery())
    theirs = USERS.join(ITEMS, and_(ITEMS.c.user_id == USERS.c.id, ITEMS.c.kind.in_(INVITATIONS)))
    flag = started_flag()
    recent = and_(ITEMS.c.status.in_(WENT_OUT), ITEMS.c.due_at >= since)
    invited = (select(USERS.c.id.label("user_id"),
                      func.sum(case((recent, 1), else_=0)).label("invited"),
                      func.sum(case((recent, flag), else_=0)).label("started"),
                      func.max(case((flag == 1, ITEMS.c.due_at))).label("last_started"))
               .select_from(theirs).where(member).group_by(USERS.c.id).cte("invited"))
    streak = (select(ITEMS.c.user_id, func.count().label("streak"))
              .select_from(theirs.outerjoin(invited, invited.c.user_id == ITEMS.c.user_id))
              .where(member, ITEMS.c.status == ItemStatus.MISSED.value,
                     or_(invited.c.last_started.is_(None), ITEMS.c.due_at > invited.c.last_started))
              .group_by(ITEMS.c.user_id).subquery())
    query = (select(USERS.c.id, USERS.c.name, USERS.c.stage, USERS.c.active,
                    activity.c.last_active, invited.c.invited, invited.c.started, streak.c.streak,
                    USERS.c.created_at, activity.c.completed)
             .outerjoin(activity, activity.c.user_id == USERS.c.id)
             .outerjoin(invited, invited.c.user_id == USERS.c.id)
             .outerjoin(streak, streak.c.user_id == USERS.c.id)
             .where(member).order_by(USERS.c.id))
    # rows unpacked in the query's order: ten thousand members are read by name noticeably slower
    return [MemberFigures(user_id, first_name(name), stage, bool(active),
                          last_active,  # max() keeps the column's type: aware UTC
                          int(invited or 0), int(started or 0), int(streak or 0),
                          created_at, int(completed or 0))
            for (user_id, name, stage, active, last_active, invited, started, streak, created_at,
                 completed) in await session.execute(query)]


async def invitations_by_period(session: AsyncSession, programme_id: int,
                                starts: Sequence[datetime]) -> list[tuple[int, int]]:
    """Per period (from each of `starts`, which ascend, to the next; the last runs on): the
    invitations that went out to the programme's members and how many of them were started, as
    `member_figures` counts them since a moment, in one grouped query."""
    if not starts:
        return []
    period = case(*((ITEMS.c.due_at >= start, index)
                    for index, start in reversed(list(enumerate(starts)))), else_=-1)
    query = (select(period.label("period"), func.count(), func.sum(started_flag()))
             .select_from(USERS.join(ITEMS, and_(ITEMS.c.user_id == USERS.c.id,
                                                 ITEMS.c.kind.in_(INVITATIONS))))
             .where(USERS.c.programme_id == programme_id, ITEMS.c.status.in_(WENT_OUT),
                    ITEMS.c.due_at >= starts[0])
             .group_by(period))
    counts = [(0, 0)] * len(starts)
    for index, invited, started in await session.execute(query):
        if index >= 0:
            counts[int(index)] = (int(invited), int(started or 0))
    return counts


async def unreachable_members(session: AsyncSession, programme_id: int) -> set[int]:
    """The Telegram ids of the programme's members who blocked the bot."""
    return set((await session.execute(
        select(USERS.c.telegram_id).where(USERS.c.programme_id == programme_id,
                                          USERS.c.active.is_(False)))).scalars())


async def pair_figures(session: AsyncSession, programme_id: int) -> list[PairFigures]:
    """The programme's pairings that are not ended, with their pulse averages per side and both
    people's Telegram ids."""
    def side_avg(side: str) -> ColumnElement[Any]:
        return func.avg(case((PULSES.c.side == side, PULSES.c.score)))

    pulses = (select(PULSES.c.pairing_id, side_avg("mentor").label("mentor"),
                     side_avg("mentee").label("mentee"), func.count().label("pulses"))
              .where(PULSES.c.pairing_id.in_(
                  select(PAIRINGS.c.id).where(PAIRINGS.c.programme_id == programme_id)))
              .group_by(PULSES.c.pairing_id).subquery())
    mentor, mentee = USERS.alias("mentor"), USERS.alias("mentee")
    query = (select(PAIRINGS.c.id, PAIRINGS.c.mentor_id, PAIRINGS.c.mentee_id, PAIRINGS.c.status,
                    PAIRINGS.c.started_on, PAIRINGS.c.ends_on, pulses.c.mentor, pulses.c.mentee,
                    func.coalesce(pulses.c.pulses, literal(0, Integer)).label("pulses"),
                    mentor.c.telegram_id.label("mentor_telegram_id"),
                    mentee.c.telegram_id.label("mentee_telegram_id"))
             .select_from(PAIRINGS)
             .join(mentor, mentor.c.id == PAIRINGS.c.mentor_id)
             .join(mentee, mentee.c.id == PAIRINGS.c.mentee_id)
             .outerjoin(pulses, pulses.c.pairing_id == PAIRINGS.c.id)
             .where(PAIRINGS.c.programme_id == programme_id,
                    PAIRINGS.c.status != PairingStatus.ENDED.value)
             .order_by(PAIRINGS.c.id))
    return [PairFigures(pairing, mentor_id, mentee_id, status, started_on, ends_on,
                        _float(mentor_pulse), _float(mentee_pulse), int(pulses_given),
                        mentor_telegram_id, mentee_telegram_id)
            for (pairing, mentor_id, mentee_id, status, started_on, ends_on, mentor_pulse,
                 mentee_pulse, pulses_given, mentor_telegram_id, mentee_telegram_id)
            in await session.execute(query)]


def _float(value: object) -> float | None:
    return None if value is None else round(float(value), 2)  # type: ignore[arg-type]

