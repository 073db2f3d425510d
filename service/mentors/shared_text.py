"""What a mentee shared, written for their mentor: the frame (titles, labels, choices, dates) in
the mentor's language, the mentee's own words as they wrote them. Used by digests and briefs."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime

from markupsafe import Markup

from dialogs.registry import DialogNotFound, Scripts
from service.render import Renderer
from service.schedule.rhythm import zone_info
from storage.answers import AnswerRecord
from storage.goals import GoalRecord


def _runs(answers: Sequence[AnswerRecord]) -> Iterator[list[AnswerRecord]]:
    """The answers of each run, in the order given (the query sorts by run)."""
    group: list[AnswerRecord] = []
    for answer in answers:
        if group and group[-1].run_id != answer.run_id:
            yield group
            group = []
        group.append(answer)
    if group:
        yield group


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def local_day(moment: datetime, zone: str) -> str:
    """A moment's date on a person's calendar (ISO, for the `date` filter)."""
    return moment.astimezone(zone_info(zone)).date().isoformat()


def answers_text(render: Renderer, scripts: Scripts, answers: Sequence[AnswerRecord],
                 zone: str) -> list[str]:
    """One block per dialog run: its title and day, then each shared answer by its label (one
    template render per run; titles and labels rendered once per call)."""
    blocks: list[str] = []
    frames: dict[tuple[str, str], Markup] = {}

    def frame(key: str, dialog: str, render_key: str) -> Markup:
        if (dialog, key) not in frames:
            frames[(dialog, key)] = Markup(render.text(render_key))
        return frames[(dialog, key)]

    for group in _runs(answers):
        try:
            script = scripts.get(group[0].dialog)
        except DialogNotFound:
            continue
        steps = {step.key: step for step in script.steps}
        rows = [(frame(answer.step_key, script.name, f"{script.name}.steps.{answer.step_key}.label"),
                 Markup(render.value(script, steps[answer.step_key], answer.value)))
                for answer in group if answer.step_key in steps and answer.value is not None]
        blocks.append(render.text("digest.run", title=frame("", script.name, f"{script.name}.title"),
                                  day=local_day(max(a.updated_at for a in group), zone), rows=rows))
    return blocks


def goals_text(render: Renderer, goals: Sequence[GoalRecord]) -> list[str]:
    """Each goal with its status and action steps."""
    blocks = []
    for goal in goals:
        lines = [render.text("common.goals.goal", title=goal.title, due=_iso(goal.due_on),
                             status=goal.status.value,
                             status_label=render.text(f"common.goals.goal_status.{goal.status}"))]
        lines += [render.text("common.goals.action", text=action.text, due=_iso(action.due_on),
                              marker=render.text(f"common.goals.markers.{action.status}"))
                  for action in goal.actions]
        blocks.append("\n".join(lines))
    return blocks
