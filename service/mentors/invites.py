"""A mentor's invite for one mentee: `/invite` makes it, `/start <token>` (the deep link) redeems it.

The token is 24 random bytes, URL-safe (32 characters: Telegram allows 64 in a start parameter),
stored only as its SHA-256. A link works once, until it expires. A link that is unknown, expired,
used, one's own, opened by someone who has a mentor already, or a programme's link opened by a
member of another programme is refused with a clear message, and nothing changes.

A mentor who belongs to a programme invites into it: the mentee joins the programme as its own
mentee link would have them join (service.programmes.joining: its defaults), and the pair is the
programme's, on its terms (service.programmes.pairs), counted in its figures like one its
coordinators made. A mentee who belongs to another programme is refused, as for its link.

A settled mentee (service.mentors.roles.settled_mentee) who opens a mentor's link is asked first
whether to be a mentor too, by buttons that take typed words; nothing is used until they say yes
(the buttons carry `invite_key`, so only someone who opened the link can answer). A programme's
link opened again by someone in it on its side says where they stand, and uses nothing. A
programme's mentor who opens its mentee link is told that the link is for mentees and that the
programme team can pair them as a mentee; nothing changes and no place is used (a mentor's mentee
side is a pairing, which only the team or a mentor's own invite makes).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, replace
from datetime import timedelta
from zoneinfo import ZoneInfo

from service import callbacks, journey
from service.callbacks import MentorLinkPress
from service.commands import Scope
from service.mentors.roles import answered, ask_role, settled_mentee, settled_mentor
from service.mentors.scopes import load_roles, menu_of
from service.messages import Delivery, OutMessage, Response, button
from service.names import mentee_name, mentor_words
from service.render import Renderer
from service.schedule.plan import replan
from service.turn import Turn
from service.typed_buttons import offer
from storage.invites import (
    InviteRecord,
    create_invite,
    find_invite,
    invite_by_key,
    invite_key,
    use_invite,
)
from storage.pairings import create_pairing, pairing_of_mentee, relationship_end
from storage.programmes import ProgrammeRecord, programme_by_id
from storage.users import UserRecord, first_name, update_user, user_by_id
from storage.vocabulary import Role

TOKEN_BYTES = 24  # 192 bits
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")  # what a start parameter may be that we made


@dataclass(frozen=True)
class InvitePolicy:
    """How long an invite link works (COACHBOT_INVITE_DAYS)."""

    valid_for: timedelta = timedelta(days=14)


def new_token() -> str:
    """An opaque, URL-safe token of 192 random bits."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def looks_like_token(text: str) -> bool:
    """The /start argument could be a token of ours (anything else is not even looked up)."""
    return TOKEN.match(text) is not None


async def invite(turn: Turn) -> Response:
    """/invite (mentors): a new single-use link for one mentee; in the terminal, where there is
    no bot username, the token and the `/start <token>` to type."""
    token = new_token()
    expires = turn.now + turn.content.invites.valid_for
    programme = await _programme_of(turn, turn.user)  # the mentee will join it
    within = None if programme is None else programme.name
    await create_invite(turn.session, token, role=Role.MENTEE, created_by=turn.user.id,
                        expires_at=expires, now=turn.now)
    until = expires.astimezone(ZoneInfo(turn.user.timezone)).date().isoformat()
    username = turn.content.bot_username
    if username:
        return turn.message("mentors.invite.link", until=until,
                            link=f"https://t.me/{username}?start={token}",
                            programme=within)
    return turn.message("mentors.invite.code", token=token, until=until, programme=within)


async def redeem(turn: Turn, token: str) -> Response:
    """`/start <token>`: pair the person with the mentor who made the link (a newcomer is
    welcomed as a mentee first), or say why not and change nothing."""
    found = await find_invite(turn.session, token) if looks_like_token(token) else None
    return await _open(turn, found, invite_key(token))


async def on_mentor_link_press(turn: Turn, press: MentorLinkPress) -> Response:
    """The answer to "a mentor too?": yes opens the link again, confirmed (it is checked anew
    and then used); no leaves everything as it was. A forged or outdated button changes nothing."""
    found = await invite_by_key(turn.session, press.invite_id, press.key)
    if found is None or found.role is not Role.MENTOR:
        return turn.stale_press()
    if not press.confirmed:
        return turn.message("mentors.invite.side_kept")
    return await _open(turn, found, press.key, confirmed=True)


