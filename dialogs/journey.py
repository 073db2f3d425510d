"""Where a user stands in the journey and what to suggest next. Pure: data in, decision out."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from dialogs.registry import Scripts
from dialogs.schema import Audience, Dialog
from dialogs.stages import Stage

# Dialogs that are repeated throughout a stage (check-ins, agendas) do not hold a stage open.
RECURRING = frozenset({"checkin", "agenda"})


@dataclass(frozen=True)
class JourneyView:
    """A user's journey: their stage, each stage's dialogs with done marks, and the next step."""

    stage: Stage
    stages: tuple[tuple[Stage, tuple[tuple[Dialog, bool], ...]], ...]
    next_dialog: Dialog | None
    stage_complete: bool


def view(scripts: Scripts, stage: Stage, audience: Audience, done: Collection[str]) -> JourneyView:
    """The journey as the user should see it."""
    stages = tuple(
        (s, tuple((d, d.name in done) for d in scripts.for_stage(s, audience))) for s in Stage)
    current = scripts.for_stage(stage, audience)
    missing = [d for d in current if d.name not in done]
    required = [d for d in missing if d.name not in RECURRING]
    next_dialog = missing[0] if missing else (current[0] if current else None)
    return JourneyView(stage, stages, next_dialog, stage_complete=not required)
