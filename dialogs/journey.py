"""Where a user stands in the journey and what to suggest next. Pure: data in, decision out."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from dialogs.registry import Scripts
from dialogs.schema import Audience, Dialog
from dialogs.stages import Stage

# Dialogs that are repeated throughout a stage (check-ins, agendas) do not hold a stage open, and
# do not close one either: a stage of nothing else (maturing) goes on until its end is near.
RECURRING = frozenset({"checkin", "agenda", "mentor_checkin"})


@dataclass(frozen=True)
class JourneyView:
    """A user's journey: their stage, each stage's dialogs with done marks, and the next step."""

    stage: Stage
    stages: tuple[tuple[Stage, tuple[tuple[Dialog, bool], ...]], ...]
    next_dialog: Dialog | None
    stage_complete: bool


def view(scripts: Scripts, stage: Stage, audience: Audience, done: Collection[str],
         end_near: bool = False) -> JourneyView:
    """The journey as the user should see it. `end_near` says the planned end of the relationship
    is close: only then is a stage of recurring dialogs (maturing) complete."""
    stages = tuple(
        (s, tuple((d, d.name in done) for d in scripts.for_stage(s, audience))) for s in Stage)
    current = scripts.for_stage(stage, audience)
    missing = [d for d in current if d.name not in done]
    once = [d for d in current if d.name not in RECURRING]
    complete = (not [d for d in missing if d in once]) if once else end_near
    next_dialog = missing[0] if missing else (current[0] if current else None)
    return JourneyView(stage, stages, next_dialog, stage_complete=complete)
