"""Where a planned moment lands: out of the person's quiet hours, and never in the past.

Every due time a planner makes goes through `placed`, so an item due inside the quiet hours
(the person's own, or the policy's default 21:00–08:00 local) arrives when they end.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time

from service.schedule.policy import SchedulePolicy
from service.schedule.rhythm import (
    QuietHours,
    out_of_quiet,
    stored_quiet,
    wall_to_utc,
    zone_info,
)
from service.turn import Turn
from storage.schedule import NewItem, pending_items
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
