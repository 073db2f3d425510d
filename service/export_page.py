"""The data export as a document to read: labels instead of step keys, choice texts instead of
values, lists as lists, dates and statuses in the person's language. The page itself is the
template `prompts/pages/export.html.j2`; this module only decides what it shows."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from markupsafe import Markup

from dialogs.registry import DialogNotFound, Scripts
from dialogs.stages import Stage
from service.render import Renderer


def export_page(data: dict[str, Any], scripts: Scripts, render: Renderer) -> str:
    """The export (as `service.export.export_user` returns it) as a self-contained HTML page."""
    say, day = render.text, render.catalog.format_date
    user = data["user"]
    page = {
        "exported": day(render.lang, data["exported_at"][:10]),
        "language": say(f"common.languages.{user['language']}"),
        "timezone": user["timezone"],
        "stage": say(f"common.stages.{user['stage']}.name"),
        "goals": [_goal(goal, render) for goal in data["goals"]],
        "pairings": [_pairing(pairing, render) for pairing in data["pairings"]],
        "help_contacts": [_help_moment(moment, user["timezone"], render)
                          for moment in data["help_contacts_shown"]],
        "stages": [{"name": say(f"common.stages.{stage.value}.name"),
                    "runs": [_run(dialog, run, scripts, render)
                             for dialog, runs in data["answers"][stage.value].items()
                             for run in runs]}
                   for stage in Stage if stage.value in data["answers"]],
    }
    return render.catalog.page(render.lang, "export.html.j2", page=page)


def _goal(goal: dict[str, Any], render: Renderer) -> dict[str, Any]:
    say, day = render.text, render.catalog.format_date
    return {"title": goal["title"], "due": day(render.lang, goal["due_on"]),
            "status": say(f"common.goals.goal_status.{goal['status']}"),  # the words of /goals
            "actions": [{"text": action["text"], "due": day(render.lang, action["due_on"]),
                         "status": say(f"common.goals.status.{action['status']}")}
                        for action in goal["actions"]]}


def _pairing(pairing: dict[str, Any], render: Renderer) -> Markup:
    """One pairing on one line (rendered, escaped HTML): with whom (first name), the person's
    side, status and dates."""
    day = render.catalog.format_date
    return Markup(render.text("common.export.pairing", as_mentor=pairing["as"] == "mentor",
                       name=pairing["with"] or render.text("common.export.someone"),
                       status=render.text(f"common.export.pairing_status.{pairing['status']}"),
                       started=day(render.lang, pairing["started_on"]),
                       ends=day(render.lang, pairing["ends_on"]),
                       ended=day(render.lang, (pairing["ended_at"] or "")[:10])))


def _help_moment(moment: dict[str, Any], zone: str, render: Renderer) -> Markup:
    """One moment help contacts were given (rendered, escaped HTML): the day and time on the
    person's own clock, the programme, whether its team was told. Never what was written."""
    try:
        local = datetime.fromisoformat(moment["at"]).astimezone(ZoneInfo(zone))
    except (ValueError, ZoneInfoNotFoundError):  # a zone no longer known: the time as kept
        local = datetime.fromisoformat(moment["at"])
    return Markup(render.text("common.export.help_moment",
                              day=render.catalog.format_date(render.lang, local.date().isoformat()),
                              time=local.strftime("%H:%M"), programme=moment["programme"],
                              told=moment["team_told"]))


def _run(dialog: str, run: dict[str, Any], scripts: Scripts, render: Renderer) -> dict[str, Any]:
    when = render.catalog.format_date(render.lang, (run["completed_at"] or run["started_at"])[:10])
    try:
        script = scripts.get(dialog)
    except DialogNotFound:  # a dialog that no longer ships: its answers as they were stored
        return {"title": run["title"], "when": when,
                "answers": [{"label": a["question"] or a["step"], "value": str(a["value"]),
                             "shared": a["visibility"] == "shared"} for a in run["answers"]]}
    answers = []
    for answer in run["answers"]:
        try:
            step = script.step(answer["step"])
        except KeyError:
            continue
        answers.append({"label": render.label(script, step.key),
                        "value": Markup(render.value(script, step, answer["value"])),
                        "shared": answer["visibility"] == "shared"})
    return {"title": run["title"], "when": when, "answers": answers}
