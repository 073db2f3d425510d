"""`/mentees`: a mentor's list of mentees, and one mentee opened; refused politely to anyone else.

The pairing id in a button or after the command is untrusted: `view` finds nothing unless the
pairing is the mentor's own and open, and then the answer is the same whatever the id was.
"""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

from markupsafe import Markup

from dialogs.engine import clean_text
from dialogs.registry import DialogNotFound
from dialogs.stages import Stage
from service import callbacks
from service.commands import Scope
from service.context import goal_view
from service.mentors.charts import confidence_message
from service.mentors.view import (
    MenteeDetail,
    MenteeSummary,
    mentee_detail,
    mentee_summaries,
)
from service.messages import OutMessage, Response, button
from service.names import mentee_names
from service.turn import Turn
from storage.answers import AnswerRecord


async def mentees(turn: Turn, args: str = "") -> Response:
    """/mentees: the list; `/mentees <name or number>` opens one mentee of the list."""
    if Scope.MENTOR not in turn.scopes:
        return turn.message("mentor_view.only_mentors")
    wanted = clean_text(args)
    if not wanted:
        return await list_mentees(turn)
    zone = ZoneInfo(turn.user.timezone)
    found = await _named(turn, await mentee_summaries(turn.session, turn.user.id, turn.today,
                                                      zone))
    match = next((s for s in found if (wanted.isdigit() and s.pairing_id == int(wanted))
                  or (s.name or "").casefold() == wanted.casefold()), None)
    if match is None:
        return turn.message("mentor_view.not_yours")
    return await show_mentee(turn, match.pairing_id)


async def list_mentees(turn: Turn) -> Response:
    """Each mentee of the mentor with stage, last check-in, trend, misses, end and flags; a
    button per mentee opens them."""
    if Scope.MENTOR not in turn.scopes:
        return turn.message("mentor_view.only_mentors")
    found = await _named(turn, await mentee_summaries(turn.session, turn.user.id, turn.today,
                                                      ZoneInfo(turn.user.timezone)))
    if not found:
        return turn.message("mentor_view.none")
    lines = [turn.say("mentor_view.header", count=len(found))]
    lines += ["\n" + _summary_text(turn, summary) for summary in found]
    buttons = tuple((button(turn.say("mentor_view.buttons.open", name=_name(turn, s)),
                            callbacks.mentee_data(s.pairing_id)),) for s in found)
    return Response((OutMessage("\n".join(lines), buttons),))


async def show_mentee(turn: Turn, pairing_id: int) -> Response:
    """One mentee: their summary, shared answers by stage and dialog, shared goals, the latest
    shared agenda. Refused for someone who is not a mentor, or not this mentee's (any more)."""
    if Scope.MENTOR not in turn.scopes:
        return turn.message("mentor_view.only_mentors")
    detail = await mentee_detail(turn.session, turn.user.id, pairing_id, turn.today,
                                 ZoneInfo(turn.user.timezone), turn.content.scripts,
                                 turn.content.goal_parts)
    if detail is None:
        return turn.message("mentor_view.not_yours")
    [named] = await _named(turn, [detail.summary])
    detail = replace(detail, summary=named)
    chart = await confidence_message(turn, pairing_id)
    return Response((*_detail_messages(turn, detail), *((chart,) if chart else ())))


async def _named(turn: Turn, found: list[MenteeSummary]) -> list[MenteeSummary]:
    """The summaries with each mentee named as all the mentor's texts name them: a nameless
    one among several as "Mentee 2" (service.names), so `/mentees Mentee 2` opens them too."""
    names = await mentee_names(turn.session, turn.say, turn.user.id)
    return [replace(summary, name=names.get(summary.pairing_id, summary.name)) for summary in found]


def _name(turn: Turn, summary: MenteeSummary) -> str:
    return summary.name or turn.say("mentor_view.unnamed")


def _summary_text(turn: Turn, summary: MenteeSummary) -> str:
    trend = " → ".join(str(value) for value in summary.confidence)
    flags = [turn.say(f"mentor_view.flags.{flag}") for flag in summary.flags]
    return turn.say(
        "mentor_view.summary", name=_name(turn, summary),
        stage=turn.say(f"common.stages.{summary.stage}.name"),
        last_checkin=summary.last_checkin.isoformat() if summary.last_checkin else None,
        trend=trend, missed=summary.missed_in_row, days_left=summary.days_left,
        flags=" · ".join(flags))


def _answer_lines(turn: Turn, answers: tuple[AnswerRecord, ...]) -> list[str]:
    """Answers of runs, one block per run: the dialog's title and date, then each answer."""
    blocks: list[str] = []
    for run_id in dict.fromkeys(a.run_id for a in answers):
        of_run = [a for a in answers if a.run_id == run_id]
        try:
            script = turn.content.scripts.get(of_run[0].dialog)
        except DialogNotFound:
            continue
        keys = {step.key for step in script.steps}
        when = max(a.updated_at for a in of_run).astimezone(ZoneInfo(turn.user.timezone))
        lines = [turn.say("mentor_view.dialog", title=turn.say(f"{script.name}.title"),
                          when=when.date().isoformat())]
        for answer in (a for a in of_run if a.step_key in keys):
            value = Markup(turn.render.value(script, script.step(answer.step_key), answer.value))
            lines.append(turn.say("mentor_view.entry", value=value,
                                  label=turn.render.label(script, answer.step_key)))
        blocks.append("\n".join(lines))
    return blocks


def _detail_messages(turn: Turn, detail: MenteeDetail) -> list[OutMessage]:
    say = turn.say
    summary = detail.summary
    messages = [OutMessage(say("mentor_view.detail_header") + "\n\n"
                           + _summary_text(turn, summary))]
    if not (detail.answers or detail.goals or detail.agenda):
        messages.append(OutMessage(say("mentor_view.nothing_shared", name=summary.name)))
    for stage in Stage:
        of_stage = tuple(a for a in detail.answers if a.stage == stage.value)
        blocks = _answer_lines(turn, of_stage)
        if blocks:
            header = say("mentor_view.stage", name=say(f"common.stages.{stage.value}.name"))
            messages.append(OutMessage("\n\n".join([header, *blocks])))
    if detail.goals:
        messages.append(OutMessage(say("mentor_view.goals", goals=[goal_view(g) for g in
                                                                   detail.goals])))
    if detail.agenda:
        blocks = _answer_lines(turn, detail.agenda)
        messages.append(OutMessage("\n\n".join([say("mentor_view.agenda"), *blocks])))
    back = button(say("mentor_view.buttons.all"), callbacks.MENTEES_DATA)
    last = messages[-1]
    messages[-1] = OutMessage(last.text, ((back,),))
    return messages
