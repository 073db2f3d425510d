"""The operator's scheduling settings, as the service uses them (bot.settings reads them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class SchedulePolicy:
    """How the bot comes back on its own. `grace`: an item whose moment passed while the bot was
    down is still sent within it, else recorded as missed. `lease`: how long a claim holds before
    another dispatcher may take the item. `quiet_hours`: the default for people who set none."""

    grace: timedelta = timedelta(hours=6)
    lease: timedelta = timedelta(minutes=2)
    batch: int = 500
    send_attempts: int = 5
    reminder_after: timedelta = timedelta(hours=24)
    answer_window: timedelta = timedelta(hours=72)
    snooze: timedelta = timedelta(hours=3)
    max_snoozes: int = 2
    quiet_hours: str = "21:00-08:00"
    keep_finished: timedelta = timedelta(days=90)
    keep_update_ids: timedelta = timedelta(days=2)

    def retry_delay(self, attempts: int) -> timedelta | None:
        """When to try sending again after `attempts` failures (doubling from 30 s); None: give up."""
        if attempts >= self.send_attempts:
            return None
        return timedelta(seconds=30 * 2 ** max(attempts - 1, 0))
