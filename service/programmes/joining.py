"""Joining a programme through its invite (or as the mentee a programme's mentor invited,
service.mentors.invites): the person becomes a member (users.programme_id) on the invite's side,
and the programme's defaults flow in — the language for whoever has not chosen one (/settings),
the time zone for someone new or without one, the check-in rule for a mentee and the digest rule
for a mentor when they have none of their own yet. A member can change any of them afterwards
(/checkins, /digest, /settings). Someone whose app speaks another language the bot speaks, put
into the programme's language by joining, is offered theirs back (`language_offer`)."""

from __future__ import annotations

from dataclasses import replace

from service import callbacks, journey
from service.awaiting import wait_for
from service.mentors import roles
from service.mentors.rules import DIGEST
from service.messages import OutMessage, Response, button
from service.programmes.defaults import ProgrammeDefaults
from service.render import Renderer
from service.runs import show_run
from service.schedule import checkins
from service.schedule.plan import replan
from service.settings import apply_setting
from service.turn import Turn
from service.typed_buttons import offer
from storage.programmes import ProgrammeRecord
from storage.schedule import rules_of, set_rule
from storage.users import UserChanges, update_user
from storage.vocabulary import Role


async def join(turn: Turn, programme: ProgrammeRecord, role: Role) -> None:
    """Make the person a member of the programme on this side, with its defaults. A mentor's link
    makes someone who is no settled mentee (`roles.settled_mentee`) a mentor first and foremost,
    as a newcomer: a /start before it only asked, or assumed, a side; a settled mentee keeps
    that side and adds the mentor's. A mentee link makes a mentor who is no settled one
    (`roles.settled_mentor`) a mentee; a settled one never gets here (service.mentors.invites)."""
    changes: UserChanges = {}
    if role is Role.MENTOR:
        changes["mentors"] = True
    if turn.created or (role is Role.MENTOR and not await roles.settled_mentee(turn)):
        changes["role"] = role
    elif role is Role.MENTEE and turn.user.role is Role.MENTOR \
            and not await roles.settled_mentor(turn):  # "mentor" was only a first answer
        changes["role"], changes["mentors"] = role, False
    if roles.asked(turn):  # the link answers the side question
        await wait_for(turn, None)
    await take_defaults(turn, programme, changes, mentee=role is Role.MENTEE,
                        mentor=role is Role.MENTOR)


async def take_defaults(turn: Turn, programme: ProgrammeRecord, changes: UserChanges, *,
                        mentee: bool, mentor: bool) -> None:
    """Make the person a member of the programme (with `changes` of the caller's), and let its
    defaults flow in: the language if they never chose one, the time zone if they are new or have
    none, a mentee's check-in rule and a mentor's digest rule if they have none; then everything
    of theirs is planned anew (joining through a link, or moved there by the programme team)."""
    defaults = ProgrammeDefaults.of(programme.defaults)
    user = turn.user
    changes = changes.copy()
    changes["programme_id"] = programme.id
    if defaults.language is not None and not user.language_chosen:
        changes["language"] = defaults.language
    if defaults.timezone is not None and (turn.created or user.timezone == checkins.UNSET_ZONE):
        changes["timezone"] = defaults.timezone
    await update_user(turn.session, user.id, turn.now, **changes)
    turn.became(replace(user, **changes))
    rules = await rules_of(turn.session, user.id)
    if mentee and defaults.checkin is not None and checkins.KIND not in rules:
        await set_rule(turn.session, user.id, checkins.KIND,
                       checkins.soonest(turn, defaults.checkin).to_json(), turn.now)
    if mentor and defaults.digest is not None and DIGEST not in rules:
        await set_rule(turn.session, user.id, DIGEST, defaults.digest.to_json(), turn.now)
    await replan(turn, turn.content.schedule)


async def language_offer(turn: Turn, programme: ProgrammeRecord) -> list[OutMessage]:
    """After joining: if the programme's language replaced the one their app reports (and the
    bot speaks), one line in their own language with a button that switches back — /settings'
    own press (`set:lang:<xx>`, marked as this offer's: `language_switched`), so it is checked and
    confirmed as a press there is, and the next step follows in the new language; typing its
    words or the language's name ("English", "Englisch") does the same. Nothing otherwise."""
    return await switch_back(turn, turn.app_language,
                             ProgrammeDefaults.of(programme.defaults).language)


async def switch_back(turn: Turn, own: str | None, language: str | None,
                      typed: bool = True) -> list[OutMessage]:
    """`language_offer`'s line for `own` (the language they had), if a programme's `language`
    replaced it and is still theirs, unchosen; also after a move by the programme team
    (service.programmes.moving). `typed`: its words may be typed too (not while something else
    waits for their text)."""
    if (own is None or language is None or own == language or turn.user.language_chosen
            or turn.user.language != language or own not in turn.content.catalog.texts):
        return []
    say = Renderer(turn.content.catalog, own).text
    data = callbacks.join_language_data(own)
    line = OutMessage(say("programme_admin.language_offer"),
                      ((button(say("programme_admin.language_button"), data),),))
    if not typed:
        return [line]
    return [await offer(turn, line, words=((f"common.settings.words.{own}", data),))]


async def language_switched(turn: Turn, language: str) -> Response:
    """The offer after joining was taken: the switch is confirmed as /settings confirms it, and
    the welcome's next step (which came in the programme's language) follows in the new one —
    or, with a dialog open by now, its question. The welcome itself is not sent again."""
    before = turn.user.language
    switched = await apply_setting(turn, "lang", language)
    if turn.user.language == before or turn.user.language != language:
        return switched  # not understood, or it was theirs already (the button tapped again)
    if turn.open_run is not None:
        then = (await show_run(turn, turn.open_run, None)).messages
    else:
        then = tuple(await journey.suggestion(turn))
    return replace(switched, messages=(*switched.messages, *then))
