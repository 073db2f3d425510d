"""Every command the bot knows, in one table: who may use it, whether it is slow, what it does.

The Telegram menu per scope, `/help`, the Telegram handler registration and the terminal all derive
from `COMMANDS`; the use cases behind the `ACTION` and `LOOK_UP` commands are wired in `routing`.
Each command's menu description is the catalog text `common.commands.<name>`, or for someone who is
not a mentee `common.mentor_commands.<name>` where the mentee's words would not fit them, and for a
coordinator who is no mentor `common.coordinator_commands.<name>`.

A coordinator who has not chosen a side (mentee or mentor) has the scope COORDINATOR alone in their
menu and /help (service.mentors.scopes.listed_scopes): the account's own commands (`ACCOUNT`) and
the coordinator's, nothing of a mentee's journey.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from dialogs.engine import Command as Navigation
from dialogs.schema import Audience


class Scope(StrEnum):
    """Whose menu a command is in. A person has the scopes of their roles and rights."""

    MENTEE = "mentee"
    MENTOR = "mentor"
    COORDINATOR = "coordinator"


class Kind(StrEnum):
    """What a command does, broadly."""

    DIALOG = "dialog"  # starts (or continues) a dialog
    NAVIGATION = "navigation"  # moves inside the open dialog
    LOOK_UP = "look_up"  # shows something; the open dialog stays open and says so
    ACTION = "action"  # does something about the account or the open dialog


PEOPLE = frozenset({Scope.MENTEE, Scope.MENTOR})
#: The commands about the account itself, not a side: anyone's, a coordinator's without a side too.
ACCOUNT = frozenset({Scope.MENTEE, Scope.MENTOR, Scope.COORDINATOR})


@dataclass(frozen=True)
class CommandSpec:
    """One command. `dialogs` names the dialog a DIALOG command starts, per audience;
    `navigation` the engine command a NAVIGATION command sends; `listed` puts it in menus and /help;
    `in_dialog` lists it under "inside a dialog" there; `with_mentor` lists it in a chat's menu
    only while the person has a mentor."""

    name: str
    kind: Kind
    scopes: frozenset[Scope] = PEOPLE
    slow: bool = False  # the front-end shows "typing…" before answering
    listed: bool = True
    in_dialog: bool = False
    dialogs: Mapping[Audience, str] = field(default_factory=lambda: MappingProxyType({}))
    navigation: Navigation | None = None
    with_mentor: bool = False


def _dialog(name: str, mentee: str | None = None, mentor: str | None = None) -> CommandSpec:
    targets = {audience: dialog for audience, dialog in
               ((Audience.MENTEE, mentee), (Audience.MENTOR, mentor)) if dialog is not None}
    scopes = frozenset(Scope(audience.value) for audience in targets)
    return CommandSpec(name, Kind.DIALOG, scopes, dialogs=MappingProxyType(targets))


def _navigation(name: str, navigation: Navigation, listed: bool = True) -> CommandSpec:
    return CommandSpec(name, Kind.NAVIGATION, listed=listed, in_dialog=True, navigation=navigation)


# In menu order (DESIGN.md's contract).
COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("start", Kind.ACTION, ACCOUNT),
    CommandSpec("help", Kind.LOOK_UP, ACCOUNT),
    CommandSpec("journey", Kind.LOOK_UP, slow=True),
    _dialog("agreement", mentee="agreement"),
    _dialog("story", mentee="story", mentor="mentor_story"),
    _dialog("vision", mentee="vision"),
    _dialog("grow", mentee="grow"),
    _dialog("checkin", mentee="checkin", mentor="mentor_checkin"),
    _dialog("agenda", mentee="agenda"),
    _dialog("reflect", mentee="reflection", mentor="mentor_reflection"),
    CommandSpec("goals", Kind.LOOK_UP, slow=True),
    CommandSpec("answers", Kind.LOOK_UP, slow=True),
    CommandSpec("settings", Kind.LOOK_UP, ACCOUNT),
    CommandSpec("checkins", Kind.LOOK_UP),
    CommandSpec("pause", Kind.LOOK_UP),
    CommandSpec("meeting", Kind.LOOK_UP, scopes=frozenset({Scope.MENTEE})),
    CommandSpec("askmentor", Kind.ACTION, scopes=frozenset({Scope.MENTEE}), with_mentor=True),
    _navigation("skip", Navigation.SKIP),
    _navigation("back", Navigation.BACK),
    _navigation("done", Navigation.DONE, listed=False),
    CommandSpec("cancel", Kind.ACTION, in_dialog=True),
    CommandSpec("resume", Kind.ACTION, in_dialog=True),
    CommandSpec("export", Kind.ACTION, ACCOUNT, slow=True),
    CommandSpec("delete", Kind.ACTION, ACCOUNT),
    CommandSpec("invite", Kind.ACTION, frozenset({Scope.MENTOR, Scope.COORDINATOR})),
    CommandSpec("mentees", Kind.LOOK_UP, frozenset({Scope.MENTOR}), slow=True),
    CommandSpec("digest", Kind.LOOK_UP, scopes=frozenset({Scope.MENTOR})),
    CommandSpec("stats", Kind.LOOK_UP, scopes=frozenset({Scope.COORDINATOR}), slow=True),
    CommandSpec("programme", Kind.LOOK_UP, scopes=frozenset({Scope.COORDINATOR})),
)
BY_NAME: Mapping[str, CommandSpec] = MappingProxyType({c.name: c for c in COMMANDS})


def command(name: str) -> CommandSpec | None:
    """The command with this name (any letter case), if there is one."""
    return BY_NAME.get(name.lower())


def menu(scopes: frozenset[Scope] | set[Scope], mentored: bool = True) -> list[CommandSpec]:
    """The listed commands a person with these scopes may use, in menu order (without those for
    someone with a mentor, unless `mentored`)."""
    return [c for c in COMMANDS
            if c.listed and c.scopes & scopes and (mentored or not c.with_mentor)]


#: Commands whose mentee description does not fit a mentor (their /story is their own path,
#: /pause holds digests, briefs and their own check-ins, not a mentee's; /settings has no sharing
#: for them, nor for a coordinator without a side).
MENTOR_WORDED = frozenset({"story", "checkin", "pause", "settings", "goals"})
#: Commands whose mentor description does not fit a coordinator who is no mentor (/invite makes
#: a link to their programme, not one for a mentee of their own).
COORDINATOR_WORDED = frozenset({"invite"})


def description_key(spec: CommandSpec, scopes: frozenset[Scope] | set[Scope]) -> str:
    """The catalog key of a command's description for a person with these scopes: a coordinator's
    wording when they coordinate and are no mentor, a mentor's when they are no mentee (a mentor,
    or a coordinator without a side)."""
    if spec.name in COORDINATOR_WORDED and Scope.COORDINATOR in scopes \
            and Scope.MENTOR not in scopes:
        return f"common.coordinator_commands.{spec.name}"
    if spec.name in MENTOR_WORDED and Scope.MENTEE not in scopes:
        return f"common.mentor_commands.{spec.name}"
    return f"common.commands.{spec.name}"


def dialog_for_command(spec: CommandSpec, audience: Audience) -> str | None:
    """The dialog a DIALOG command starts for this audience (`/reflect` → reflection or
    mentor_reflection); None when there is none for them."""
    return spec.dialogs.get(audience)


def command_for_dialog(dialog: str, audience: Audience) -> str:
    """The command that starts a dialog for this audience."""
    return next((c.name for c in COMMANDS if c.dialogs.get(audience) == dialog), dialog)
