"""`/programme` and a coordinator's `/invite` in Telegram.

`/programme` shows the programmes a person coordinates with the same facts as `coachbot programme
show`: defaults, member and pair counts, the invites that still work, never answers. A
coordinator's `/invite` asks for the programme and the side by buttons (`sk:prog:<id>`,
`sk:pinv:<id>` then `sk:pinv:<id>:<role>`) and answers with the link and its QR code; `/invite NAME
[mentor|mentee]` (the side's word in either language) skips the questions it answers. The pickers
can be typed as well as tapped (a programme's name, the side's word: service.typed_buttons); other
text gets a hint and the picker again. Button data is untrusted: every press looks the programme up
again among the person's own (storage.programmes.coordinated_by, via figures.mine), and a programme
that is not theirs gets the same words as someone who coordinates nothing."""

from __future__ import annotations

from dialogs.engine import clean_text
from prompts.catalog import spellings
from service.callbacks import scheduling_data
from service.commands import Scope
from service.mentors import invites
from service.messages import OutMessage, Photo, Response, button
from service.programmes.admin import ProgrammeFacts, facts_of
from service.programmes.figures import mine, named
from service.programmes.invites import deep_link, programme_invite, qr_png, works_until
from service.schedule.checkins import describe
from service.schedule.kinds import Choice
from service.timezones import zone_label
from service.turn import Turn
from service.typed_buttons import offer
from storage.programmes import ProgrammeRecord
from storage.vocabulary import Role

SHOW, INVITE = "prog", "pinv"
OWN = "own"  # a coordinator who is a mentor too: a link for a mentee of their own
PICK = "pick"  # the programme picker again (`pick:<role>`: the side already said)
ROLE_WORDS = "programme_admin.invite.words"  # .mentor, .mentee: the sides' words, any language
COHORT_USES = 200  # a link from Telegram serves a whole cohort
QR_FILENAME = "invite.png"


def render(turn: Turn, facts: ProgrammeFacts) -> str:
    """The facts in the coordinator's language, with the invites that still work listed by number
    as `coachbot programme show` lists them (the number is what `invite --revoke` takes)."""
    counts, defaults = facts.counts, facts.defaults
    return turn.say(
        "programme_admin.programme.view", name=facts.programme.name, members=counts.members,
        mentors=counts.mentors, mentees=counts.mentees, pairs=counts.pairs,
        coordinators=counts.coordinators, invites=counts.invites,
        open_invites=[{"number": invite.id, "role": invite.role.value, "uses": invite.uses_left,
                       "until": works_until(facts.programme, invite).isoformat()}
                      for invite in facts.invites],
        language=None if defaults.language is None else turn.say(f"common.languages.{defaults.language}"),
        timezone=None if defaults.timezone is None else zone_label(defaults.timezone),
        checkin=None if defaults.checkin is None else describe(turn, defaults.checkin),
        digest=None if defaults.digest is None else describe(turn, defaults.digest),
        cohort=None if defaults.cohort_checkin is None else describe(turn, defaults.cohort_checkin),
        length=None if defaults.length is None else defaults.length.count,
        length_unit=None if defaults.length is None else defaults.length.unit)


async def _own(turn: Turn, value: str) -> ProgrammeRecord | None:
    return next((p for p in await mine(turn) if str(p.id) == value), None)


async def programme(turn: Turn, args: str = "") -> Response:
    """`/programme [NAME]`: the one programme they coordinate, or the one named (as `/invite`
    takes a name), else a button per programme, after a note when a name was not theirs."""
    programmes = await mine(turn)
    if not programmes:
        return turn.message("programme_admin.programme.not_coordinator")
    typed = clean_text(args)
    chosen = named(programmes, typed) if typed else None
    if chosen is None and len(programmes) == 1:
        chosen = programmes[0]
    if chosen is not None:
        return await _show(turn, chosen)
    rows = tuple((button(p.name, scheduling_data(SHOW, str(p.id))),) for p in programmes)
    picker = OutMessage(turn.say("programme_admin.programme.pick"), rows)
    again = (scheduling_data(SHOW, PICK), "programme_admin.programme.typed")
    note = (OutMessage(turn.say("programme_admin.programme.typed", text=typed[:64])),) if typed else ()
    return Response((*note, await offer(turn, picker, again=again)))


async def _show(turn: Turn, chosen: ProgrammeRecord) -> Response:
    return Response((OutMessage(render(turn, await facts_of(turn.session, chosen, turn.now))),))


async def choose_show(turn: Turn, value: str) -> Response:
    if value == PICK:
        return await programme(turn)
    chosen = await _own(turn, value)
    if chosen is None:
        return turn.message("programme_admin.programme.not_coordinator")
    return await _show(turn, chosen)


