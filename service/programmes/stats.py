"""A programme's health figures: pairs per stage, check-in response rate over four weeks (of the
invitations), the check-ins the mentees of open pairs completed (invited or begun on their own,
/checkin: the CSV's column per pair, summed; a mentor's own check-in is not a pair's), missed
streaks, stalled pairs, pairs needing attention, inactive and unreachable people, endings coming
up, pulse averages, and how many answers matched a safety phrase (of members who agreed the team
may know; a count only).

Computed from storage.stats' grouped queries (one pass over their rows, no query per person).
`coachbot stats`, /stats and `coachbot report` all take their figures from `programme_stats`, on
the programme's own date, so they say the same. Coordinators see counts and first names only,
never what anyone answered; someone without a name is "Mentee 3" or "Mentor 2" (service.names),
in the reader's language.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.stages import Stage
from prompts.catalog import default_catalog
from service.csv_cells import csv_text
from service.messages import plain
from service.names import Say, pair_names
from storage.programmes import ProgrammeRecord
from storage.safety import matches_since
from storage.stats import MemberFigures, PairFigures, member_figures, pair_figures

WINDOW = timedelta(weeks=4)  # the response rate's window
STALLED = timedelta(days=21)  # a pair with no activity this long (and paired this long)
SILENT = timedelta(days=30)  # a person silent this long is inactive
ENDING_SOON = timedelta(days=30)
STREAK = 2  # missed invitations in a row that count as a missed streak
LOW_PULSE = 2.5  # a pair whose lower side's pulse average is at most this needs attention


@dataclass(frozen=True)
class PairRow:
    """One open pair: the CSV's row (first names only, or service.names' "Mentee 3"), and both
    Telegram ids last, to tell two pairs of the same names apart and to `coachbot unpair` one."""

    pairing: int
    mentor: str
    mentee: str
    stage: str
    status: str
    started_on: str
    ends_on: str
    invited_4w: int
    started_4w: int
    response_rate_4w: str
    mentee_checkins_done_4w: int  # the mentee's completed check-ins, invited or begun on their own
    missed_streak: int
    days_silent: str
    stalled: bool
    unreachable: bool
    ends_within_30d: bool
    pulse_mentor: str
    pulse_mentee: str
    needs_attention: bool  # stalled, a missed streak, a low pulse or someone unreachable
    mentor_telegram_id: int
    mentee_telegram_id: int


@dataclass(frozen=True)
class Ending:
    """A pair whose relationship ends soon."""

    on: date
    mentor: str
    mentee: str


@dataclass(frozen=True)
class ProgrammeStats:
    """The figures of one programme at one moment."""

    programme: str
    at: datetime
    members: int
    pairs: int
    pairs_by_stage: dict[str, int]
    invited: int  # invitations that went out in the last four weeks
    started: int  # of those, started (the response rate)
    missed_streaks: int  # people with STREAK or more missed in a row
    stalled: int
    stalled_names: list[str]  # "Ana & Ben"
    inactive: int  # reachable, silent for 30 days
    unreachable: int  # blocked the bot
    endings: list[Ending]
    pulse_mentor: float | None
    pulse_mentee: float | None
    rows: list[PairRow]
    safety_matches: int = 0  # answers that matched a safety phrase, of members who let it be told
    safety_people: int = 0  # (last four weeks; every one, also those no alert was sent for)
    attention: int = 0  # open pairs needing attention (the report lists them)
    completed: int = 0  # the rows' mentee_checkins_done_4w summed: paired mentees' check-ins

    @property
    def response_rate(self) -> float | None:
        """Started / invited over the window (None: nobody was invited)."""
        return self.started / self.invited if self.invited else None


def programme_today(programme: ProgrammeRecord, now: datetime) -> date:
    """The date in the programme's time zone (UTC without one)."""
    try:
        return now.astimezone(ZoneInfo(str(programme.defaults.get("timezone") or "UTC"))).date()
    except (KeyError, ValueError):
        return now.astimezone(UTC).date()


def _quiet_since(member: MemberFigures) -> datetime | None:
    """Their last activity, or when they joined if that is later (someone who joined minutes ago
    has not been silent for 30 days)."""
    moments = [moment for moment in (member.last_active, member.joined) if moment is not None]
    return max(moments) if moments else None


def _silent_days(member: MemberFigures | None, now: datetime) -> int | None:
    if member is None or member.last_active is None:
        return None
    return (now - member.last_active).days