async def _open(turn: Turn, found: InviteRecord | None, key: str,
                confirmed: bool = False) -> Response:
    """What opening this invite does: join, pair, add a side, or say why not. A settled mentee
    opening a mentor's link is asked first (unless `confirmed`), and nothing is used until they
    say yes; someone in its programme on its side already is told so, and nothing is used."""
    creator = (await user_by_id(turn.session, found.created_by)
               if found is not None and found.created_by is not None else None)
    asks = (found is not None and found.role is Role.MENTOR and not confirmed
            and await _adds_a_side(turn))
    refusal = await _refusal(turn, found, creator, use=not asks)
    if refusal is not None:
        return refusal
    assert found is not None
    if _joined_already(turn.user, found):
        return await _already_in(turn, found)
    if asks:
        return await _side_question(turn, found, key)
    if found.programme_id is not None:
        return await _programme_invite(turn, found)
    if found.role is Role.MENTOR:
        return await _mentor_invite(turn)
    assert creator is not None
    # the programmes build on the mentors' invites: imported here, as for their own links
    from service.programmes.joining import join, language_offer
    from service.programmes.pairs import programme_pairing

    programme = await _programme_of(turn, creator)
    if programme is not None:
        await join(turn, programme, Role.MENTEE)
        pairing = await programme_pairing(turn.session, programme, creator.id, turn.user, turn.now)
    else:
        pairing = await create_pairing(turn.session, creator.id, turn.user.id, today=turn.today,
                                       ends_on=relationship_end(turn.user.relationship_ends_on,
                                                                None, turn.today), now=turn.now)
    if turn.user.role == Role.MENTOR:
        turn.paired_as_mentee = True
    await answered(turn)  # the link gave them the mentee side (a coordinator had none)
    # The mentee's planners plan what follows from a pairing (their mentor's digest, own check-in
    # and reflection before the end): without this, none came until the mentee's next replan.
    await replan(turn, turn.content.schedule)
    within = None if programme is None else programme.name
    paired = OutMessage(turn.say("mentors.pairing.paired_mentee", mentor=first_name(creator.name),
                                 programme=within))
    say = Renderer(turn.content.catalog, creator.language).text
    mentee = await mentee_name(turn.session, say, creator.id, pairing.id)  # maybe "Mentee 3"
    told = ((Delivery(creator.telegram_id, (OutMessage(
        say("mentors.pairing.paired_mentor", mentee=mentee, programme=within)),)),)
            if creator.active else ())
    assert pairing.mentor_id == creator.id
    said = [paired]
    if turn.created:
        first, *rest = (await journey.welcome(turn, new=True)).messages
        said = [first, paired, *rest]
    if programme is not None:  # last, as after the programme's own link: the way back from its language
        said += await language_offer(turn, programme)
    return Response(tuple(said), deliveries=told, menu=await menu_of(turn, turn.user))


