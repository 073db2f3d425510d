"""What a person can look up without changing anything: help, their goals, their answers."""

from __future__ import annotations

from dataclasses import replace

from service.commands import COMMANDS, command, dialog_for_command, menu
from service.mentors import sharing
from service.mentors.roles import help_sides, side_left_open
from service.mentors.scopes import menu_of
from service.messages import Response, with_note
from service.turn import Turn
from storage.answers import answers_of
from storage.goals import goals_of
from storage.runs import runs_of
from storage.users import first_name


async def show_help(turn: Turn) -> Response:
    """/help: the commands of this person's menu, each with its description, and how their sides
    (mentee, mentor) work; a coordinator without a side gets the coordinator's and how to take a
    side, and their menu is set to match (it may still hold a mentee's commands from before)."""
    sideless = await side_left_open(turn)
    change = await menu_of(turn, turn.user)  # /askmentor only with a mentor
    shown = turn.views.help(menu(change.scopes, change.mentored), change.scopes)
    said = replace(shown, text=f"{shown.text}\n\n{help_sides(turn, change.scopes)}")
    return Response((said,), menu=change if sideless else None)


async def goals(turn: Turn) -> Response:
    """/goals: every goal with its action steps and their status."""
    found = await goals_of(turn.session, turn.user.id)
    return Response((turn.views.goals(found, turn.audience),))


async def answers(turn: Turn, args: str = "") -> Response:
    """/answers: every answer, by stage and dialog; `/answers grow` only those of one dialog (by
    its command or its name)."""
    wanted = args.strip().lower().removeprefix("/")
    dialog: str | None = None
    if wanted:
        spec = command(wanted)
        dialog = (dialog_for_command(spec, turn.audience) if spec is not None and spec.dialogs
                  else wanted)
        if dialog not in turn.content.scripts.by_name:
            known = [c.name for c in COMMANDS if dialog_for_command(c, turn.audience) is not None]
            return turn.message("common.answers.unknown_dialog", name=args.strip()[:40],
                                names=known)
    found = await answers_of(turn.session, turn.user.id)
    runs = {run.id: run for run in await runs_of(turn.session, turn.user.id)}
    own_goals = await goals_of(turn.session, turn.user.id)  # to say what /goals changed since
    response = Response(tuple(turn.views.answers(found, runs, dialog, own_goals)))
    if not any(dialog in (None, a.dialog) for a in found):
        return response
    mentor = await sharing.mentor_of(turn)  # what sharing means: who sees it, or will
    return with_note(response, turn.say("sharing.answers_note", paired=mentor is not None,
                                        mentor=None if mentor is None else
                                        first_name(mentor.name)))
