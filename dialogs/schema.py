"""The shape of a dialog script (YAML in dialogs/scripts/), validated when it is loaded.

A script says *what* is asked and in which order; the words live in prompts/<lang>/<dialog>.yaml.
Pydantic does the field checks here; cross-references (unknown steps, unreachable steps, missing
texts) are checked in `dialogs/check.py` and `service/content_check.py`, which names the file and the step.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dialogs.stages import Stage

KEY_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
# Names a dialog's texts may use besides its own steps and other dialogs: the engine gives `item`,
# `index`, `count` and `collected` inside a foreach; the service gives the rest (`days_left`: days
# until the relationship's planned end, None when no end is set; `to_raise`: check-in notes the
# mentee wants to raise at the next meeting; `last_done`: the day this dialog was last completed,
# None the first time; `paired`: the mentee has a mentor now, `mentor`: the mentor's first name
# while they are paired, None otherwise; `programme_end`: the day the programme's length ends the
# mentee's pairing, None outside a programme of a length; see service/context.py). A step that
# offers a known date (`offer`) is given it as `offered` (None when there is none to offer).
CONTEXT_NAMES = frozenset({"goals", "open_actions", "name", "today", "item", "index", "count",
                           "collected", "lang", "days_left", "to_raise", "last_done", "paired",
                           "mentor", "programme_end", "offered"})
#: Dates the service may know for a dialog (EngineContext.known): the relationship's planned end
#: (the open pairing's, else the one the mentee's agreement named) and the programme's own end.
KnownDate = Literal["planned_end", "programme_end"]
Key = Annotated[str, Field(pattern=KEY_PATTERN)]


class StepKind(StrEnum):
    """What kind of answer a step expects."""

    TEXT = "text"
    CHOICE = "choice"
    SCALE = "scale"
    YESNO = "yesno"
    LIST = "list"
    DATE = "date"
    INFO = "info"
    PICK = "pick"


class Audience(StrEnum):
    """Who a dialog is written for."""

    MENTEE = "mentee"
    MENTOR = "mentor"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(_Strict):
    """A test on an earlier answer of the same dialog; a step with `when` is asked only if all hold."""

    step: Key
    lt: int | None = None
    le: int | None = None
    gt: int | None = None
    ge: int | None = None
    eq: str | int | bool | None = None
    ne: str | int | bool | None = None
    one_of: list[str] | None = Field(default=None, alias="in")
    answered: bool | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        tests = [self.lt, self.le, self.gt, self.ge, self.eq, self.ne, self.one_of, self.answered]
        if sum(t is not None for t in tests) != 1:
            raise ValueError("a condition needs exactly one test (lt, le, gt, ge, eq, ne, in, answered)")
        return self

    def holds(self, answers: dict[str, Any]) -> bool:
        """True when the earlier answer passes the test (unanswered passes only `answered: false`)."""
        value = answers.get(self.step)
        if self.answered is not None:
            return (value is not None) == self.answered
        if value is None:
            return False
        if self.eq is not None:
            return bool(value == self.eq)
        if self.ne is not None:
            return bool(value != self.ne)
        if self.one_of is not None:
            return value in self.one_of
        if not isinstance(value, int) or isinstance(value, bool):
            return False
        bounds = (
            (self.lt, value < (self.lt or 0)),
            (self.le, value <= (self.le or 0)),
            (self.gt, value > (self.gt or 0)),
            (self.ge, value >= (self.ge or 0)),
        )
        return all(ok for bound, ok in bounds if bound is not None)


class Foreach(_Strict):
    """Ask a step once per item: of an earlier list in this dialog, or of the mentee's open action
    steps (`open_actions`) or goals still being worked on (`open_goals`). A dialog loops over one
    context at most (the engine is given the items of one)."""

    step: Key | None = None
    context: Literal["open_actions", "open_goals"] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Foreach:
        if (self.step is None) == (self.context is None):
            raise ValueError("foreach needs exactly one of: step, context")
        return self


class Step(_Strict):
    """One question (or, for `info`, one message) of a dialog."""

    key: Key
    kind: StepKind
    optional: bool = False
    when: list[Condition] = Field(default_factory=list)
    choices: list[Key] = Field(default_factory=list)
    max_length: int = Field(default=4000, ge=1, le=20000)
    min_items: int = Field(default=1, ge=0)
    max_items: int = Field(default=10, ge=1, le=50)
    allow_past: bool = False
    scale_min: int = 1
    scale_max: int = 10
    foreach: Foreach | None = None
    # A pick step offers the items of an earlier list (`pick_from`) to choose from: `max_items: 1`
    # for one, more for several; `allow_new` also takes a typed item that is not on the list.
    pick_from: Key | None = None
    allow_new: bool = False
    # A choice step that asks a yes/no question names the choices a typed yes and a typed no
    # (common.words, in the mentee's language or English) stand for: `yes_no: [share, private]`.
    yes_no: tuple[Key, Key] | None = None
    # A date step may offer a date the service knows (`offer: planned_end`): the question shows it
    # with a button that keeps it (typed, the step's own words do: `<step>.offer_words`), and a
    # different date is confirmed as a change of it. `note_after` names a known date past which
    # a date is taken with a note that says so.
    offer: KnownDate | None = None
    note_after: KnownDate | None = None

    @model_validator(mode="after")
    def _kind_fields(self) -> Step:
        if self.kind is StepKind.CHOICE and len(self.choices) < 2:
            raise ValueError("a choice step needs at least two choices")
        if self.kind is not StepKind.CHOICE and self.choices:
            raise ValueError("only choice steps have choices")
        if len(set(self.choices)) != len(self.choices):
            raise ValueError("choices must be unique")
        if self.scale_min >= self.scale_max:
            raise ValueError("scale_min must be below scale_max")
        if self.min_items > self.max_items:
            raise ValueError("min_items must not exceed max_items")
        if self.foreach is not None and self.kind in (StepKind.LIST, StepKind.INFO, StepKind.PICK):
            raise ValueError("foreach works with text, choice, scale, yesno and date steps")
        if (self.kind is StepKind.PICK) != (self.pick_from is not None):
            raise ValueError("a pick step, and only a pick step, names the list it picks from "
                             "(pick_from)")
        if self.allow_new and self.kind is not StepKind.PICK:
            raise ValueError("only pick steps have allow_new")
        if self.yes_no is not None and (not set(self.yes_no) <= set(self.choices)
                                        or self.yes_no[0] == self.yes_no[1]):
            raise ValueError("yes_no names two different choices of this step (yes first)")
        if (self.offer or self.note_after) and (self.kind is not StepKind.DATE
                                                or self.foreach is not None):
            raise ValueError("only a date step asked once offers a known date (offer, note_after)")
        if self.kind is StepKind.INFO and self.optional:
            raise ValueError("an info step has nothing to skip")
        return self


class ActionSource(_Strict):
    """Where action steps of a new goal come from: a list step (with a foreach date step) or one step
    (a text, or the item a pick step chose) with its date. An action named by two sources is
    stored once, where it comes first, with the first date it is given."""

    items: Key | None = None
    text: Key | None = None
    due: Key | None = None

    @model_validator(mode="after")
    def _one_source(self) -> ActionSource:
        if (self.items is None) == (self.text is None):
            raise ValueError("an action source needs exactly one of: items, text")
        return self


class CreateGoal(_Strict):
    """On completion: store a goal with its action steps, not only the answers."""

    title: Key
    details: list[Key] = Field(default_factory=list)
    due: Key | None = None
    actions: list[ActionSource] = Field(default_factory=list)


class UpdateActions(_Strict):
    """On completion: set each open action's status from a foreach-over-open_actions choice step."""

    step: Key
    statuses: dict[str, Literal["open", "partly", "done", "dropped"]]