async def invite(turn: Turn, args: str = "") -> Response:
    """`/invite`: a mentor's link for one mentee, or, for a coordinator, a programme's link:
    `/invite NAME [mentor|mentee]` names what it can of the programme and the side, and only
    what it leaves open is asked."""
    programmes = await mine(turn) if Scope.COORDINATOR in turn.scopes else []
    if not programmes:
        if Scope.MENTOR in turn.scopes:
            return await invites.invite(turn)
        return turn.message("programme_admin.programme.not_coordinator")
    typed = clean_text(args)
    if not typed:
        return await _pick_programme(turn, programmes, None)
    name, role = _named_role(turn, typed)
    if not name:
        chosen = programmes[0] if len(programmes) == 1 else None
    else:
        chosen = named(programmes, name)
        if chosen is None:
            note = OutMessage(turn.say("programme_admin.invite.typed.programme", text=name[:64]))
            asked = await _pick_programme(turn, programmes, role)
            return Response((note, *asked.messages))
    if chosen is None:
        return await _pick_programme(turn, programmes, role)
    if role is None:
        return await _pick_role(turn, chosen)
    return await _link(turn, chosen, role)


def _role_word(turn: Turn, word: str) -> Role | None:
    """The side a typed word names (its button's words or a synonym, in any language)."""
    catalog, typed = turn.content.catalog, spellings(word)
    for role in (Role.MENTOR, Role.MENTEE):
        for lang in catalog.texts:
            words = [catalog.raw(lang, f"programme_admin.invite.{role.value}"),
                     *(catalog.raw(lang, f"{ROLE_WORDS}.{role.value}") or [])]
            if any(typed & spellings(str(w)) for w in words):
                return role
    return None


def _named_role(turn: Turn, typed: str) -> tuple[str, Role | None]:
    """`/invite`'s words split into the programme's name and the side its last word (or last
    words: "Mentorinnen und Mentoren") names, if one does."""
    words = typed.split()
    for start in range(len(words)):
        role = _role_word(turn, " ".join(words[start:]))
        if role is not None:
            return " ".join(words[:start]), role
    return typed, None


async def _pick_programme(turn: Turn, programmes: list[ProgrammeRecord],
                          role: Role | None) -> Response:
    """Which programme (the side already chosen, if `role`): a button each, the names and the
    sides' words typed work too, other text gets a hint and the buttons again."""
    side = "" if role is None else f":{role.value}"
    rows = [(button(p.name, scheduling_data(INVITE, f"{p.id}{side}")),) for p in programmes]
    if Scope.MENTOR in turn.scopes and role in (None, Role.MENTEE):
        rows.append((button(turn.say("common.commands.invite"), scheduling_data(INVITE, OWN)),))
    words = [] if role is not None else [
        (f"{ROLE_WORDS}.{r.value}", scheduling_data(INVITE, f"{PICK}:{r.value}"))
        for r in (Role.MENTOR, Role.MENTEE)]
    question = OutMessage(turn.say(
        "programme_admin.invite.pick_programme",
        role=None if role is None else turn.say(f"programme_admin.invite.{role.value}")),
        tuple(rows))
    again = (scheduling_data(INVITE, f"{PICK}{side}"), "programme_admin.invite.typed.programme")
    return Response((await offer(turn, question, again=again, words=words),))


async def _pick_role(turn: Turn, chosen: ProgrammeRecord) -> Response:
    """Who the link of `chosen` is for: the buttons, or their words typed (any language)."""
    say = turn.say
    data = {role: scheduling_data(INVITE, f"{chosen.id}:{role.value}")
            for role in (Role.MENTOR, Role.MENTEE)}
    question = OutMessage(say("programme_admin.invite.pick_role", programme=chosen.name), ((
        button(say("programme_admin.invite.mentor"), data[Role.MENTOR]),
        button(say("programme_admin.invite.mentee"), data[Role.MENTEE])),))
    words = [(f"{ROLE_WORDS}.{role.value}", press) for role, press in data.items()]
    again = (scheduling_data(INVITE, str(chosen.id)), "programme_admin.invite.typed.role")
    return Response((await offer(turn, question, again=again, words=words),))


async def choose_invite(turn: Turn, value: str) -> Response:
    """A press of the coordinator's /invite (or its words typed): the programme, then the side,
    then the link."""
    if value == OWN:
        if Scope.MENTOR not in turn.scopes:
            return turn.stale_press()
        return await invites.invite(turn)
    head, _, side = value.partition(":")
    role = Role(side) if side in (Role.MENTOR.value, Role.MENTEE.value) else None
    if head == PICK:
        programmes = await mine(turn)  # a press is checked against their programmes, as below
        if not programmes:
            return turn.message("programme_admin.programme.not_coordinator")
        return await _pick_programme(turn, programmes, role)
    chosen = await _own(turn, head)
    if chosen is None:
        return turn.message("programme_admin.programme.not_coordinator")
    if role is None:
        return await _pick_role(turn, chosen)
    return await _link(turn, chosen, role)


async def _link(turn: Turn, chosen: ProgrammeRecord, role: Role) -> Response:
    made = await programme_invite(turn.session, chosen, role, uses=COHORT_USES,
                                  valid_for=turn.content.invites.valid_for,
                                  created_by=turn.user.id, now=turn.now)
    until = works_until(chosen, made.invite).isoformat()  # as `programme show` and /programme
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
