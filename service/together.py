"""What the turns of one transaction share: the dispatcher opens a batch of people's items in
one transaction (`ConversationService.turns_of`), and the reads each of them would make alike
(their programme, its open broadcasts, one occurrence of its cohort check-in) are made once for
the batch, and the items their kinds plan on the way (an invitation's reminder and close) are
written with one statement for the batch, before its planners run.

A read is shared only inside its transaction, which nothing else writes meanwhile; a kind that
changes what it read says so (`forget`). A turn on its own (a command, a press) has no
`Together` and reads and writes as it goes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import TypeVar, cast

from storage.schedule import NewItem

T = TypeVar("T")


class Together:
    """The shared reads and the pending follow-up items of one batch."""

    def __init__(self) -> None:
        self._reads: dict[Hashable, object] = {}
        self.follow_ups: list[NewItem] = []

    async def read(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        """What `load` gives, loaded by the first turn of the batch that asks for `key`."""
        if key not in self._reads:
            self._reads[key] = await load()
        return cast(T, self._reads[key])

    def forget(self, key: Hashable) -> None:
        """What was read under `key` changed: the next turn to ask reads it again."""
        self._reads.pop(key, None)

    def follow(self, items: Sequence[NewItem]) -> None:
        """Items to create with the batch's (the dispatcher writes them before planning)."""
        self.follow_ups.extend(items)

    def take_follow_ups(self) -> list[NewItem]:
        """The items followed so far, handed over once."""
        items, self.follow_ups = self.follow_ups, []
        return items