async def _refusal(turn: Turn, found: InviteRecord | None, creator: UserRecord | None,
                   use: bool = True) -> Response | None:
    """Why this invite cannot be used by this person now, if it cannot; a newcomer is then asked
    which side they are on, as without a link. With `use`, its use is counted here too."""
    key: str | None = None
    mentor = first_name(creator.name) if creator is not None else None
    programme: str | None = None
    member_of: str | None = None
    if found is None or (found.role is Role.MENTEE and found.programme_id is None
                         and creator is None):
        key = "mentors.invite.unknown"
    elif found.created_by == turn.user.id:
        key = "mentors.invite.own"
    elif _joined_already(turn.user, found):
        return None  # in already: let through (joining again changes nothing), no place used
    elif found.expires_at <= turn.now:
        key = "mentors.invite.expired"
    elif found.uses_left <= 0:
        key = "mentors.invite.used"
    elif (belongs := await _other_programme(turn, found, creator)) is not None:
        # another programme's link (or its mentor's) does not move a member (their coordinators
        # would lose them from their counts unasked): not joined, not paired, its use kept
        key = ("programme_admin.other_programme" if found.programme_id is not None
               else "mentors.invite.other_programme")
        programme, member_of = belongs
    elif (found.role is Role.MENTEE and found.programme_id is None
          and await pairing_of_mentee(turn.session, turn.user.id) is not None):
        key = "mentors.invite.already_paired"
        mentor = (await mentor_words(turn.session, turn.user.id))["mentor"]
    elif (found.role is Role.MENTEE and found.programme_id is not None
          and await pairing_of_mentee(turn.session, turn.user.id) is not None):
        # a cohort's mentee link for someone who has a mentor: not joined, its use kept (one
        # person may still be a mentor in one pairing and a mentee in another: mentor links pass)
        key = "programme_admin.already_paired"
        mentor = (await mentor_words(turn.session, turn.user.id))["mentor"]
        joining = await programme_by_id(turn.session, found.programme_id)
        programme = joining.name if joining is not None else None
    elif (found.role is Role.MENTEE and found.programme_id is not None
          and turn.user.programme_id == found.programme_id and turn.user.role is Role.MENTOR):
        # its own mentor on the cohort's mentee link (a tap in the group chat): a mentor's mentee
        # side is a pairing, the programme team's to make; not "the team will pair you", no use
        key = "programme_admin.mentee_link_for_mentor"
        joining = await programme_by_id(turn.session, found.programme_id)
        programme = joining.name if joining is not None else None
    elif (found.role is Role.MENTEE and found.programme_id is not None
          and turn.user.programme_id is None and turn.user.role is Role.MENTOR
          and await settled_mentor(turn)):
        # a mentor of their own (in no programme) on a cohort's mentee link: joining would make
        # them a mentor member told the team will find them a mentor; the team decides either
        key = "programme_admin.mentee_link_for_independent_mentor"
        joining = await programme_by_id(turn.session, found.programme_id)
        programme = joining.name if joining is not None else None
    elif use and not await use_invite(turn.session, found.id, turn.now):  # someone was quicker
        key = "mentors.invite.used"
    if key is None:
        return None
    # a cohort link serves many and may come from the command line: not "each link works once",
    # not "ask your mentor" to someone who has none yet
    refused = turn.message(key, mentor=mentor, programme=programme, member_of=member_of,
                           cohort=found is not None and found.programme_id is not None)
    if turn.created:
        asked = await ask_role(turn)
        return Response((*refused.messages, *asked.messages))
    return refused


async def _programme_of(turn: Turn, mentor: UserRecord) -> ProgrammeRecord | None:
    """The programme a mentor's own invite pairs into: the one they belong to (if it still
    exists); None for an independent mentor."""
    if mentor.programme_id is None:
        return None
    return await programme_by_id(turn.session, mentor.programme_id)


async def _other_programme(turn: Turn, found: InviteRecord,
                           creator: UserRecord | None) -> tuple[str, str] | None:
    """The names of the programme the link leads into (a programme's link's, or the programme of
    the mentor whose invite it is) and of the other one the person belongs to, if they are a
    member of another (both still existing)."""
    leads_to = found.programme_id
    if leads_to is None and found.role is Role.MENTEE and creator is not None:
        leads_to = creator.programme_id
    current = turn.user.programme_id
    if leads_to is None or current is None or current == leads_to:
        return None
    member_of = await programme_by_id(turn.session, current)
    joining = await programme_by_id(turn.session, leads_to)
    if member_of is None or joining is None:
        return None
    return joining.name, member_of.name


async def _adds_a_side(turn: Turn) -> bool:
    """Whether a mentor's link would add the mentor side to a settled mentee who has only that
    side (rather than make a mentor of a newcomer, or of someone whose side /start only asked)."""
    if turn.created or Scope.MENTOR in turn.scopes:
        return False
    return await settled_mentee(turn)


