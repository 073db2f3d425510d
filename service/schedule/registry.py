"""Every kind of scheduled item the bot ships, in one place."""

from __future__ import annotations

from service.mentors import alerts, brief, digest, own_checkin, own_rhythm, pairing, planning
from service.programmes import admin_view, broadcasts, figures, moving, pairs, pulse
from service.schedule import checkins, invitation
from service.schedule.ending import ending_kinds
from service.schedule.kinds import Registry
from service.schedule.maintenance import maintenance
from service.schedule.meeting import meeting_kinds
from service.schedule.pause import pause_kinds
from service.schedule.policy import SchedulePolicy


def default_registry(policy: SchedulePolicy | None = None) -> Registry:
    """The shipped kinds and planners."""
    return Registry().add(maintenance(policy or SchedulePolicy()), *invitation.kinds(),
                          *checkins.planners(), *pause_kinds(), *meeting_kinds(), *ending_kinds(),
                          *digest.kinds(), *alerts.kinds(), *brief.kinds(), *own_checkin.kinds(),
                          *own_rhythm.choices(),
                          *planning.planners(), *broadcasts.kinds(), *pulse.kinds(),
                          *map(pairing.menu_follows, (*pairs.kinds(), *moving.kinds())),
                          *figures.choices(), *admin_view.choices())
