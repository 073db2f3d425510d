"""Button data: small, parseable, checked against the run's stored position before it counts.

Every button's data is built and parsed here, nowhere else. Forms (all under Telegram's 64-byte
limit):
  a:<run>:<step position>:<item index>:<token>   an answer button of a question
  s:<run>:<token>                                 the summary: `confirm` or `edit:<position>`
  r:<run>                                         continue this open run
  p:<dialog>                                      pause the open run and start this dialog
  g:<dialog>                                      start this dialog
  pi:<dialog> | gi:<dialog>                       the same, for a dialog the bot invited to
  j:<+1|-1>                                       move the journey a stage forward or back
  x                                               dismiss an offer
  set:lang:<xx> | set:tz:<n> | set:share:<0|1>    change a setting
  set:lang:<xx>:j                                 the language, from the offer after joining: the
                                                  next step follows in it
  del:yes | del:no                                confirm or refuse erasing all of one's data
  gl                                              the list of one's goals
  go:<goal>[:<status>]                            show a goal, or mark it (open|achieved|dropped)
  as:<step>[:<what>]                              show an action step, or: done|dropped|open (its
                                                  status), text|date (ask for a new one), keep
                                                  (leave it), delete (ask), delete_sure (do it)
  rv:<dialog>:<goal>|new                          revise this goal in the dialog, or set a new one
  sc:<item>:<op>                                  a press on a scheduled item's message (start,
                                                  later, skip…): its kind's handler decides
  sk:<topic>:<value>                              a scheduling choice (the check-in rhythm, a day,
                                                  a time, a pause…): the topic's handler decides
  vm:<run>                                        send this vision run's map to one's mentor
  sh:<run>:<op>                                   a run's sharing: all, none, pick (choose
                                                  answers), done (the choice is made), ask (its
                                                  question again, after typed text none of its
                                                  buttons' words)
  sv:<answer>                                     share one's own answer, or keep it private again
  mv:<pairing>                                    a mentor opens one mentee (checked: their own,
                                                  open pairing)
  ml                                              a mentor's list of mentees
  ro:<mentee|mentor>                              a newcomer's answer: which side they are on
  pe:<pairing>[:<y|n>]                            end this pairing (ask), or the answer to "really?"
  mi:<invite>:<y|n>:<key>                         the answer of a mentee to a mentor's link: take
                                                  the mentor side too, or not (`key`: the start of
                                                  the token's hash, storage.invites.invite_key)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from storage.vocabulary import Role

# Tokens of answer buttons besides a choice's index or a scale's number.
KEEP = "k"
SKIP = "s"
YES = "y"
NO = "n"
LIST_DONE = "d"
OFFER = "o"  # take the known date the step offers
MAX_ID = 2**31 - 1  # the id columns are 32-bit integers on PostgreSQL: larger ids are forged
_ANSWER = re.compile(r"^a:(\d{1,12}):(\d{1,3}):(\d{1,3}):([a-z0-9]{1,4})$")
_SUMMARY = re.compile(r"^s:(\d{1,12}):(confirm|edit:\d{1,3})$")
_RUN = re.compile(r"^r:(\d{1,12})$")
_DIALOG = re.compile(r"^([pg])(i?):([a-z][a-z0-9_]{0,39})$")
_STAGE = re.compile(r"^j:([+-]1)$")
_SETTING = re.compile(r"^set:(lang|tz|share):([a-z0-9]{1,3})$")
_JOIN_LANGUAGE = re.compile(r"^set:lang:([a-z]{2,3}):j$")
_GOAL = re.compile(r"^go:(\d{1,12})(?::(open|achieved|dropped))?$")
_STEP = re.compile(r"^as:(\d{1,12})(?::([a-z_]{1,12}))?$")
_REVISE = re.compile(r"^rv:([a-z][a-z0-9_]{0,39}):(\d{1,12}|new)$")
_ITEM = re.compile(r"^sc:(\d{1,12}):([a-z_]{1,16})$")
_SCHEDULING = re.compile(r"^sk:([a-z_]{1,16}):([a-z0-9_,:.+-]{0,40})$")
_ROLE = re.compile(r"^ro:(mentee|mentor|none)$")
_END_PAIRING = re.compile(r"^pe:(\d{1,12})(?::([yn]))?$")
_MENTOR_LINK = re.compile(r"^mi:(\d{1,12}):([yn]):([0-9a-f]{16})$")
GOALS_DATA = "gl"
_VISION_MAP = re.compile(r"^vm:(\d{1,12})$")
_SHARE = re.compile(r"^sh:(\d{1,12}):(all|none|pick|done|ask)$")
_VISIBILITY = re.compile(r"^sv:(\d{1,12})$")
_MENTEE = re.compile(r"^mv:(\d{1,12})$")
MENTEES_DATA = "ml"


class StepOp(StrEnum):
    """What a press on an action step's message does."""

    DONE = "done"
    DROPPED = "dropped"
    OPEN = "open"
    TEXT = "text"
    DATE = "date"
    KEEP = "keep"
    DELETE = "delete"
    DELETE_SURE = "delete_sure"


