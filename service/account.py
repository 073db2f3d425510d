"""A person's own data: the export, and erasing everything."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.registry import Scripts
from service import callbacks
from service.export import export_user
from service.messages import Document, OutMessage, Response, button
from service.render import Renderer
from service.turn import Turn
from storage import queries
from storage.queries import UserRecord


async def export_documents(
    session: AsyncSession, user: UserRecord, scripts: Scripts, render: Renderer, now: datetime
) -> tuple[OutMessage, OutMessage]:
    """The data export as two files: JSON for tools and HTML for people."""
    data = await export_user(session, user, scripts, render.catalog, now)
    stamp = now.strftime("%Y-%m-%d")
    json_file = Document(f"coachbot-export-{stamp}.json",
                         json.dumps(data, ensure_ascii=False, indent=2).encode(), "application/json")
    html_file = Document(f"coachbot-export-{stamp}.html", export_html(data, render).encode(),
                         "text/html")
    return (OutMessage(render.text("common.export.ready"), document=json_file),
            OutMessage("", document=html_file))


def export_html(data: dict[str, Any], render: Renderer) -> str:
    """A readable, self-contained page of the export (all user text escaped)."""
    say = render.text
    user = data["user"]
    parts = [
        "<!doctype html><meta charset='utf-8'>",
        f"<title>{say('common.export.title')}</title>",
        "<style>body{font-family:sans-serif;max-width:46em;margin:2em auto;line-height:1.45}"
        "dt{font-weight:bold;margin-top:.8em}dd{margin-left:0;white-space:pre-wrap}</style>",
        f"<h1>{say('common.export.title')}</h1>",
        f"<p>{say('common.export.exported', when=data['exported_at'][:10])}<br>",
        say("common.export.profile", language=user["language"], timezone=user["timezone"],
            stage=say(f"common.stages.{user['stage']}.name")) + "</p>",
    ]
    if data["goals"]:
        parts.append(f"<h2>{say('common.export.goals')}</h2><ul>")
        for goal in data["goals"]:
            actions = "".join(
                f"<li>{Markup.escape(a['text'])} ({a['status']}"
                f"{', ' + a['due_on'] if a['due_on'] else ''})</li>" for a in goal["actions"])
            parts.append(f"<li><b>{Markup.escape(goal['title'])}</b>"
                         f"{' (' + goal['due_on'] + ')' if goal['due_on'] else ''}"
                         f"<ul>{actions}</ul></li>")
        parts.append("</ul>")
    parts.append(f"<h2>{say('common.export.answers')}</h2>")
    for stage, dialogs in data["answers"].items():
        parts.append(f"<h3>{say(f'common.stages.{stage}.name')}</h3>")
        for runs in dialogs.values():
            for run in runs:
                parts.append(f"<h4>{Markup.escape(run['title'])} "
                             f"({(run['completed_at'] or run['started_at'])[:10]})</h4><dl>")
                for answer in run["answers"]:
                    value = answer["value"]
                    shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                    parts.append(f"<dt>{Markup.escape(answer['question'] or answer['step'])}</dt>"
                                 f"<dd>{Markup.escape(shown)}</dd>")
                parts.append("</dl>")
    return "\n".join(parts)


async def export(turn: Turn) -> Response:
    """/export: everything stored about the person, as two files."""
    return Response(await export_documents(turn.session, turn.user, turn.content.scripts,
                                           turn.render, turn.now))


async def ask_delete(turn: Turn) -> Response:
    """/delete: ask before erasing everything."""
    say = turn.say
    return Response((OutMessage(say("common.delete.confirm"), (
        (button(say("common.delete.yes_button"), callbacks.delete_data(True)),
         button(say("common.delete.no_button"), callbacks.delete_data(False))),)),))


async def delete_everything(turn: Turn) -> Response:
    """The person confirmed: every row about them is erased."""
    await queries.delete_user(turn.session, turn.user.id)
    return turn.message("common.delete.done")
