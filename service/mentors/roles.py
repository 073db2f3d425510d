"""Which side a person is on: the question a newcomer answers, becoming a mentor, and what the
sides allow.

A person comes in as a mentee or a mentor (`users.role`, their primary side: whose dialog /story
starts) and may add the mentor side later (`users.mentors`, by `/start mentor`); someone who came
in as a mentor is also a mentee while a mentor has paired them (`Turn.paired_as_mentee`, loaded
by service.mentors.scopes). A coordinator without a side takes one by `/start mentee` or `/start
mentor`; a side's word they merely type is asked back first (yes or no), never taken at once.
"""

from __future__ import annotations

from dataclasses import replace

from dialogs.schema import Audience
from prompts.catalog import fold, spellings
from service import callbacks, journey
from service.awaiting import awaited, wait_for
from service.commands import CommandSpec, Scope, dialog_for_command
from service.mentors.scopes import (
    ROLE,
    asked,
    load_coordination,
    load_roles,
    menu_of,
    without_side,
)
from service.messages import OutMessage, Response, button
from service.turn import Turn
from storage.pairings import pairings_of_user
from storage.runs import completed_dialogs
from storage.users import first_name, update_user
from storage.vocabulary import Role

MENTOR_STORY = "mentor_story"


def role_named(turn: Turn, text: str) -> Role | None:
    """The side a typed word names ("mentor", "Mentorin", "as a mentee"), in any language."""
    wanted = fold(" ".join(text.split()))
    for role in Role:
        for lang in turn.content.catalog.texts:
            words = turn.content.catalog.raw(lang, f"mentors.roles.words.{role.value}") or []
            if wanted in {fold(str(word)) for word in words}:
                return role
    return None


def dialog_for(turn: Turn, spec: CommandSpec) -> str | None:
    """The dialog a DIALOG command starts: their primary side's, else (a mentee-only command for
    someone who is also a mentee) the other side's."""
    primary = dialog_for_command(spec, turn.audience)
    if primary is not None:
        return primary
    return next((dialog for audience, dialog in spec.dialogs.items() if turn.serves(audience)),
                None)


def help_sides(turn: Turn, scopes: frozenset[Scope]) -> str:
    """For /help (`scopes`: what it lists): which side's dialog a shared command starts, how to
    add the other side, or (a coordinator without a side) how to take one, as /start says."""
    both = {Scope.MENTEE, Scope.MENTOR} <= scopes
    side = ("both" if both else "mentee" if Scope.MENTEE in scopes
            else "mentor" if Scope.MENTOR in scopes else "none")
    return turn.say("mentors.roles.help_sides", side=side,
                    primary=turn.say(f"mentors.roles.primary.{turn.audience.value}"))


async def side_left_open(turn: Turn) -> bool:
    """Whether they are a coordinator without a side (coordination loaded). One who is new this
    turn has the side question left open, as their /start would: later inputs see them alike."""
    if turn.created and Scope.COORDINATOR in turn.scopes and not asked(turn):
        await wait_for(turn, {"for": ROLE})
    return without_side(turn)


def not_yours(turn: Turn, spec: CommandSpec) -> Response:
    """A command of the other side: said, nothing done."""
    return turn.message("mentors.roles.not_yours", for_mentors=Scope.MENTOR in spec.scopes,
                        for_coordinators=spec.scopes == {Scope.COORDINATOR})


async def ask_role(turn: Turn, again: bool = False) -> Response:
    """A newcomer without an invite: mentee or mentor? (`again`: they typed something else.)
    Until they answer they are a mentee, so a command such as /agreement simply goes on as one.
    A coordinator is told what they can do here instead: the question stays open for
    `/start mentee` or `/start mentor`, but nothing pushes them into a side."""
    await wait_for(turn, {"for": ROLE})
    say = turn.say
    name = first_name(turn.user.name)
    await load_coordination(turn)
    if without_side(turn):
        return Response((OutMessage(say("mentors.roles.coordinator_start", name=name,
                                        again=again)),),
                        menu=None if again else await menu_of(turn, turn.user))
    text = say("mentors.roles.ask_again") if again else say("mentors.roles.ask", name=name)
    question = OutMessage(text, ((
        button(say("mentors.roles.mentee_button"), callbacks.role_data(Role.MENTEE)),
        button(say("mentors.roles.mentor_button"), callbacks.role_data(Role.MENTOR))),))
    return Response((question,))


async def on_role_text(turn: Turn, text: str) -> Response:
    """Typed text while the role question waits: a side's word answers it; anything else asks
    it again, so a "hello" never makes anyone a mentee without their saying so (someone new who
    types before /start gets the question itself). A coordinator without a side was never asked
    it: a side's word ("mentor", "ich bin Mentorin", said to someone else maybe) is asked back
    first (`_confirm_side`), and yes or no typed answers that."""
    await load_coordination(turn)
    confirming = _confirming(turn)
    if confirming is not None:
        answer = _yes_or_no(turn, text)
        if answer is not None:
            return await choose_role(turn, confirming) if answer else await _side_declined(turn)
    role = role_named(turn, text)
    if role is None:
        return await ask_role(turn, again=asked(turn))
    if without_side(turn):
        return await _confirm_side(turn, role)
    return await choose_role(turn, role)


async def on_role_press(turn: Turn, role: Role | None) -> Response:
    """A press on the role question's buttons (or the yes or no to a coordinator's typed side);
    it counts only while the question waits."""
    if not asked(turn):
        return turn.stale_press()
    if role is None:
        await load_coordination(turn)
        return await _side_declined(turn) if without_side(turn) else turn.stale_press()
    return await choose_role(turn, role)


