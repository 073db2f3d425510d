"""Read-only views a user asks for: the journey, goals and action steps, their answers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import Markup

from dialogs.journey import JourneyView
from dialogs.registry import DialogNotFound, Scripts
from dialogs.schema import Audience
from dialogs.stages import Stage
from service import callbacks
from service.commands import CommandSpec, command_for_dialog
from service.messages import Button, OutMessage, button
from service.render import Renderer
from storage.answers import AnswerRecord
from storage.goals import GoalRecord
from storage.runs import RunRecord
from storage.vocabulary import ActionStatus


class Views:
    """Formats journeys, goals and answers in the renderer's language."""

    def __init__(self, scripts: Scripts, render: Renderer) -> None:
        self.scripts = scripts
        self.render = render

    def journey(self, view: JourneyView, audience: Audience) -> OutMessage:
        """The four stages, where the user is, what is done, and what comes next."""
        say = self.render.text
        lines = [say("common.journey.header")]
        for stage, dialogs in view.stages:
            if stage is view.stage:
                marker = say("common.journey.current_marker")
            elif stage.order < view.stage.order:
                marker = say("common.journey.past_marker")
            else:
                marker = say("common.journey.future_marker")
            lines.append(say("common.journey.stage_line", marker=marker,
                             name=say(f"common.stages.{stage.value}.name"),
                             about=say(f"common.stages.{stage.value}.about")))
            for dialog, done in dialogs:
                lines.append(say("common.journey.dialog_line", done=done,
                                 title=say(f"{dialog.name}.title"),
                                 command=command_for_dialog(dialog.name, audience)))
        if view.next_dialog is not None and not view.stage_complete:
            lines.append(say("common.journey.next", title=say(f"{view.next_dialog.name}.title"),
                             command=command_for_dialog(view.next_dialog.name, audience)))
        elif view.stage_complete:
            lines.append(say("common.journey.all_done"))
        buttons: list[Button] = []
        if view.stage is not Stage.ENDING:
            buttons.append(button(say("common.buttons.stage_next", stage=say(
                f"common.stages.{view.stage.moved(1).value}.name")), callbacks.stage_data(+1)))
        if view.stage is not Stage.INITIATION:
            buttons.append(button(say("common.buttons.stage_back", stage=say(
                f"common.stages.{view.stage.moved(-1).value}.name")), callbacks.stage_data(-1)))
        return OutMessage("\n".join(lines), tuple((b,) for b in buttons))

    def help(self, commands: Sequence[CommandSpec]) -> OutMessage:
        """What the person can do, then what works inside a dialog, each with its description."""
        say = self.render.text

        def line(spec: CommandSpec) -> str:
            return say("common.help.line", command=spec.name,
                       description=say(f"common.commands.{spec.name}"))

        general = [line(c) for c in commands if not c.in_dialog and c.name not in ("start", "help")]
        inside = [line(c) for c in commands if c.in_dialog]
        return OutMessage("\n".join([say("common.help.header"), *general, "",
                                     say("common.help.in_dialog"), *inside]))

    def goals(self, goals: Sequence[GoalRecord]) -> OutMessage:
        """Goals with their action steps, statuses and dates."""
        say = self.render.text
        if not goals:
            return OutMessage(say("common.goals.none"))
        lines = [say("common.goals.header")]
        if any(goal.actions for goal in goals):  # what the marks before the action steps mean
            lines.append(" · ".join(f"{say(f'common.goals.markers.{status}')} "
                                    f"{say(f'common.goals.status.{status}')}"
                                    for status in ActionStatus))
        for goal in goals:
            lines.append("")
            lines.append(say("common.goals.goal", title=goal.title, status=goal.status,
                             due=goal.due_on.isoformat() if goal.due_on else None,
                             status_label=say(f"common.goals.status.{goal.status}")))
            for action in goal.actions:
                lines.append(say("common.goals.action", text=action.text,
                                 marker=say(f"common.goals.markers.{action.status}"),
                                 due=action.due_on.isoformat() if action.due_on else None))
        return OutMessage("\n".join(lines))

    def answers(
        self, answers: Sequence[AnswerRecord], runs: Mapping[int, RunRecord], dialog: str | None = None
    ) -> list[OutMessage]:
        """Every answer (of one dialog, if given), grouped by stage and dialog run, one message per
        stage."""
        say = self.render.text
        if dialog is not None:
            answers = [a for a in answers if a.dialog == dialog]
            if not answers:
                return [OutMessage(say("common.answers.none_in", title=say(f"{dialog}.title")))]
        if not answers:
            return [OutMessage(say("common.answers.none"))]
        messages = [OutMessage(say("common.answers.header"))]
        for stage in Stage:
            lines: list[str] = []
            for run_id in sorted({a.run_id for a in answers if a.stage == stage.value}):
                run = runs[run_id]
                try:
                    script = self.scripts.get(run.dialog)
                except DialogNotFound:
                    continue
                when = (run.completed_at or run.updated_at).date().isoformat()
                lines.append(say("common.answers.dialog", title=say(f"{run.dialog}.title"),
                                 when=when))
                for answer in (a for a in answers if a.run_id == run_id):
                    try:
                        step = script.step(answer.step_key)
                    except KeyError:
                        continue
                    value = Markup(self.render.value(script, step, answer.value))
                    lines.append(say("common.answers.entry", label=self.render.label(script, step.key),
                                     value=value))
            if lines:
                header = say("common.answers.stage", name=say(f"common.stages.{stage.value}.name"))
                messages.append(OutMessage("\n\n".join([header, *lines])))
        return messages
