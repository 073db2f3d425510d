"""Where a planned moment lands: out of the person's quiet hours, and never in the past.

Every due time a planner makes goes through `placed`, so an item due inside the quiet hours
(the person's own, or the policy's default 21:00–08:00 local) arrives when they end.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from service.schedule.policy import SchedulePolicy
from service.schedule.rhythm import (
    QuietHours,
    Rhythm,
    next_occurrence,
    out_of_quiet,
    stored_quiet,
    wall_to_utc,
    zone_info,
)
from service.turn import Turn
from storage.schedule import NewItem, pending_items, sent_between
from storage.users import UserRecord


def quiet_hours(turn: Turn) -> QuietHours:
    """The person's quiet hours: their own, else the policy's."""
    return stored_quiet(turn.user.quiet_hours, turn.content.policy.quiet_hours)


def quiet_said(turn: Turn, at: time) -> dict[str, str | None]:
    """What a confirmation of a rhythm at `at` says of the quiet hours (`common.quiet_moved`),
    so nobody wonders why the next one comes later than asked: `quiet` is None unless they
    move it."""
    quiet = quiet_hours(turn)
    return {"quiet": str(quiet) if quiet.contains(at) else None,
            "at": f"{at:%H:%M}", "quiet_end": f"{quiet.end:%H:%M}"}


def placed(turn: Turn, due: datetime) -> datetime:
    """`due` moved to the end of the person's quiet hours if it falls inside them; unchanged
    otherwise."""
    return placed_for(turn.user, turn.content.policy, due)


def placed_for(user: UserRecord, policy: SchedulePolicy, due: datetime) -> datetime:
    """`placed` for someone who is not the turn's person (a mentor planned in their mentee's
    turn)."""
    return out_of_quiet(due, user.timezone, stored_quiet(user.quiet_hours, policy.quiet_hours))


def local_moment(turn: Turn, day: date, at: time) -> datetime:
    """A wall time on the person's calendar as a UTC instant (the DST policy of rhythm)."""
    return wall_to_utc(day, at, zone_info(turn.user.timezone))


def local_iso(turn: Turn, moment: datetime) -> str:
    """A moment as the person's local wall time, ISO to the minute (for keys and payloads)."""
    local = moment.astimezone(zone_info(turn.user.timezone)).replace(tzinfo=None)
    return local.isoformat(timespec="minutes")


def local_key(kind: str, user: UserRecord, moment: datetime) -> str:
    """`<kind>:<user>:<local wall time with offset>`: another zone plans anew."""
    local = moment.astimezone(zone_info(user.timezone))
    return f"{kind}:{user.id}:{local.isoformat(timespec='minutes')}"


class SentDays:
    """Whether an item of one kind already reached the person on a local day of theirs: a
    changed zone plans a rhythm anew (its keys name the local time), and today's occurrence at
    the new zone's wall time would be a second one that day. Looked up only for their today
    (no later day has had one yet), at most once."""

    def __init__(self, session: AsyncSession, user: UserRecord, kind: str, now: datetime) -> None:
        self.session, self.user, self.kind, self.now = session, user, kind, now
        self._today: bool | None = None

    async def on(self, day: date) -> bool:
        """Whether one was sent on this local day (only today's can have been)."""
        zone = zone_info(self.user.timezone)
        if day != self.now.astimezone(zone).date():
            return False
        if self._today is None:
            start = wall_to_utc(day, time(0), zone)
            end = wall_to_utc(day + timedelta(days=1), time(0), zone)
            self._today = await sent_between(self.session, self.user.id, self.kind, start, end)
        return self._today


async def occurrences(session: AsyncSession, kind: str, rhythm: Rhythm, user: UserRecord,
                      policy: SchedulePolicy, now: datetime, pending: Iterable[str],
                      sent: SentDays | None = None) -> list[NewItem]:
    """The next occurrence of a rhythm for this person, and one just due that still waits; none
    new that would arrive on a local day on which one of this kind already arrived (then the
    next one). The day it arrives, not the day of its wall time: a rhythm inside the quiet hours
    arrives the next morning, every day."""
    waiting = set(pending)
    sent = sent or SentDays(session, user, kind, now)
    zone = zone_info(user.timezone)
    items: list[NewItem] = []
    after = now - policy.grace
    while True:
        moment = next_occurrence(rhythm, user.timezone, after)
        key = local_key(kind, user, moment)
        due = placed_for(user, policy, moment)
        wanted = moment > now or key in waiting
        if wanted and key not in waiting and await sent.on(due.astimezone(zone).date()):
            wanted = False
        if wanted:
            items.append(NewItem(key, kind, user.id, due, {}))
            if moment > now:
                return items
        after = moment


async def ahead(turn: Turn, items: Iterable[NewItem], kinds: Iterable[str]) -> list[NewItem]:
    """The planned items not in the past: one whose moment passed when planned is not created,
    but one still pending (the bot was down) is kept, for the dispatcher's grace window."""
    planned = list(items)
    if all(item.due_at >= turn.now for item in planned):
        return planned
    pending = {item.key for item in await pending_items(turn.session, turn.user.id, kinds)}
    return [item for item in planned if item.due_at >= turn.now or item.key in pending]


def local_day_and_time(turn: Turn, moment: datetime) -> dict[str, str]:
    """What a text shows of a moment: the person's local date (ISO, for the `long_date` filter)
    and wall time (HH:MM)."""
    local = moment.astimezone(zone_info(turn.user.timezone))
    return {"day": local.date().isoformat(), "time": local.strftime("%H:%M")}


def days_ahead(turn: Turn, day: date | str) -> int:
    """How many days from the person's today to `day` (a date or its ISO form): 0 today, 1
    tomorrow; what texts say "today" and "tomorrow" by (`common.near_day`)."""
    return ((date.fromisoformat(day) if isinstance(day, str) else day) - turn.today).days


def when(turn: Turn, moment: datetime, on: bool = False) -> str:
    """A moment in the person's local time: "today at 18:30", "tomorrow at 08:15", else "Friday,
    27 November 2026 at 17:00" (`on`: "on Friday, …", for a sentence that needs the preposition)."""
    shown = local_day_and_time(turn, moment)
    return turn.say("checkins.when", day=shown["day"], at=shown["time"],
                    days=days_ahead(turn, shown["day"]), on=on)