def _confirming(turn: Turn) -> Role | None:
    """The side a coordinator typed and is being asked to confirm, if that question waits."""
    side = (awaited(turn, ROLE) or {}).get("confirm")
    return Role(side) if side in {role.value for role in Role} else None


def _yes_or_no(turn: Turn, text: str) -> bool | None:
    """Whether typed text says yes or no (the catalog's words or the buttons' labels, in any
    language), or neither."""
    catalog, forms = turn.content.catalog, spellings(text)
    for answer, words, label in ((True, "common.words.yes", "mentors.roles.confirm_yes"),
                                 (False, "common.words.no", "mentors.roles.confirm_no")):
        said = {form for lang in catalog.texts
                for word in [*(catalog.raw(lang, words) or []), catalog.render(lang, label)]
                for form in spellings(str(word))}
        if forms & said:
            return answer
    return None


async def _confirm_side(turn: Turn, role: Role) -> Response:
    """A coordinator typed a side's word: add that side? Yes and no are buttons, and typed too;
    the side question stays open meanwhile, so nothing changes until they say yes."""
    await wait_for(turn, {"for": ROLE, "confirm": role.value})
    question = OutMessage(turn.say("mentors.roles.confirm_side", mentor=role is Role.MENTOR), ((
        button(turn.say("mentors.roles.confirm_yes"), callbacks.role_data(role)),
        button(turn.say("mentors.roles.confirm_no"), callbacks.role_data(None))),))
    return Response((question,))


async def _side_declined(turn: Turn) -> Response:
    """No to the side they typed: nothing changes; the side question stays open for /start."""
    await wait_for(turn, {"for": ROLE})
    return turn.message("mentors.roles.side_declined")


async def choose_role(turn: Turn, role: Role) -> Response:
    """The newcomer said which side they are on: a mentee is welcomed as before (the promise of
    privacy, the first dialog); a mentor gets the mentor's welcome and `mentor_story`. A
    coordinator's menu, which held no side's commands, gets the mentee's now (typed or pressed,
    the answer comes without their coordination loaded)."""
    await load_coordination(turn)
    coordinated = without_side(turn)
    await answered(turn)
    if role is Role.MENTEE:
        welcome = await journey.welcome(turn, new=True)
        return replace(welcome, menu=await menu_of(turn, turn.user)) if coordinated else welcome
    return await _made_mentor(turn, "mentors.roles.mentor_welcome")


async def become_mentor(turn: Turn) -> Response:
    """`/start mentor`: a newcomer starts as a mentor; someone known adds the mentor side."""
    if turn.created or asked(turn):
        await answered(turn)
        return await _made_mentor(turn, "mentors.roles.mentor_welcome")
    if Scope.MENTOR in turn.scopes:
        return turn.message("mentors.roles.mentor_already")
    await update_user(turn.session, turn.user.id, turn.now, mentors=True)
    turn.became(replace(turn.user, mentors=True))
    offer = OutMessage(turn.say("mentors.roles.story_offer"), ((button(
        turn.say("common.buttons.start", title=turn.say(f"{MENTOR_STORY}.title")),
        callbacks.dialog_data(MENTOR_STORY)),),))
    return Response((OutMessage(turn.say("mentors.roles.mentor_added")), offer),
                    menu=await menu_of(turn, turn.user))


async def _made_mentor(turn: Turn, key: str) -> Response:
    """They are a mentor from now on (their primary side): the welcome and `mentor_story`."""
    await update_user(turn.session, turn.user.id, turn.now, role=Role.MENTOR, mentors=True)
    turn.became(replace(turn.user, role=Role.MENTOR, mentors=True))
    await load_roles(turn)
    welcome = OutMessage(turn.say(key, name=first_name(turn.user.name)))
    return Response((welcome, *await journey.suggestion(turn)), menu=await menu_of(turn, turn.user))


async def settled_mentee(turn: Turn) -> bool:
    """Whether they are a mentee by more than a first answer: ever paired as one, a mentee's
    dialog finished, or a programme's member on that side (its link or its team put them there).
    A mentor's link adds the mentor side to them, after asking (service.mentors.invites); anyone
    else it makes a mentor first and foremost, as a newcomer: /start only asked, or assumed, a
    side."""
    if turn.user.role is Role.MENTEE and turn.user.programme_id is not None:
        return True
    if any(not as_mentor for _, as_mentor, _ in await pairings_of_user(turn.session, turn.user.id)):
        return True
    mentees = {d.name for d in turn.content.scripts.by_name.values()
               if d.audience is Audience.MENTEE}
    return bool(mentees & await completed_dialogs(turn.session, turn.user.id))


async def settled_mentor(turn: Turn) -> bool:
    """Whether they are a mentor by more than a first answer: ever paired as one, a mentor's
    dialog finished, or a programme's member on that side. Anyone else a programme's mentee link
    makes a mentee (service.programmes.joining): a tap on "mentor" at /start was only a first
    answer."""
    if turn.user.role is Role.MENTOR and turn.user.programme_id is not None:
        return True
    if any(as_mentor for _, as_mentor, _ in await pairings_of_user(turn.session, turn.user.id)):
        return True
    mentors = {d.name for d in turn.content.scripts.by_name.values()
               if d.audience is Audience.MENTOR}
    return bool(mentors & await completed_dialogs(turn.session, turn.user.id))


async def answered(turn: Turn) -> None:
    """The role question no longer waits (a side was chosen, or a link gave one)."""
    if asked(turn):
        await wait_for(turn, None)
