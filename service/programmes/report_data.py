"""The report's figures, taken from the programme's statistics (service.programmes.stats and
storage.stats): the one place that turns them into `ReportData`. The week-by-week response rate
counts the statistics' invitations by the week they went out, and the pulse trend averages the
pulses by month: one grouped query each."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from service.names import Say
from service.programmes.report import Ending, PairAttention, PulsePoint, ReportData, WeekRate
from service.programmes.stats import (
    STREAK,
    PairRow,
    ProgrammeStats,
    english,
    programme_stats,
    programme_today,
)
from storage.programmes import ProgrammeRecord
from storage.pulse_trend import pulse_by_period
from storage.stats import invitations_by_period, unreachable_members

WEEKS = 4  # the response rate by week: as far back as the statistics' window
MONTHS = 6  # the pulse trend: this many calendar months, this one included


async def report_data(session: AsyncSession, programme: ProgrammeRecord,
                      now: datetime, say: Say = english) -> ReportData:
    """The figures of one programme as of now: counts and first names (the nameless named by
    `say`, in the report's language), never answer text."""
    today = programme_today(programme, now)
    stats = await programme_stats(session, programme, now, today, say)
    return ReportData(
        programme=programme.name, today=today, members=stats.members, pairs=stats.pairs,
        stages=dict(stats.pairs_by_stage),
        weeks=await _weeks(session, programme, stats, now),
        pulse=await _pulse(session, programme, now),
        attention=tuple(_attention(stats, await unreachable_members(session, programme.id),
                                   today)),
        endings=tuple(Ending(e.mentee, e.mentor, e.on) for e in stats.endings),
        completed=stats.completed)


async def _weeks(session: AsyncSession, programme: ProgrammeRecord, stats: ProgrammeStats,
                 now: datetime) -> tuple[WeekRate, ...]:
    """Invitations sent and started per week, oldest first; none when none went out."""
    if not stats.invited:
        return ()
    starts = [now - timedelta(weeks=WEEKS - i) for i in range(WEEKS)]  # the first: the window's
    counts = await invitations_by_period(session, programme.id, starts)
    return tuple(WeekRate(start.date(), sent, started)
                 for start, (sent, started) in zip(starts, counts, strict=True))


def _month_starts(now: datetime) -> list[datetime]:
    year, month = now.year, now.month
    starts = []
    for _ in range(MONTHS):
        starts.append(datetime(year, month, 1, tzinfo=UTC))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


async def _pulse(session: AsyncSession, programme: ProgrammeRecord,
                 now: datetime) -> tuple[PulsePoint, ...]:
    starts = _month_starts(now)
    periods = await pulse_by_period(session, programme.id, starts)
    return tuple(PulsePoint(starts[i].date(), round(average, 2), count)
                 for i, (average, count) in sorted(periods.items()))


def _score(text: str) -> float | None:
    return float(text) if text else None


def _attention(stats: ProgrammeStats, unreachable: set[int], today: date) -> list[PairAttention]:
    """Every open pair that needs a look (stats decided which: the figure /stats and `coachbot
    stats` give), with what makes it so; `unreachable`: the Telegram ids of members who blocked
    the bot."""
    pairs = []
    for row in (row for row in stats.rows if row.needs_attention):
        blocked = tuple(name for person, name in ((row.mentor_telegram_id, row.mentor),
                                                  (row.mentee_telegram_id, row.mentee))
                        if person in unreachable)
        scores = [s for s in (_score(row.pulse_mentor), _score(row.pulse_mentee)) if s is not None]
        pairs.append(PairAttention(
            row.mentee, row.mentor, stalled_days=_stalled_days(row, today),
            missed_streak=row.missed_streak if row.missed_streak >= STREAK else 0,
            pulse=min(scores) if scores else None, unreachable=blocked))
    return pairs


def _stalled_days(row: PairRow, today: date) -> int | None:
    """How long a stalled pair has been quiet (since pairing when never active)."""
    if not row.stalled:
        return None
    return int(row.days_silent) if row.days_silent else (
        today - date.fromisoformat(row.started_on)).days