def _mean(values: list[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return round(sum(present) / len(present), 2) if present else None


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def shown_values(figures: ProgrammeStats, stage_name: Callable[[str], str]) -> dict[str, Any]:
    """The figures as the templates that show them take them (`/stats` in a chat, `coachbot
    stats` in the shell): the stages by `stage_name`, the response rate in whole percent."""
    rate = figures.response_rate
    return {
        "programme": figures.programme, "members": figures.members, "pairs": figures.pairs,
        "stages": [(stage_name(stage), count) for stage, count in figures.pairs_by_stage.items()],
        "started": figures.started, "invited": figures.invited, "completed": figures.completed,
        "rate": None if rate is None else round(rate * 100), "streaks": figures.missed_streaks,
        "stalled": figures.stalled, "stalled_names": figures.stalled_names,
        "attention": figures.attention, "inactive": figures.inactive,
        "unreachable": figures.unreachable,
        "endings": [{"on": e.on.isoformat(), "mentor": e.mentor, "mentee": e.mentee}
                    for e in figures.endings],
        "pulse_mentor": figures.pulse_mentor, "pulse_mentee": figures.pulse_mentee,
        "safety_matches": figures.safety_matches, "safety_people": figures.safety_people}


def in_language(lang: str) -> Say:
    """The shipped catalog's texts in this language, plain: for the outputs made outside a chat
    (`coachbot stats`, its CSV, `coachbot report`) to name the nameless in."""
    def say(key: str, **variables: object) -> str:
        return plain(default_catalog().render(lang, key, **variables))
    return say


english = in_language("en")  # where no reader's language is given


async def programme_stats(session: AsyncSession, programme: ProgrammeRecord,
                          now: datetime, today: date | None = None,
                          say: Say = english) -> ProgrammeStats:
    """Every figure of one programme (the caller checked the reader coordinates it), as of `today`
    (by default the programme's date); `say` names the nameless in the reader's language."""
    today = today or programme_today(programme, now)
    members = await member_figures(session, programme.id, now - WINDOW)
    pairs = await pair_figures(session, programme.id)
    by_id = {member.user_id: member for member in members}
    names = await pair_names(session, say, programme.id,
                             [(p.pairing_id, p.mentor_id, p.mentee_id) for p in pairs],
                             {member.user_id: member.first_name for member in members})
    rows: list[PairRow] = []
    stages: Counter[str] = Counter()
    endings: list[Ending] = []
    for pair in pairs:
        rows.append(_row(pair, names[pair.pairing_id], by_id, now, today))
        mentee = by_id.get(pair.mentee_id)
        stages[mentee.stage if mentee else "?"] += 1
        if pair.ends_on is not None and today <= pair.ends_on <= today + ENDING_SOON:
            endings.append(Ending(pair.ends_on, rows[-1].mentor, rows[-1].mentee))
    silent_since = now - SILENT
    safety_matches, safety_people = await matches_since(session, programme.id, now - WINDOW)
    return ProgrammeStats(
        programme=programme.name, at=now, members=len(members), pairs=len(pairs),
        pairs_by_stage={stage.value: stages.get(stage.value, 0) for stage in Stage},
        invited=sum(m.invited for m in members), started=sum(m.started for m in members),
        missed_streaks=sum(m.missed_streak >= STREAK for m in members),
        stalled=sum(row.stalled for row in rows),
        stalled_names=[f"{row.mentor} & {row.mentee}" for row in rows if row.stalled],
        inactive=sum(m.active and (quiet is None or quiet < silent_since)
                     for m in members for quiet in (_quiet_since(m),)),
        unreachable=sum(not m.active for m in members),
        endings=sorted(endings, key=lambda ending: ending.on),
        pulse_mentor=_mean([pair.pulse_mentor for pair in pairs]),
        pulse_mentee=_mean([pair.pulse_mentee for pair in pairs]),
        rows=rows, safety_matches=safety_matches, safety_people=safety_people,
        attention=sum(row.needs_attention for row in rows),
        completed=sum(row.mentee_checkins_done_4w for row in rows))


def _row(pair: PairFigures, names: tuple[str, str], by_id: dict[int, MemberFigures],
         now: datetime, today: date) -> PairRow:
    mentor, mentee = by_id.get(pair.mentor_id), by_id.get(pair.mentee_id)
    silent = _silent_days(mentee, now)
    paired_long = (today - pair.started_on) >= STALLED
    stalled = paired_long and (silent is None or silent >= STALLED.days)
    invited = mentee.invited if mentee else 0
    started = mentee.started if mentee else 0
    streak = mentee.missed_streak if mentee else 0
    unreachable = any(m is not None and not m.active for m in (mentor, mentee))
    pulses = [p for p in (pair.pulse_mentor, pair.pulse_mentee) if p is not None]
    return PairRow(
        pairing=pair.pairing_id, mentor=names[0], mentee=names[1],
        stage=mentee.stage if mentee else "",
        status=pair.status, started_on=pair.started_on.isoformat(),
        ends_on=pair.ends_on.isoformat() if pair.ends_on else "", invited_4w=invited,
        started_4w=started, response_rate_4w=_fmt(started / invited) if invited else "",
        mentee_checkins_done_4w=mentee.completed if mentee else 0,
        missed_streak=streak, days_silent="" if silent is None else str(silent), stalled=stalled,
        unreachable=unreachable,
        ends_within_30d=pair.ends_on is not None and today <= pair.ends_on <= today + ENDING_SOON,
        pulse_mentor=_fmt(pair.pulse_mentor), pulse_mentee=_fmt(pair.pulse_mentee),
        needs_attention=stalled or streak >= STREAK or unreachable
        or (bool(pulses) and min(pulses) <= LOW_PULSE),
        mentor_telegram_id=pair.mentor_telegram_id, mentee_telegram_id=pair.mentee_telegram_id)


CSV_COLUMNS = tuple(field.name for field in fields(PairRow))


def to_csv(stats: ProgrammeStats) -> str:
    """One row per open pair, with a header; yes and no as 1 and 0; names that a spreadsheet
    would run as a formula made text (service.csv_cells)."""
    return csv_text(CSV_COLUMNS, ({key: int(value) if isinstance(value, bool) else value
                                   for key, value in asdict(row).items()} for row in stats.rows))
