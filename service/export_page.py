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
from service.schedule.checkins import rhythm_words
from service.schedule.rhythm import Rhythm
from service.settings import quiet_text
from service.timezones import zone_label


def export_page(data: dict[str, Any], scripts: Scripts, render: Renderer) -> str:
    """The export (as `service.export.export_user` returns it) as a self-contained HTML page."""
    say, day = render.text, render.catalog.format_date
    user = data["user"]
    page = {
        "exported": day(render.lang, data["exported_at"][:10]),
        "language": say(f"common.languages.{user['language']}"),
        "timezone": zone_label(user["timezone"]),  # "UTC+2", not Etc/GMT-2
        "stage": say(f"common.stages.{user['stage']}.name"),
        "goals": [_goal(goal, render) for goal in data["goals"]],
        "pairings": [_pairing(pairing, render) for pairing in data["pairings"]],
        "help_contacts": [_help_moment(moment, user["timezone"], render)
                          for moment in data["help_contacts_shown"]],
        "programme": user["programme"],
        "scheduling": _scheduling(data, render),
        "pulses": [_pulse(pulse, user["timezone"], render) for pulse in data["pulses"]],
        "notes": [_note(note, user["timezone"], render) for note in data["notes"]],
        "invites": [_invite(invite, user["timezone"], render) for invite in data["invites"]],
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


def _local(at: str, zone: str) -> datetime:
    """A kept moment (ISO, UTC) on the person's own clock."""
    try:
        return datetime.fromisoformat(at).astimezone(ZoneInfo(zone))
    except (ValueError, ZoneInfoNotFoundError):  # a zone no longer known: the time as kept
        return datetime.fromisoformat(at)


def _moment(at: str | None, zone: str, render: Renderer) -> Markup:
    """A kept moment as the page says it: day and time on the person's own clock."""
    if not at:
        return Markup("")
    local = _local(at, zone)
    return _wall(local, render)


def _wall(local: datetime, render: Renderer) -> Markup:
    """A wall time as the page says it ("21 November 2026, 10:00")."""
    return Markup(render.text("common.export.moment", time=local.strftime("%H:%M"),
                              day=render.catalog.format_date(render.lang, local.date().isoformat())))


def _help_moment(moment: dict[str, Any], zone: str, render: Renderer) -> Markup:
    """One moment help contacts were given (rendered, escaped HTML): the day and time on the
    person's own clock, the programme, whether its team was told. Never what was written."""
    local = _local(moment["at"], zone)
    return Markup(render.text("common.export.help_moment",
                              day=render.catalog.format_date(render.lang, local.date().isoformat()),
                              time=local.strftime("%H:%M"), programme=moment["programme"],
                              told=moment["team_told"]))


def _scheduling(data: dict[str, Any], render: Renderer) -> list[Markup]:
    """The scheduling settings as they stand, one line each: every rule the bot plans by (in
    words), the quiet hours and a pause still running."""
    user = data["user"]
    lines = [Markup(render.text("common.export.rule", kind=kind,
                                what=_rule_words(rule, render, user["timezone"])))
             for kind, rule in data["schedule"].items()]
    lines.append(Markup(render.text("common.export.quiet", quiet=(
        quiet_text(user["quiet_hours"], render) if user["quiet_hours"]
        else render.text("common.export.quiet_default")))))
    if user["paused_until"] and (datetime.fromisoformat(user["paused_until"])
                                 > datetime.fromisoformat(data["exported_at"])):
        lines.append(Markup(render.text("common.export.paused", when=_moment(
            user["paused_until"], user["timezone"], render))))
    return lines


def _rule_words(rule: dict[str, Any], render: Renderer, zone: str) -> Markup:
    """A rule in words: off, a one-off meeting's day and time on the person's clock (`zone`), or
    a rhythm (a meeting's agreed in another zone says which); a rule no longer readable as it
    was kept."""
    if rule.get("off"):
        return Markup(render.text("common.export.rule_off"))
    kept = rule.get("zone")
    agreed: str = kept if isinstance(kept, str) else zone
    try:
        if isinstance(once := rule.get("once"), str):  # a meeting: a wall time in its zone
            wall = datetime.fromisoformat(once)
            if agreed != zone:
                wall = wall.replace(tzinfo=ZoneInfo(agreed)).astimezone(ZoneInfo(zone))
            return _wall(wall, render)
        rhythm = Rhythm.from_json(rule.get("rule", rule))
    except (KeyError, TypeError, ValueError, ZoneInfoNotFoundError):
        return Markup.escape(str(rule))
    words = rhythm_words(render, rhythm)
    if agreed != zone:
        words = render.text("calendar.meeting.in_zone", rhythm=Markup(words),
                            zone=zone_label(agreed))
    return Markup(words)


def _pulse(pulse: dict[str, Any], zone: str, render: Renderer) -> Markup:
    """One of the person's own pulse answers: when, about whom, the score and their words."""
    return Markup(render.text("common.export.pulse", when=_moment(pulse["at"], zone, render),
                              name=pulse["with"] or render.text("common.export.someone"),
                              score=pulse["score"], comment=pulse["comment"]))


def _note(note: dict[str, Any], zone: str, render: Renderer) -> dict[str, Markup | None]:
    """A note between mentee and mentor and its reply, each with its moment on the person's
    clock, told from the person's side."""
    as_mentor = note["as"] == "mentor"
    name = note["with"] or render.text("common.export.someone")
    return {"note": Markup(render.text("common.export.note", as_mentor=as_mentor, name=name,
                                       when=_moment(note["sent_at"], zone, render),
                                       note=note["note"])),
            "reply": None if note["reply"] is None else Markup(render.text(
                "common.export.reply", as_mentor=as_mentor, name=name,
                when=_moment(note["replied_at"], zone, render), reply=note["reply"]))}


def _invite(invite: dict[str, Any], zone: str, render: Renderer) -> Markup:
    """An invite link the person made: when, uses left, until when it works."""
    return Markup(render.text("common.export.invite", made=_moment(invite["created_at"], zone, render),
                              uses=invite["uses_left"],
                              until=_moment(invite["expires_at"], zone, render)))


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
