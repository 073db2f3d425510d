"""What a person can look up without changing anything: help, their goals, their answers."""

from __future__ import annotations

from service.commands import menu
from service.messages import Response
from service.turn import Turn
from storage.answers import answers_of
from storage.goals import goals_of
from storage.runs import runs_of


async def show_help(turn: Turn) -> Response:
    """/help: the commands of this person's menu, each with its description."""
    return Response((turn.views.help(menu(turn.scopes)),))


async def goals(turn: Turn) -> Response:
    """/goals: every goal with its action steps and their status."""
    found = await goals_of(turn.session, turn.user.id)
    return Response((turn.views.goals(found),))


async def answers(turn: Turn) -> Response:
    """/answers: every answer, by stage and dialog."""
    found = await answers_of(turn.session, turn.user.id)
    runs = {run.id: run for run in await runs_of(turn.session, turn.user.id)}
    return Response(tuple(turn.views.answers(found, runs)))
