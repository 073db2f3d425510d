"""The rest of a long paste is not an answer.

Telegram splits a text over 4,096 characters into several messages, sent within a second or
two. The first is refused as too long (no answer, note or wording here may be that long), and
the others must not then be taken for the answer to the question asked again, the note for the
mentor, or a step's new wording: they are fragments of what was refused. So a refusal is noted
on the person (`users.long_text`, in the turn's transaction), and typed text from them within
`WINDOW` of it (or of the fragment before) is the rest of the same paste: nothing of it is kept,
and its first fragment gets one short note, the others none. The window is measured between
the moments the person sent them where the front-end says (`TextIn.sent_at`: after a restart,
a backlog of messages sent a minute apart is handled within a second), else on the service's
clock. A front-end that never splits a text (the terminal's line: `TextIn.whole`) has no such
rest.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from service.inputs import Incoming, TextIn
from service.messages import Response
from service.turn import Turn
from storage.users import update_user
from storage.vocabulary import JSONObject

#: How long after a refused text (or a fragment of it) more typed text is taken for its rest:
#: longer than Telegram takes to deliver the parts of one paste, shorter than anyone takes to
#: read the refusal and send a shorter text.
WINDOW = timedelta(seconds=5)


async def refused(turn: Turn) -> None:
    """A typed text of theirs was just refused as too long: what follows at once is its rest."""
    await _note(turn, {**_moments(turn), "rest": False})


def is_rest(turn: Turn, incoming: Incoming) -> bool:
    """Whether this input is the rest of a text refused as too long a moment ago."""
    if not isinstance(incoming, TextIn) or incoming.whole:
        return False
    noted = turn.user.long_text or {}
    sent, last_sent = incoming.sent_at, _moment(noted.get("sent"))
    if sent is not None and last_sent is not None:
        return timedelta(0) <= sent - last_sent <= WINDOW
    last = _moment(noted.get("at"))
    return last is not None and timedelta(0) <= turn.now - last <= WINDOW


async def rest(turn: Turn) -> Response:
    """Drop a fragment of a refused paste; the window runs on from it. The first fragment is
    said to be left out too (the refusal was the answer to the first part only); later ones
    pass silently, so a paste in many parts gets no reply per part."""
    first = not (turn.user.long_text or {}).get("rest")
    await _note(turn, {**_moments(turn), "rest": True})
    return turn.message("common.service.rest_not_kept") if first else Response()


async def _note(turn: Turn, value: JSONObject) -> None:
    await update_user(turn.session, turn.user.id, turn.now, long_text=value)
    turn.became(replace(turn.user, long_text=value))


def _moments(turn: Turn) -> JSONObject:
    """When this input came (the service's clock) and when it was sent, if the front-end said."""
    moments: JSONObject = {"at": turn.now.isoformat()}
    if turn.sent_at is not None:
        moments["sent"] = turn.sent_at.isoformat()
    return moments


def _moment(value: object) -> datetime | None:
    """A noted moment, if it is there and readable."""
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
