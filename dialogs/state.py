"""A dialog run's position, as plain JSON so it persists, migrates and can be read by a person."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SUMMARY = "_summary"
STATE_VERSION = 1


class StateError(ValueError):
    """Stored state that cannot be read (hand-edited, or from a future version)."""


@dataclass(frozen=True)
class Position:
    """A place to go back to: a step, and the item within it for foreach steps."""

    step: str
    index: int = 0


@dataclass(frozen=True)
class RunState:
    """Where a run stands: current step, this dialog's answers, the path taken, loop items."""

    step: str
    answers: Mapping[str, Any] = field(default_factory=dict)
    history: tuple[Position, ...] = ()
    index: int = 0
    loops: Mapping[str, tuple[dict[str, Any], ...]] = field(default_factory=dict)
    editing: bool = False
    finished: bool = False
    #: Which message answered which item of a per-item step, by message id: {"step", "ref",
    #: "item"}. The service keeps it so an edit of that message changes that item; the engine
    #: carries it along untouched.
    item_messages: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: The goal this run revises (GROW, vision map run again): the service sets it when the
    #: mentee chooses to revise a goal, and completing the run updates that goal instead of adding
    #: one. The engine carries it along untouched.
    revises: int | None = None
    #: The steps whose answers were given when the run started (engine.start's `given`): they
    #: are not asked, but may be changed from the summary.
    given: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The state as JSON types only."""
        return {
            "v": STATE_VERSION,
            "step": self.step,
            "answers": dict(self.answers),
            "history": [[p.step, p.index] for p in self.history],
            "index": self.index,
            "loops": {k: list(v) for k, v in self.loops.items()},
            "editing": self.editing,
            "finished": self.finished,
            "item_messages": {k: dict(v) for k, v in self.item_messages.items()},
            "revises": self.revises,
            "given": list(self.given),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunState:
        """Read stored state back; anything malformed raises StateError, never something else."""
        try:
            if data.get("v") != STATE_VERSION:
                raise StateError(f"unknown state version {data.get('v')!r}")
            answers = data["answers"]
            loops = data.get("loops", {})
            item_messages = data.get("item_messages", {})
            revises = data.get("revises")
            given = data.get("given", [])
            if not isinstance(given, list) or not all(isinstance(key, str) for key in given):
                raise StateError("given must be a list of step keys")
            if revises is not None and (not isinstance(revises, int) or isinstance(revises, bool)):
                raise StateError("revises must be a goal id")
            if not all(isinstance(part, dict) for part in (answers, loops, item_messages)):
                raise StateError("answers, loops and item messages must be mappings")
            return cls(
                step=str(data["step"]),
                answers=answers,
                history=tuple(Position(str(s), int(i)) for s, i in data.get("history", [])),
                index=int(data.get("index", 0)),
                loops={str(k): tuple(dict(item) for item in v) for k, v in loops.items()},
                editing=bool(data.get("editing", False)),
                finished=bool(data.get("finished", False)),
                item_messages={str(k): dict(v) for k, v in item_messages.items()},
                revises=revises,
                given=tuple(given),
            )
        except StateError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StateError(f"unreadable dialog state: {exc}") from None