def answer_data(run_id: int, position: int, index: int, token: str) -> str:
    """Data of an answer button."""
    return f"a:{run_id}:{position}:{index}:{token}"


def summary_data(run_id: int, token: str) -> str:
    """Data of a summary button: `confirm` or `edit:<position>`."""
    return f"s:{run_id}:{token}"


def continue_data(run_id: int) -> str:
    """Data of a button that continues an open or paused run."""
    return f"r:{run_id}"


def dialog_data(dialog: str, pause_open: bool = False, invited: bool = False) -> str:
    """Data of a button that starts a dialog (pausing the open one first; `invited`: one the bot
    invited to)."""
    return f"{'p' if pause_open else 'g'}{'i' if invited else ''}:{dialog}"


def stage_data(by: int) -> str:
    """Data of a button that moves the journey one stage forward (+1) or back (-1)."""
    return f"j:{by:+d}"


DISMISS_DATA = "x"


def setting_data(name: str, value: str) -> str:
    """Data of a settings button: `lang` to a code, `tz` to a common zone's index, `share` 0/1."""
    return f"set:{name}:{value}"


def join_language_data(language: str) -> str:
    """Data of the button after joining that switches to the person's own language (a settings
    press, whose answer then suggests the next step again, in that language)."""
    return f"{setting_data('lang', language)}:j"


def delete_data(confirmed: bool) -> str:
    """Data of the answer to "erase everything?"."""
    return "del:yes" if confirmed else "del:no"


def goal_data(goal_id: int, status: str | None = None) -> str:
    """Data of a button that shows a goal, or marks it with a status (open, achieved, dropped)."""
    return f"go:{goal_id}" if status is None else f"go:{goal_id}:{status}"


def step_data(action_id: int, op: StepOp | None = None) -> str:
    """Data of a button that shows an action step, or does something to it."""
    return f"as:{action_id}" if op is None else f"as:{action_id}:{op}"


def revise_data(dialog: str, goal_id: int | None) -> str:
    """Data of the answer to "revise a goal or set a new one?" (None: a new one)."""
    return f"rv:{dialog}:{'new' if goal_id is None else goal_id}"


def item_data(item_id: int, op: str) -> str:
    """Data of a button on a scheduled item's message (`op`: lower-case letters and _)."""
    return f"sc:{item_id}:{op}"


def scheduling_data(topic: str, value: str = "") -> str:
    """Data of a scheduling choice (`topic`: lower-case letters and _; `value`: at most 40 of
    a-z 0-9 _ , : . + -, room for a time zone's name: `zone:america.argentina.buenos_aires`)."""
    return f"sk:{topic}:{value}"


def vision_map_data(run_id: int) -> str:
    """Data of the button that sends a vision run's map to the mentor."""
    return f"vm:{run_id}"


class ShareOp(StrEnum):
    """What a press on a run's sharing question does."""

    ALL = "all"
    NONE = "none"
    PICK = "pick"
    DONE = "done"
    ASK = "ask"  # the run's sharing question again (never a button: typed_buttons' `again`)


