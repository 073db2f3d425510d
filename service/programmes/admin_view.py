"""`/programme` and a coordinator's `/invite` in Telegram.

`/programme` shows the programmes a person coordinates with the same facts as `coachbot programme
show`: defaults, member and pair counts, never answers. A coordinator's `/invite` asks for the
programme and the side by buttons (`sk:prog:<id>`, `sk:pinv:<id>` then `sk:pinv:<id>:<role>`)
and answers with the link and its QR code. Button data is untrusted: every press looks the
programme up again among the person's own (storage.programmes.coordinated_by, via figures.mine),
and a programme that is not theirs gets the same words as someone who coordinates nothing."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from service.callbacks import scheduling_data
from service.commands import Scope
from service.mentors import invites
from service.messages import OutMessage, Photo, Response, button
from service.programmes.admin import ProgrammeFacts, facts_of
from service.programmes.figures import mine
from service.programmes.invites import deep_link, programme_invite, qr_png
from service.schedule.checkins import describe
from service.schedule.kinds import Choice
from service.timezones import zone_label
from service.turn import Turn
from storage.programmes import ProgrammeRecord
from storage.vocabulary import Role

SHOW, INVITE = "prog", "pinv"
OWN = "own"  # a coordinator who is a mentor too: a link for a mentee of their own
COHORT_USES = 200  # a link from Telegram serves a whole cohort
QR_FILENAME = "invite.png"


def render(turn: Turn, facts: ProgrammeFacts) -> str:
    """The facts in the coordinator's language."""
    counts, defaults = facts.counts, facts.defaults
    return turn.say(
        "programme_admin.programme.view", name=facts.programme.name, members=counts.members,
        mentors=counts.mentors, mentees=counts.mentees, pairs=counts.pairs,
        coordinators=counts.coordinators, invites=counts.invites,
        language=None if defaults.language is None else turn.say(f"common.languages.{defaults.language}"),
        timezone=None if defaults.timezone is None else zone_label(defaults.timezone),
        checkin=None if defaults.checkin is None else describe(turn, defaults.checkin),
        digest=None if defaults.digest is None else describe(turn, defaults.digest),
        length=None if defaults.length is None else defaults.length.count,
        length_unit=None if defaults.length is None else defaults.length.unit)


async def _own(turn: Turn, value: str) -> ProgrammeRecord | None:
    return next((p for p in await mine(turn) if str(p.id) == value), None)


async def programme(turn: Turn, _args: str = "") -> Response:
    """`/programme`: the one programme they coordinate, or a button per programme."""
    programmes = await mine(turn)
    if not programmes:
        return turn.message("programme_admin.programme.not_coordinator")
    if len(programmes) == 1:
        return await _show(turn, programmes[0])
    rows = tuple((button(p.name, scheduling_data(SHOW, str(p.id))),) for p in programmes)
    return Response((OutMessage(turn.say("programme_admin.programme.pick"), rows),))


async def _show(turn: Turn, chosen: ProgrammeRecord) -> Response:
    return Response((OutMessage(render(turn, await facts_of(turn.session, chosen))),))


async def choose_show(turn: Turn, value: str) -> Response:
    chosen = await _own(turn, value)
    if chosen is None:
        return turn.message("programme_admin.programme.not_coordinator")
    return await _show(turn, chosen)


async def invite(turn: Turn, _args: str = "") -> Response:
    """`/invite`: a mentor's link for one mentee, or, for a coordinator, a programme's link."""
    programmes = await mine(turn) if Scope.COORDINATOR in turn.scopes else []
    if not programmes:
        if Scope.MENTOR in turn.scopes:
            return await invites.invite(turn)
        return turn.message("programme_admin.programme.not_coordinator")
    rows = [(button(p.name, scheduling_data(INVITE, str(p.id))),) for p in programmes]
    if Scope.MENTOR in turn.scopes:
        rows.append((button(turn.say("common.commands.invite"), scheduling_data(INVITE, OWN)),))
    return Response((OutMessage(turn.say("programme_admin.invite.pick_programme"), tuple(rows)),))


async def choose_invite(turn: Turn, value: str) -> Response:
    """A press of the coordinator's /invite: the programme, then the side, then the link."""
    if value == OWN:
        if Scope.MENTOR not in turn.scopes:
            return turn.stale_press()
        return await invites.invite(turn)
    programme_id, _, side = value.partition(":")
    chosen = await _own(turn, programme_id)
    if chosen is None:
        return turn.message("programme_admin.programme.not_coordinator")
    if side not in (Role.MENTOR.value, Role.MENTEE.value):
        say = turn.say
        return Response((OutMessage(say("programme_admin.invite.pick_role", programme=chosen.name), ((
            button(say("programme_admin.invite.mentor"),
                   scheduling_data(INVITE, f"{chosen.id}:{Role.MENTOR.value}")),
            button(say("programme_admin.invite.mentee"),
                   scheduling_data(INVITE, f"{chosen.id}:{Role.MENTEE.value}"))),)),))
    return await _link(turn, chosen, Role(side))


async def _link(turn: Turn, chosen: ProgrammeRecord, role: Role) -> Response:
    made = await programme_invite(turn.session, chosen, role, uses=COHORT_USES,
                                  valid_for=turn.content.invites.valid_for,
                                  created_by=turn.user.id, now=turn.now)
    until = made.invite.expires_at.astimezone(ZoneInfo(turn.user.timezone)).date().isoformat()
    who = turn.say(f"programme_admin.invite.{role.value}")
    username = turn.content.bot_username
    if not username:  # the terminal: no link to draw
        return turn.message("programme_admin.invite.code", role=who, programme=chosen.name,
                            uses=COHORT_USES, until=until, token=made.token)
    link = deep_link(username, made.token)
    text = turn.say("programme_admin.invite.link", role=who, programme=chosen.name,
                    uses=COHORT_USES, until=until, link=link)
    caption = turn.say("programme_admin.invite.caption", programme=chosen.name)
    return Response((OutMessage(text),
                     OutMessage(caption, photo=Photo(QR_FILENAME, lambda: qr_png(link)))))


def choices() -> tuple[Choice, ...]:
    return (Choice(SHOW, choose_show), Choice(INVITE, choose_invite))
