"""The four stages of a mentoring relationship (METHODS.md): one name each, everywhere."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    """A journey stage, in the order a relationship passes through them."""

    INITIATION = "initiation"
    ESTABLISHING = "establishing"
    MATURING = "maturing"
    ENDING = "ending"

    @property
    def order(self) -> int:
        """Position in the journey, 0 for initiation."""
        return list(Stage).index(self)

    def moved(self, by: int) -> Stage:
        """The stage `by` steps later (or earlier), clamped to the first and last stage."""
        stages = list(Stage)
        return stages[max(0, min(len(stages) - 1, self.order + by))]
