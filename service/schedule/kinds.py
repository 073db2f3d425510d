"""What each kind of scheduled item does: a small handler per kind, found by name.

A person's kind answers "what do I send now?" inside that person's turn (their row locked, one
transaction) and may create follow-up items; a planner turns a person's rules into the items they
should have pending. The mentor and programme issues add kinds here, not special cases elsewhere.

After an item is due (or missed), the dispatcher runs only the planners it concerns
(`Registry.planners_after`): those of its kind and those that name it in `after`, or every
planner for a kind that says so (`replans_all`). A kind whose `due` changes what other planners
read (the pause's end, a rule) replans itself, as any command does; running every planner for
every item would cost each dispatched item a dozen statements for nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from service.messages import Response
from service.turn import Turn
from storage.schedule import ItemRecord, NewItem
from storage.vocabulary import JSONObject

#: What a due item sends (an empty or None response: nothing any more; the item is skipped).
Due = Callable[[Turn, ItemRecord], Awaitable[Response | None]]
#: What an item whose moment passed during downtime leaves behind (it is recorded as missed).
Missed = Callable[[Turn, ItemRecord], Awaitable[None]]
#: What a press on the item's message does (`op` from the button); the item may be stale.
OnPress = Callable[[Turn, ItemRecord, str], Awaitable[Response]]
#: What a scheduling choice of one topic does (`value` from the button).
OnChoice = Callable[[Turn, str], Awaitable[Response]]
#: The items a person should have pending, from their rules (by kind) and state.
Plan = Callable[[Turn, Mapping[str, JSONObject]], Awaitable[Iterable[NewItem]]]
#: An item of no person (maintenance): its work, in its own transaction.
Work = Callable[[AsyncSession, datetime], Awaitable[None]]
#: The next item of a recurring kind of no person, planned from now.
Following = Callable[[datetime], NewItem]
#: What an invitation knows of a dialog's answers when the person starts it from there: typed
#: text by step, read as the step reads it (runs.new_run).
Known = Callable[[Turn], Awaitable[Mapping[str, str]]]


async def _nothing_left(_turn: Turn, _item: ItemRecord) -> None:
    """A missed item of this kind leaves nothing behind."""


@dataclass(frozen=True)
class PersonKind:
    """A kind of item sent to one person."""

    name: str
    due: Due
    missed: Missed = _nothing_left
    in_pause: bool = False  # sent even while the person pauses (what ends the pause)
    press: OnPress | None = None
    #: Every planner runs after it: it reports a change made outside the person's turn (a
    #: pairing made from the command line), which no planner of its own would follow.
    replans_all: bool = False


@dataclass(frozen=True)
class Planner:
    """Creates the pending items of `kinds` from a person's rules; the only source of those kinds,
    so pending ones it no longer plans are cancelled (a changed rhythm, a new end date). It runs
    again after any item of `kinds` or of `after` (other kinds whose sending moves what it plans
    next) is due."""

    kinds: frozenset[str]
    plan: Plan
    after: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SystemKind:
    """A kind of item of no person: bookkeeping such as the daily clean-up."""

    name: str
    work: Work
    following: Following


@dataclass(frozen=True)
class Choice:
    """The handler of one topic of scheduling choices (`sk:<topic>:<value>` buttons)."""

    topic: str
    apply: OnChoice


@dataclass(frozen=True)
class Given:
    """The answers a dialog started from an invitation has already (the agenda of a planned
    meeting: its date)."""

    dialog: str
    known: Known


@dataclass
class Registry:
    """The kinds and planners the dispatcher knows."""

    people: dict[str, PersonKind] = field(default_factory=dict)
    system: dict[str, SystemKind] = field(default_factory=dict)
    planners: list[Planner] = field(default_factory=list)
    choices: dict[str, OnChoice] = field(default_factory=dict)
    given: dict[str, Known] = field(default_factory=dict)

    def planners_after(self, kind: str) -> list[Planner]:
        """The planners to run once an item of `kind` was due (or missed)."""
        person = self.people.get(kind)
        if person is not None and person.replans_all:
            return list(self.planners)
        return [p for p in self.planners if kind in p.kinds or kind in p.after]

    def add(self, *kinds: PersonKind | SystemKind | Planner | Choice | Given) -> Registry:
        """Know these kinds, planners, choices and given answers too (a later one of the same
        name wins)."""
        for kind in kinds:
            if isinstance(kind, Given):
                self.given[kind.dialog] = kind.known
            elif isinstance(kind, PersonKind):
                self.people[kind.name] = kind
            elif isinstance(kind, SystemKind):
                self.system[kind.name] = kind
            elif isinstance(kind, Choice):
                self.choices[kind.topic] = kind.apply
            else:
                self.planners.append(kind)
        return self
