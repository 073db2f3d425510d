"""What a mentor's view of a mentee holds, gathered through `storage.shared` only.

`mentee_summary` is one line of `/mentees` (and of a digest); `mentee_detail` is one mentee opened:
their shared answers, shared goals and latest shared agenda. Both return None unless the pairing
is the mentor's own and open, so a forged pairing id finds nothing. `readable_shares` is what
every view that shows answers (this one, the digest, the brief) reads: shared answers with the
words they quote from what is not shared withheld (`service.mentors.quoted`). Rendering is
elsewhere (`service.mentors.mentees`), so the digest can reuse the data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.registry import Scripts
from service.mentors.quoted import readable
from storage.answers import AnswerRecord
from storage.goals import GoalRecord
from storage.pairings import PairingRecord
from storage.shared import (
    CHECKIN,
    Activity,
    GoalParts,
    activity,
    open_pairings,
    paired_mentee,
    shared_answers,
    shared_goals,
)
from storage.users import UserRecord, first_name
from storage.vocabulary import ItemStatus

CONFIDENCE_STEP = "confidence"
AGENDA = "agenda"
TREND_LENGTH = 5  # the confidence trend shows this many of the latest shared check-ins
CONFIDENCE_DROP = 3  # a fall by this much between two check-ins is flagged
ENDING_DAYS = 28  # the planned end this close is flagged


class Flag(StrEnum):
    """Something a mentor should look at."""

    HELP = "help"  # a note asking for help waits for the mentor's reply
    CONFIDENCE_DOWN = "confidence_down"  # down by CONFIDENCE_DROP or more since the check-in before
    ENDING = "ending"  # the planned end is within ENDING_DAYS
    UNREACHABLE = "unreachable"  # the mentee blocked the bot


@dataclass(frozen=True)
class MenteeSummary:
    """One mentee as their mentor's list shows them."""

    pairing_id: int
    name: str | None
    stage: str
    last_checkin: date | None  # on the mentor's calendar
    confidence: tuple[int, ...]  # from shared check-ins, oldest first
    missed_in_row: int  # check-in invitations missed since the last one answered
    days_left: int | None  # to the planned end
    flags: tuple[Flag, ...]


@dataclass(frozen=True)
class MenteeDetail:
    """One mentee opened: the summary, their shared answers (the latest agenda apart), shared
    goals with their action steps, and the latest shared agenda."""

    summary: MenteeSummary
    answers: tuple[AnswerRecord, ...]
    goals: tuple[GoalRecord, ...]
    agenda: tuple[AnswerRecord, ...]


def confidence_trend(answers: Sequence[AnswerRecord]) -> tuple[int, ...]:
    """The confidence of each shared check-in, oldest first."""
    values: list[int] = []
    for answer in answers:
        if answer.dialog == CHECKIN and answer.step_key == CONFIDENCE_STEP:
            try:
                values.append(int(str(answer.value)))
            except ValueError:
                continue
    return tuple(values)


def missed_in_row(statuses: Sequence[ItemStatus]) -> int:
    """Check-in invitations missed one after the other, newest first, up to one answered."""
    count = 0
    for status in statuses:
        if status is not ItemStatus.MISSED:
            break
        count += 1
    return count


def summarize(pairing: PairingRecord, mentee: UserRecord, answers: Sequence[AnswerRecord],
              facts: Activity, today: date, zone: ZoneInfo) -> MenteeSummary:
    """The summary from what was read (pure)."""
    trend = confidence_trend(answers)
    ends = pairing.ends_on
    days_left = (ends - today).days if ends else None
    flags: list[Flag] = []
    if facts.open_help:
        flags.append(Flag.HELP)
    if len(trend) >= 2 and trend[-2] - trend[-1] >= CONFIDENCE_DROP:
        flags.append(Flag.CONFIDENCE_DOWN)
    if days_left is not None and 0 <= days_left <= ENDING_DAYS:
        flags.append(Flag.ENDING)
    if not mentee.active:
        flags.append(Flag.UNREACHABLE)
    last = facts.last_checkin_at.astimezone(zone).date() if facts.last_checkin_at else None
    return MenteeSummary(
        pairing_id=pairing.id, name=first_name(mentee.name), stage=mentee.stage,
        last_checkin=last, confidence=trend[-TREND_LENGTH:],
        missed_in_row=missed_in_row(facts.checkin_statuses), days_left=days_left,
        flags=tuple(flags))


async def readable_shares(session: AsyncSession, mentor_id: int, pairing_id: int,
                          scripts: Scripts, parts: Mapping[str, GoalParts]
                          ) -> tuple[list[AnswerRecord], list[GoalRecord]]:
    """The mentee's shared answers, in the order given, each quote of what the mentor may not
    read withheld, and their shared goals (`shared_goals`); both empty unless the pairing is the
    mentor's own and open."""
    goals = await shared_goals(session, mentor_id, pairing_id, parts)
    answers = await shared_answers(session, mentor_id, pairing_id)
    return readable(scripts, answers, goals), goals


async def _summary(session: AsyncSession, mentor_id: int, pairing_id: int, today: date,
                   zone: ZoneInfo) -> tuple[MenteeSummary, list[AnswerRecord]] | None:
    found = await paired_mentee(session, mentor_id, pairing_id)
    facts = await activity(session, mentor_id, pairing_id)
    if found is None or facts is None:
        return None
    pairing, mentee = found
    answers = await shared_answers(session, mentor_id, pairing_id)
    return summarize(pairing, mentee, answers, facts, today, zone), answers


async def mentee_summary(session: AsyncSession, mentor_id: int, pairing_id: int, today: date,
                         zone: ZoneInfo) -> MenteeSummary | None:
    """One mentee's line, or None unless the pairing is the mentor's own and open."""
    found = await _summary(session, mentor_id, pairing_id, today, zone)
    return None if found is None else found[0]


async def mentee_summaries(session: AsyncSession, mentor_id: int, today: date,
                           zone: ZoneInfo) -> list[MenteeSummary]:
    """Every open pairing of the mentor, oldest first."""
    summaries = []
    for pairing_id in await open_pairings(session, mentor_id):
        summary = await mentee_summary(session, mentor_id, pairing_id, today, zone)
        if summary is not None:
            summaries.append(summary)
    return summaries


async def mentee_detail(session: AsyncSession, mentor_id: int, pairing_id: int, today: date,
                        zone: ZoneInfo, scripts: Scripts,
                        parts: Mapping[str, GoalParts]) -> MenteeDetail | None:
    """One mentee opened, or None unless the pairing is the mentor's own and open (of a goal,
    the parts whose answers are shared: see `GoalParts`; of an answer, what it quotes only as
    far as the mentor reads it in its own place: `readable_shares`)."""
    found = await _summary(session, mentor_id, pairing_id, today, zone)
    if found is None:
        return None
    summary, answers = found
    goals = await shared_goals(session, mentor_id, pairing_id, parts)
    answers = readable(scripts, answers, goals)
    agendas = [a.run_id for a in answers if a.dialog == AGENDA]
    latest = max(agendas) if agendas else None
    agenda = tuple(a for a in answers if a.run_id == latest)
    rest = tuple(a for a in answers if a.run_id != latest)
    return MenteeDetail(summary, rest, tuple(goals), agenda)