def share_data(run_id: int, op: ShareOp) -> str:
    """Data of a button of a run's sharing question (or of its list of answers)."""
    return f"sh:{run_id}:{op}"


def visibility_data(answer_id: int) -> str:
    """Data of a button that shares one answer, or keeps it private again."""
    return f"sv:{answer_id}"


def mentee_data(pairing_id: int) -> str:
    """Data of a button that opens one mentee for their mentor."""
    return f"mv:{pairing_id}"


def role_data(role: Role | None) -> str:
    """Data of the answer to "mentee or mentor?" (None: a coordinator's "no side for now", the
    no to "add this side?" after they typed a side's word)."""
    return f"ro:{'none' if role is None else role.value}"


def end_pairing_data(pairing_id: int, confirmed: bool | None = None) -> str:
    """Data of a button that asks to end a pairing (None), or answers "really end it?"."""
    if confirmed is None:
        return f"pe:{pairing_id}"
    return f"pe:{pairing_id}:{YES if confirmed else NO}"


def mentor_link_data(invite_id: int, key: str, confirmed: bool) -> str:
    """Data of the answer to "a mentor too?", asked of a mentee who opened a mentor's link."""
    return f"mi:{invite_id}:{YES if confirmed else NO}:{key}"


@dataclass(frozen=True)
class AnswerPress:
    """A press on a question's button."""

    run_id: int
    position: int
    index: int
    token: str


@dataclass(frozen=True)
class SummaryPress:
    """A press on the summary: confirm, or `edit:<position>`."""

    run_id: int
    token: str


@dataclass(frozen=True)
class ContinuePress:
    """Continue the open run."""

    run_id: int


@dataclass(frozen=True)
class DialogPress:
    """Start a dialog (`pause` first pauses the open one; `invited`: the bot invited to it)."""

    dialog: str
    pause: bool
    invited: bool = False


@dataclass(frozen=True)
class StagePress:
    """Move the journey by one stage."""

    by: int


@dataclass(frozen=True)
class DismissPress:
    """Close an offer without doing anything."""


@dataclass(frozen=True)
class SettingPress:
    """Change one setting: `lang` to a language code, `tz` to a common zone's index, `share` 0/1."""

    name: str
    value: str
    joined: bool = False  # the language offered after joining: the next step follows


@dataclass(frozen=True)
class DeletePress:
    """The mentee answered the question whether to erase all their data."""

    confirmed: bool


@dataclass(frozen=True)
class GoalsPress:
    """Show the list of one's goals."""


@dataclass(frozen=True)
class GoalPress:
    """Show a goal (`status` None) or mark it."""

    goal_id: int
    status: str | None


@dataclass(frozen=True)
class StepPress:
    """Show an action step (`op` None) or do something to it."""

    action_id: int
    op: StepOp | None


@dataclass(frozen=True)
class RevisePress:
    """Start a dialog that revises this goal, or (None) sets a new one."""

    dialog: str
    goal_id: int | None


@dataclass(frozen=True)
class ItemPress:
    """A press on a scheduled item's message; the item's kind decides what `op` does."""

    item_id: int
    op: str


@dataclass(frozen=True)
class SchedulingPress:
    """A scheduling choice; the handler of `topic` decides what `value` means."""

    topic: str
    value: str


@dataclass(frozen=True)
class VisionMapPress:
    """Send the map of this vision run to one's mentor."""

    run_id: int


@dataclass(frozen=True)
class SharePress:
    """A run's sharing: all, none, choose answers, done choosing, or its question again."""

    run_id: int
    op: ShareOp


@dataclass(frozen=True)
class VisibilityPress:
    """Share one answer, or keep it private again."""

    answer_id: int


@dataclass(frozen=True)
class MenteePress:
    """A mentor opens one mentee (the pairing id is untrusted)."""

    pairing_id: int


@dataclass(frozen=True)
class MenteesPress:
    """A mentor's list of mentees."""


@dataclass(frozen=True)
class RolePress:
    """A newcomer chose their side (None: a coordinator said no to the side they typed)."""

    role: Role | None


@dataclass(frozen=True)
class EndPairingPress:
    """End this pairing: ask (`confirmed` None), or the answer to "really?"."""

    pairing_id: int
    confirmed: bool | None


