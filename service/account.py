"""A person's own data: the export, and erasing everything."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.registry import Scripts
from service import callbacks
from service.awaiting import Dispatch, tap_only, wait_for
from service.export import export_user
from service.export_page import export_page
from service.inputs import Incoming, valid_text
from service.mentors.pairing import ends_follow, farewells, name_to_other, open_sides
from service.messages import Document, OutMessage, Response, button
from service.names import mentor_words
from service.render import Renderer
from service.runs import show_run
from service.turn import Turn
from storage.pairings import withdraw_shares
from storage.programmes import coordinated_by
from storage.users import UserRecord, delete_user
from storage.vocabulary import JSONObject

WAITING = "delete_confirm"  # /delete asked: typed text gets the question again, not an answer


async def export_documents(
    session: AsyncSession, user: UserRecord, scripts: Scripts, render: Renderer, now: datetime
) -> tuple[OutMessage, OutMessage]:
    """The data export as two files: JSON for tools and HTML for people."""
    data = await export_user(session, user, scripts, render.catalog, now)
    stamp = now.strftime("%Y-%m-%d")
    # Text saved before inputs were made valid UTF-8 may hold a lone surrogate: shown as U+FFFD.
    json_file = Document(f"coachbot-export-{stamp}.json",
                         valid_text(json.dumps(data, ensure_ascii=False, indent=2)).encode())
    html_file = Document(f"coachbot-export-{stamp}.html",
                         valid_text(export_page(data, scripts, render)).encode())
    return (OutMessage(render.text("common.export.ready"), document=json_file),
            OutMessage("", document=html_file))


async def export(turn: Turn) -> Response:
    """/export: everything stored about the person, as two files."""
    return Response(await export_documents(turn.session, turn.user, turn.content.scripts,
                                           turn.render, turn.now))


async def ask_delete(turn: Turn) -> Response:
    """/delete: ask before erasing everything (naming the mentor, who will be told); its answer is
    a button, never the text typed: what cannot be undone takes a deliberate tap."""
    await turn.hide_question()
    await wait_for(turn, {"for": WAITING})
    say = turn.say
    return Response((OutMessage(say("common.delete.confirm",
                                    **await mentor_words(turn.session, turn.user.id),
                                    coordinates=await _coordinated(turn)), (
        (button(say("common.delete.yes_button"), callbacks.delete_data(True)),
         button(say("common.delete.no_button"), callbacks.delete_data(False))),)),))


async def while_asked(turn: Turn, _awaiting: JSONObject, incoming: Incoming,
                      dispatch: Dispatch) -> Response:
    """Only a button answers the question: typed text is told so and asked it again; /cancel
    keeps everything (service.awaiting.tap_only)."""
    return await tap_only(turn, incoming, dispatch, lambda: ask_delete(turn),
                          turn.say("common.delete.tap"), lambda: keep_everything(turn))


async def delete_everything(turn: Turn) -> Response:
    """The person confirmed: whoever they are paired with is told they no longer are, then every
    row about them is erased (their pairings with it)."""
    sides = await open_sides(turn)
    names = [await name_to_other(turn, side) for side in sides]  # while they are paired
    coordinates = await _coordinated(turn)
    for side in sides:
        if side.as_mentor:  # their mentees' shares were for them, not for a next mentor
            await withdraw_shares(turn.session, side.other.id)
    await delete_user(turn.session, turn.user.id)
    await ends_follow(turn, [side.other for side in sides])  # their pairings with them are gone
    told = await farewells(turn, sides, names)
    return Response(turn.message("common.delete.done", coordinates=coordinates).messages,
                    deliveries=told)


async def _coordinated(turn: Turn) -> list[str]:
    """The programmes they coordinate: that role is the organisation's grant, not their data, so
    erasing their data leaves it (whoever runs the bot revokes it: `coachbot programme revoke`)."""
    return [programme.name for programme in await coordinated_by(turn.session,
                                                                 turn.user.telegram_id)]


async def keep_everything(turn: Turn) -> Response:
    """The person said no: nothing is erased, and the open question is shown again."""
    kept = turn.message("common.delete.kept")
    if turn.open_run is None:
        return kept
    shown = await show_run(turn, turn.open_run, None)
    return Response((*kept.messages, *shown.messages))
