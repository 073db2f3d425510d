"""`/checkins` for a mentor: the rhythm of their own check-in (default every other Friday at 15:00,
service.mentors.rules), shown and changed with the mentee's view, pickers and typed forms
(service.schedule.checkins with the mentor's `Track`). Someone on both sides sees both rhythms,
each named, and names the side when typing a change (`/checkins mentor fri 17:00`, `/checkins
mentee off`); without the word, the rhythm of their primary side changes, and the reply says
which one it was.

Button choices are `sk:mcheckins:<value>`: the pickers every track has, and `all` (every rhythm's
overview again, after typed text none of their buttons' words).
"""

from __future__ import annotations

from collections.abc import Mapping

from dialogs.engine import clean_text
from service.callbacks import scheduling_data
from service.commands import Scope
from service.mentors.roles import role_named
from service.mentors.rules import CHECKIN, OFF, is_mentor, rhythm_of
from service.messages import Response
from service.schedule import checkins
from service.schedule.checkins import MENTEE, Track, choose_rhythm, overviews
from service.schedule.kinds import Choice
from service.schedule.rhythm import Rhythm
from service.turn import Turn
from storage.vocabulary import JSONObject

TOPIC = "mcheckins"


def _read(rules: Mapping[str, JSONObject]) -> Rhythm | None:
    return rhythm_of(rules, CHECKIN)


#: The mentor's own check-in: its rule is made with the default the first time it is planned,
#: and `{"off": true}` turns it off.
OWN = Track(CHECKIN, TOPIC, Scope.MENTOR.value, _read, OFF)
TRACKS = {Scope.MENTEE.value: MENTEE, Scope.MENTOR.value: OWN}


def tracks(turn: Turn) -> list[Track]:
    """The person's check-in rhythms, their primary side's first."""
    mine = [track for track in TRACKS.values() if Scope(track.side) in turn.scopes]
    return sorted(mine, key=lambda track: track.side != turn.audience.value)


async def checkins_command(turn: Turn, args: str) -> Response:
    """`/checkins`: every rhythm of theirs; `/checkins [mentor|mentee] <rhythm|off>` changes one
    (the side's word may be left out: their primary side's)."""
    mine = tracks(turn)
    word, _, rest = args.strip().partition(" ")
    role = role_named(turn, word) if word else None
    named = TRACKS.get(role.value) if role is not None else None
    if named is not None and named in mine:
        return await checkins.checkins(turn, rest, named)
    if not clean_text(args) and len(mine) > 1:
        return await overviews(turn, mine, scheduling_data(TOPIC, "all"))
    return await checkins.checkins(turn, args, mine[0] if mine else MENTEE)


async def choose(turn: Turn, value: str) -> Response:
    """A press on one of the pickers of the mentor's own rhythm."""
    if not is_mentor(turn.user):
        return turn.stale_press()
    if value == "all":
        return await checkins_command(turn, "")
    return await choose_rhythm(turn, value, OWN) or turn.stale_press()


def choices() -> tuple[Choice, ...]:
    """The pickers' topic."""
    return (Choice(TOPIC, choose),)
