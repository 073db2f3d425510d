"""Read-only views a user asks for: the journey, goals and action steps, their answers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from markupsafe import Markup

from dialogs.journey import JourneyView
from dialogs.registry import DialogNotFound, Scripts
from dialogs.schema import Audience, Dialog
from dialogs.stages import Stage
from service import callbacks
from service.callbacks import ShareOp
from service.commands import CommandSpec, Scope, command_for_dialog, description_key
from service.effects import unique_actions
from service.messages import Button, OutMessage, button
from service.render import Renderer
from storage.answers import AnswerRecord
from storage.goals import ActionRecord, GoalRecord
from storage.runs import RunRecord
from storage.vocabulary import ActionStatus, GoalStatus, Visibility

STEP_ROW = 5  # step number buttons in a row
MAX_STEP_TEXT = 300  # an action step's text, as GROW takes it


def stage_about(stage: Stage, audience: Audience) -> str:
    """The catalog key of what a stage is about, in the words of this side of the pair."""
    suffix = "about_mentor" if audience is Audience.MENTOR else "about"
    return f"common.stages.{stage.value}.{suffix}"


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


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
                             about=say(stage_about(stage, audience))))
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

    def help(self, commands: Sequence[CommandSpec], scopes: frozenset[Scope]) -> OutMessage:
        """What the person can do, then what works inside a dialog (when any of it is theirs:
        a coordinator without a side has no dialog), each with its description as their menu
        words it."""
        say = self.render.text

        def line(spec: CommandSpec) -> str:
            return say("common.help.line", command=spec.name,
                       description=say(description_key(spec, scopes)))

        general = [line(c) for c in commands if not c.in_dialog and c.name not in ("start", "help")]
        inside = [line(c) for c in commands if c.in_dialog]
        return OutMessage("\n".join([say("common.help.header"), *general,
                                     *(["", say("common.help.in_dialog"), *inside] if inside
                                       else [])]))

    def goals(self, goals: Sequence[GoalRecord], audience: Audience = Audience.MENTEE
              ) -> OutMessage:
        """Goals with their action steps, statuses and dates; a button per goal opens it. With
        none, a mentee is pointed to the dialogs that shape one, a mentor to their mentees'."""
        say = self.render.text
        if not goals:
            return OutMessage(say("common.goals.none_mentor" if audience is Audience.MENTOR
                                  else "common.goals.none"))
        lines = [say("common.goals.header")]
        if any(goal.actions for goal in goals):  # what the marks before the action steps mean
            lines.append(" · ".join(f"{say(f'common.goals.markers.{status}')} "
                                    f"{say(f'common.goals.status.{status}')}"
                                    for status in ActionStatus))
        for goal in goals:
            lines.append("")
            lines.append(self._goal_line(goal))
            for action in goal.actions:
                lines.append(say("common.goals.action", text=action.text,
                                 marker=say(f"common.goals.markers.{action.status}"),
                                 due=_iso(action.due_on)))
        lines += ["", say("common.goals.list_hint")]
        buttons = tuple((button(say("common.goals.buttons.goal", number=number, title=goal.title),
                                callbacks.goal_data(goal.id)),)
                        for number, goal in enumerate(goals, start=1))
        return OutMessage("\n".join(lines), buttons)

    def goal(self, goal: GoalRecord, note: str | None = None) -> OutMessage:
        """One goal: its numbered steps, a button per step (first, so a typed number presses the
        step of that number), then reached / set aside, or open again."""
        say = self.render.text
        lines = [note, ""] if note else []
        lines.append(self._goal_line(goal))
        for number, action in enumerate(goal.actions, start=1):
            lines.append(say("common.goals.step_line", number=number, text=action.text,
                             marker=say(f"common.goals.markers.{action.status}"),
                             due=_iso(action.due_on)))
        lines += ["", say("common.goals.goal_hint" if goal.actions else "common.goals.no_steps")]
        steps = [button(say("common.goals.buttons.step", number=number),
                        callbacks.step_data(action.id))
                 for number, action in enumerate(goal.actions, start=1)]
        marks: tuple[Button, ...]
        if goal.is_open:
            marks = (button(say("common.goals.buttons.achieved"),
                            callbacks.goal_data(goal.id, GoalStatus.ACHIEVED)),
                     button(say("common.goals.buttons.dropped"),
                            callbacks.goal_data(goal.id, GoalStatus.DROPPED)))
        else:
            marks = (button(say("common.goals.buttons.reopen"),
                            callbacks.goal_data(goal.id, GoalStatus.OPEN)),)
        back = (button(say("common.goals.buttons.all_goals"), callbacks.GOALS_DATA),)
        numbers = [tuple(steps[i:i + STEP_ROW]) for i in range(0, len(steps), STEP_ROW)]
        return OutMessage("\n".join(lines), (*numbers, marks, back))

    def step(self, goal: GoalRecord, action: ActionRecord) -> OutMessage:
        """One action step of a goal, with what can be done to it."""
        say = self.render.text
        text = say("common.goals.step", goal=goal.title, text=action.text,
                   marker=say(f"common.goals.markers.{action.status}"), due=_iso(action.due_on),
                   status=say(f"common.goals.status.{action.status}"))

        def act(key: str, op: callbacks.StepOp) -> Button:
            return button(say(f"common.goals.buttons.{key}"), callbacks.step_data(action.id, op))

        if action.status in (ActionStatus.OPEN, ActionStatus.PARTLY):
            marks: tuple[Button, ...] = (act("done", callbacks.StepOp.DONE),
                                         act("step_dropped", callbacks.StepOp.DROPPED))
        else:
            marks = (act("step_reopen", callbacks.StepOp.OPEN),)
        return OutMessage(text, (
            marks, (act("edit_text", callbacks.StepOp.TEXT), act("edit_date", callbacks.StepOp.DATE)),
            (act("delete", callbacks.StepOp.DELETE),),
            (button(say("common.goals.buttons.back_to_goal"), callbacks.goal_data(goal.id)),)))

    def edit_prompt(self, action: ActionRecord, field: str, problem: str | None = None) -> OutMessage:
        """Ask for a step's new text or date; the answer is typed, "leave it" is a button."""
        say = self.render.text
        key = "common.goals.ask_date" if field == "date" else "common.goals.ask_text"
        parts = [say(f"common.problems.{problem}", max_length=MAX_STEP_TEXT)] if problem else []
        parts.append(say(key, text=action.text, due=_iso(action.due_on)))
        keep = button(say("common.goals.buttons.keep"),
                      callbacks.step_data(action.id, callbacks.StepOp.KEEP))
        return OutMessage("\n\n".join(parts), ((keep,),), free_text=True)

    def delete_question(self, action: ActionRecord) -> OutMessage:
        """Delete this step for good?"""
        say = self.render.text
        return OutMessage(say("common.goals.confirm_delete", text=action.text), ((
            button(say("common.goals.buttons.delete_yes"),
                   callbacks.step_data(action.id, callbacks.StepOp.DELETE_SURE)),
            button(say("common.goals.buttons.delete_no"), callbacks.step_data(action.id))),))

    def revise_question(self, dialog: str, goals: Sequence[GoalRecord]) -> OutMessage:
        """Revise one of these goals in the dialog, or set a new one?"""
        say = self.render.text
        buttons = [(button(say("common.goals.buttons.revise", title=goal.title),
                           callbacks.revise_data(dialog, goal.id)),) for goal in goals]
        buttons.append((button(say("common.goals.buttons.new_goal"),
                               callbacks.revise_data(dialog, None)),))
        return OutMessage(say("common.goals.revise", count=len(goals)), tuple(buttons))

    def _steps_now(self, script: Dialog, of_run: Sequence[AnswerRecord],
                   goals: Sequence[GoalRecord]) -> list[str]:
        """The goal's steps as they are now, when /goals changed them since these answers."""
        effect = next((e.create_goal for e in script.effects if e.create_goal), None)
        if effect is None or not goals:
            return []
        answered = unique_actions(effect, {a.step_key: a.value for a in of_run})
        goal = goals[0]
        if answered == [(action.text, action.due_on) for action in goal.actions]:
            return []
        say = self.render.text
        steps = [say("common.goals.action", text=action.text, due=_iso(action.due_on),
                     marker=say(f"common.goals.markers.{action.status}"))
                 for action in goal.actions]
        return ["\n".join([say("common.answers.steps_now", title=goal.title), *steps])]

    def _goal_line(self, goal: GoalRecord) -> str:
        say = self.render.text
        return say("common.goals.goal", title=goal.title, status=goal.status, due=_iso(goal.due_on),
                   status_label=say(f"common.goals.goal_status.{goal.status}"))

    def answers(
        self, answers: Sequence[AnswerRecord], runs: Mapping[int, RunRecord], dialog: str | None = None,
        goals: Sequence[GoalRecord] = (),
    ) -> list[OutMessage]:
        """Every answer (of one dialog, if given), grouped by stage and dialog run, one message per
        stage; each run says how much of it is shared, and a button per run opens its answers to
        share or keep private. A run whose goal's steps were changed since in /goals says so,
        with the steps as they are now (the answers stay as they were written)."""
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
            share: list[Button] = []
            for run_id in sorted({a.run_id for a in answers if a.stage == stage.value}):
                run = runs[run_id]
                try:
                    script = self.scripts.get(run.dialog)
                except DialogNotFound:
                    continue
                when = (run.completed_at or run.updated_at).date().isoformat()
                of_run = [a for a in answers if a.run_id == run_id]
                shared = sum(a.visibility is Visibility.SHARED for a in of_run)
                lines.append(say("common.answers.dialog", title=say(f"{run.dialog}.title"),
                                 when=when, shared=shared, total=len(of_run)))
                share.append(button(say("sharing.buttons.run", title=say(f"{run.dialog}.title"),
                                        when=when), callbacks.share_data(run_id, ShareOp.PICK)))
                for answer in of_run:
                    try:
                        step = script.step(answer.step_key)
                    except KeyError:
                        continue
                    value = Markup(self.render.value(script, step, answer.value))
                    lines.append(say("common.answers.entry", label=self.render.label(script, step.key),
                                     value=value, shared=answer.visibility is Visibility.SHARED))
                lines += self._steps_now(script, of_run, [g for g in goals if g.run_id == run_id])
            if lines:
                header = say("common.answers.stage", name=say(f"common.stages.{stage.value}.name"))
                messages.append(OutMessage("\n\n".join([header, *lines]),
                                           tuple((b,) for b in share)))
        return messages