async def _side_question(turn: Turn, found: InviteRecord, key: str) -> Response:
    """A mentee opened a mentor's link (a wrong tap in a group chat, maybe): a mentor too? Yes
    and no are buttons, and typed ("yes", "nein", the buttons' words) as well."""
    programme = (await programme_by_id(turn.session, found.programme_id)
                 if found.programme_id is not None else None)
    mentor = (await mentor_words(turn.session, turn.user.id))["mentor"] \
        if await pairing_of_mentee(turn.session, turn.user.id) is not None else None
    yes = callbacks.mentor_link_data(found.id, key, confirmed=True)
    no = callbacks.mentor_link_data(found.id, key, confirmed=False)
    question = OutMessage(turn.say("mentors.invite.side_question", mentor=mentor,
                                   programme=None if programme is None else programme.name),
                          ((button(turn.say("mentors.invite.side_yes"), yes),
                            button(turn.say("mentors.invite.side_no"), no)),))
    return Response((await offer(turn, question, words=(("common.words.yes", yes),
                                                        ("common.words.no", no))),))


async def _already_in(turn: Turn, found: InviteRecord) -> Response:
    """Their programme's link opened again on the side they joined it (tapped twice in the group
    chat): who they are there (a mentee's mentor, if paired); nothing changes, no use counted."""
    assert found.programme_id is not None
    programme = await programme_by_id(turn.session, found.programme_id)
    if programme is None:  # deleted since, as `_programme_invite` says
        return turn.message("mentors.invite.unknown", mentor=None)
    as_mentor = found.role is Role.MENTOR
    words = {"paired": False, "mentor": None} if as_mentor \
        else await mentor_words(turn.session, turn.user.id)  # a mentor without a name is paired too
    return turn.message("programme_admin.already_in", as_mentor=as_mentor, programme=programme.name,
                        **words)


def _joined_already(user: UserRecord, found: InviteRecord) -> bool:
    """A programme's link opened again by someone who joined it on that side (tapped twice in
    the group chat): a cohort link's uses are places for other people, not for them."""
    if found.programme_id is None or user.programme_id != found.programme_id:
        return False
    return user.mentors if found.role is Role.MENTOR else user.role is Role.MENTEE


async def _programme_invite(turn: Turn, found: InviteRecord) -> Response:
    """A coordinator's invite for a programme (several uses serve a cohort): the opener joins it
    on the invite's side with the programme's defaults; pairs are made by the coordinators."""
    # the programmes build on the mentors' invites
    from service.programmes.joining import join, language_offer

    assert found.programme_id is not None
    programme = await programme_by_id(turn.session, found.programme_id)
    if programme is None:  # deleted since: the link no longer leads anywhere
        return turn.message("mentors.invite.unknown", mentor=None)
    before = turn.user.role
    await join(turn, programme, found.role)
    await load_roles(turn)
    joined = OutMessage(turn.say("programme_admin.joined", programme=programme.name,
                                 as_mentor=found.role is Role.MENTOR,
                                 name=first_name(turn.user.name)))
    if turn.user.role is Role.MENTOR and (turn.created or before is not Role.MENTOR):
        # a mentor's welcome, not the mentee's ("once your mentor joins…"), then their first step
        welcome_mentor = OutMessage(turn.say("mentors.roles.mentor_welcome",
                                             name=first_name(turn.user.name)))
        said = [welcome_mentor, joined, *await journey.suggestion(turn)]
    elif turn.created:
        first, *rest = (await journey.welcome(turn, new=True)).messages
        said = [first, joined, *rest]
    else:
        said = [joined, *await journey.suggestion(turn)]
    # last, in their app's language: the way back from the programme's, if it replaced that
    said += await language_offer(turn, programme)
    return Response(tuple(said), menu=await menu_of(turn, turn.user))


async def _mentor_invite(turn: Turn) -> Response:
    """A link that makes its opener a mentor (a coordinator's; its programme is the programmes'
    issue)."""
    role = Role.MENTOR if turn.created else turn.user.role  # someone known keeps their side
    await update_user(turn.session, turn.user.id, turn.now, mentors=True, role=role)
    turn.became(replace(turn.user, mentors=True, role=role))
    return Response((OutMessage(turn.say("mentors.invite.became_mentor",
                                         name=first_name(turn.user.name))),
                     *await journey.suggestion(turn)), menu=await menu_of(turn, turn.user))