@dataclass(frozen=True)
class MentorLinkPress:
    """A mentee's answer to "a mentor too?" after opening a mentor's link (both untrusted: the
    key must match the invite's)."""

    invite_id: int
    key: str
    confirmed: bool


Press = (AnswerPress | SummaryPress | ContinuePress | DialogPress | StagePress | DismissPress
         | SettingPress | DeletePress | GoalsPress | GoalPress | StepPress | RevisePress
         | ItemPress | SchedulingPress | VisionMapPress | SharePress | VisibilityPress | MenteePress
         | MenteesPress | RolePress | EndPairingPress | MentorLinkPress)


def parse(data: str | None) -> Press | None:
    """The press this data encodes, or None for anything malformed or forged-looking."""
    if not data or len(data) > 64:
        return None
    if data == DISMISS_DATA:
        return DismissPress()
    if data in (delete_data(True), delete_data(False)):
        return DeletePress(confirmed=data == delete_data(True))
    if m := _SETTING.match(data):
        return SettingPress(m[1], m[2])
    if m := _JOIN_LANGUAGE.match(data):
        return SettingPress("lang", m[1], joined=True)
    if (m := _ANSWER.match(data)) and int(m[1]) <= MAX_ID:
        return AnswerPress(int(m[1]), int(m[2]), int(m[3]), m[4])
    if (m := _SUMMARY.match(data)) and int(m[1]) <= MAX_ID:
        return SummaryPress(int(m[1]), m[2])
    if (m := _RUN.match(data)) and int(m[1]) <= MAX_ID:
        return ContinuePress(int(m[1]))
    if m := _DIALOG.match(data):
        return DialogPress(m[3], pause=m[1] == "p", invited=m[2] == "i")
    if m := _STAGE.match(data):
        return StagePress(int(m[1]))
    return _goal_press(data)


def _goal_press(data: str) -> Press | None:
    """The goal, step, revision or scheduling press this data encodes, or None."""
    if data == GOALS_DATA:
        return GoalsPress()
    if (m := _GOAL.match(data)) and int(m[1]) <= MAX_ID:
        return GoalPress(int(m[1]), m[2])
    if (m := _STEP.match(data)) and int(m[1]) <= MAX_ID and (
            m[2] is None or m[2] in set(StepOp)):
        return StepPress(int(m[1]), None if m[2] is None else StepOp(m[2]))
    if (m := _REVISE.match(data)) and (m[2] == "new" or int(m[2]) <= MAX_ID):
        return RevisePress(m[1], None if m[2] == "new" else int(m[2]))
    if (m := _ITEM.match(data)) and int(m[1]) <= MAX_ID:
        return ItemPress(int(m[1]), m[2])
    if m := _SCHEDULING.match(data):
        return SchedulingPress(m[1], m[2])
    if (m := _VISION_MAP.match(data)) and int(m[1]) <= MAX_ID:
        return VisionMapPress(int(m[1]))
    if m := _ROLE.match(data):
        return RolePress(None if m[1] == "none" else Role(m[1]))
    if (m := _END_PAIRING.match(data)) and int(m[1]) <= MAX_ID:
        return EndPairingPress(int(m[1]), None if m[2] is None else m[2] == YES)
    if (m := _MENTOR_LINK.match(data)) and int(m[1]) <= MAX_ID:
        return MentorLinkPress(int(m[1]), m[3], m[2] == YES)
    return _mentor_press(data)


def _mentor_press(data: str) -> Press | None:
    """The sharing or mentor's-view press this data encodes, or None."""
    if data == MENTEES_DATA:
        return MenteesPress()
    if (m := _SHARE.match(data)) and int(m[1]) <= MAX_ID:
        return SharePress(int(m[1]), ShareOp(m[2]))
    if (m := _VISIBILITY.match(data)) and int(m[1]) <= MAX_ID:
        return VisibilityPress(int(m[1]))
    if (m := _MENTEE.match(data)) and int(m[1]) <= MAX_ID:
        return MenteePress(int(m[1]))
    return None