class UpdateGoals(_Strict):
    """On completion: set each goal's status from a foreach-over-open_goals choice step."""

    step: Key
    statuses: dict[str, Literal["open", "partly", "achieved", "dropped"]]


class SetSharing(_Strict):
    """On completion: the answer to this choice step sets whether new answers are shared by default."""

    step: Key
    shared: list[str]


class SetEndDate(_Strict):
    """On completion: the answer to this date step is the relationship's planned end."""

    step: Key


class Effect(_Strict):
    """What completing a dialog changes besides its answers; exactly one field is set."""

    create_goal: CreateGoal | None = None
    update_actions: UpdateActions | None = None
    update_goals: UpdateGoals | None = None
    set_sharing: SetSharing | None = None
    set_end_date: SetEndDate | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Effect:
        fields = (self.create_goal, self.update_actions, self.update_goals, self.set_sharing,
                  self.set_end_date)
        if sum(f is not None for f in fields) != 1:
            raise ValueError("an effect names exactly one of: create_goal, update_actions, "
                             "update_goals, set_sharing, set_end_date")
        return self


class Dialog(_Strict):
    """A whole script: its stage, audience, steps in order, and what completing it changes."""

    name: Key
    stage: Stage
    audience: Audience = Audience.MENTEE
    summary: bool = True
    # A living document: run again after it was completed, it starts from the answers of the run
    # completed last, each shown with its step and kept with one tap.
    revise: bool = False
    steps: list[Step] = Field(min_length=1)
    effects: list[Effect] = Field(default_factory=list)

    def step(self, key: str) -> Step:
        """The step with this key (KeyError if there is none)."""
        for step in self.steps:
            if step.key == key:
                return step
        raise KeyError(key)

    def position(self, key: str) -> int:
        """The index of a step in the script order."""
        return [s.key for s in self.steps].index(key)

    @property
    def answer_steps(self) -> list[Step]:
        """Steps that produce an answer (all but info messages)."""
        return [s for s in self.steps if s.kind is not StepKind.INFO]
