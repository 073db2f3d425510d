"""Meeting briefs: before the mentee's next meeting (their rule "meeting", set with /meeting) the
mentor gets the mentee's latest shared agenda and what was shared since the last brief.

Its answers are read as every view of the mentor's reads them (`view.readable_shares`): what an
answer quotes of something the mentee keeps private is withheld.

The brief comes BEFORE (24 h) ahead of the meeting, but always after the mentee's agenda request
(the day before at the meeting's time) has had AFTER_AGENDA to be answered, and never later
than LAST_CALL before the meeting; out of the mentor's quiet hours unless that would be too late.
It is planned in the mentee's turn (their meeting, their pairing) as an item of the mentor's;
a changed meeting cancels the mentor's pending brief for this pairing and plans a new one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from service.mentors.shared_text import answers_text
from service.mentors.view import readable_shares
from service.messages import OutMessage, Response
from service.names import mentee_name
from service.schedule.kinds import PersonKind
from service.schedule.meeting import BEFORE as AGENDA_BEFORE
from service.schedule.meeting import RULE as MEETING_RULE
from service.schedule.meeting import meetings
from service.schedule.placing import local_moment, placed, placed_for, when
from service.schedule.rhythm import zone_info
from service.turn import Turn
from storage.pairings import PairingRecord, pairing_of_mentor
from storage.schedule import ItemRecord, NewItem, cancel_pending, last_sent_at
from storage.users import UserRecord
from storage.vocabulary import JSONObject

KIND = "meeting_brief"
AGENDA = "agenda"
BEFORE = timedelta(hours=24)
AFTER_AGENDA = timedelta(hours=4)
LAST_CALL = timedelta(hours=1)


def brief_moment(turn: Turn, mentor: UserRecord, meeting: datetime) -> datetime:
    """When the brief for this meeting goes out (see the module's docstring)."""
    wall = meeting.astimezone(zone_info(turn.user.timezone))
    agenda = placed(turn, local_moment(turn, wall.date() - AGENDA_BEFORE, wall.time()))
    due = min(max(meeting - BEFORE, agenda + AFTER_AGENDA), meeting - LAST_CALL)
    moved = placed_for(mentor, turn.content.policy, due)
    return moved if moved <= meeting - LAST_CALL else due


def _prefix(mentor_id: int, pairing: PairingRecord) -> str:
    return f"{KIND}:{mentor_id}:{pairing.id}:"


async def plan_for_mentor(turn: Turn, pairing: PairingRecord, mentor: UserRecord,
                          rules: Mapping[str, JSONObject]) -> list[NewItem]:
    """The mentor's brief before the mentee's next meeting still ahead; a pending one for
    another moment is cancelled."""
    items: list[NewItem] = []
    for meeting in meetings(turn, rules.get(MEETING_RULE), turn.now):
        due = brief_moment(turn, mentor, meeting)
        if due > turn.now:
            items.append(NewItem(f"{_prefix(mentor.id, pairing)}{meeting.isoformat()}", KIND,
                                 mentor.id, due, {"pairing": pairing.id,
                                                  "meeting": meeting.isoformat()}))
            break
    await cancel_pending(turn.session, mentor.id, turn.now, kinds=[KIND],
                         keep=[item.key for item in items], key_prefix=_prefix(mentor.id, pairing))
    return items


async def due(turn: Turn, item: ItemRecord) -> Response | None:
    """The brief: the meeting's time, the latest shared agenda, and what was shared since the
    last brief (nothing if the pairing is no longer this mentor's and open)."""
    ref, meeting = item.payload.get("pairing"), item.payload.get("meeting")
    pairing = await pairing_of_mentor(turn.session, turn.user.id, ref) \
        if isinstance(ref, int) else None
    if pairing is None or not isinstance(meeting, str):
        return None
    name = await mentee_name(turn.session, turn.say, turn.user.id, pairing.id)
    since = await last_sent_at(turn.session, turn.user.id, KIND,
                               key_prefix=_prefix(turn.user.id, pairing), besides=item.id)
    answers, _goals = await readable_shares(turn.session, turn.user.id, pairing.id,
                                            turn.content.scripts, turn.content.goal_parts)
    agendas = [a.run_id for a in answers if a.dialog == AGENDA]
    latest = max(agendas) if agendas else None
    agenda = [a for a in answers if a.run_id == latest]
    rest = [a for a in answers if a.run_id != latest and (since is None or a.updated_at > since)]
    zone, scripts = turn.user.timezone, turn.content.scripts  # the mentor's
    blocks = [turn.say("brief.heading", name=name,
                       when=when(turn, datetime.fromisoformat(meeting), on=True))]
    blocks += answers_text(turn.render, scripts, agenda, zone) or [turn.say("brief.no_agenda")]
    since_blocks = answers_text(turn.render, scripts, rest, zone)
    if since_blocks:
        blocks += [turn.say("brief.since", first=since is None), *since_blocks]
    return Response((OutMessage("\n\n".join(blocks)),))


def kinds() -> Iterable[PersonKind]:
    """The brief's kind (planned by `planning.for_my_mentor`)."""
    return (PersonKind(KIND, due),)
