"""Scheduling in tests: one dispatcher pass at the clock's now, and a test-only kind ("ping").

`dispatch_once(service)` answers "what would each person get now?" as {telegram id: [plain
texts]}; every slice's tests use it after moving the FakeClock. The ping kind sends one fixed
message at each time of a person's "ping" rule ({"at": [ISO UTC times]}), so the dispatcher's
own tests depend on no shipped kind.

Run as `python -m tests.support.schedule <coachbot arguments>`, it is the `coachbot` command with
the ping kind registered too (for tests that start dispatcher processes).
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.terminal import to_plain
from dialogs.registry import default_scripts
from prompts.catalog import default_catalog
from service.conversation import ConversationService
from service.messages import OutMessage, Response
from service.schedule.dispatch import Dispatcher
from service.schedule.kinds import PersonKind, Planner, Registry
from service.schedule.plan import replan
from service.schedule.policy import SchedulePolicy
from service.schedule.registry import default_registry
from service.turn import Turn
from storage.database import create_sessionmaker
from storage.schedule import ItemRecord, NewItem, set_rule
from storage.vocabulary import JSONObject

Clock = Callable[[], datetime]

PING = "ping"


def ping_text(item_id: int) -> str:
    """What a ping says (its item id, so a test can count each item at the stub)."""
    return f"ping {item_id}"


@dataclass
class Pings:
    """The ping kind's record of what it did (the kind's `missed` hook is observable here)."""

    missed: list[int] = field(default_factory=list)

    async def due(self, _turn: Turn, item: ItemRecord) -> Response:
        return Response(messages=(OutMessage(ping_text(item.id)),))

    async def on_missed(self, _turn: Turn, item: ItemRecord) -> None:
        self.missed.append(item.id)

    async def plan(self, turn: Turn, rules: Mapping[str, JSONObject]) -> Iterable[NewItem]:
        """One item per time of the rule still to come."""
        times = rules.get(PING, {}).get("at", [])
        assert isinstance(times, list)
        return [NewItem(f"{PING}:{turn.user.id}:{at}", PING, turn.user.id,
                        datetime.fromisoformat(str(at)), {})
                for at in times if datetime.fromisoformat(str(at)) > turn.now]

    def kinds(self) -> tuple[PersonKind, Planner]:
        return (PersonKind(PING, self.due, missed=self.on_missed),
                Planner(frozenset({PING}), self.plan))


def ping_registry(pings: Pings | None = None, policy: SchedulePolicy | None = None) -> Registry:
    """The shipped kinds plus ping."""
    return default_registry(policy).add(*(pings or Pings()).kinds())


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[Counter[str]]:
    """The SQL statements run meanwhile, by their first word."""
    seen: Counter[str] = Counter()

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen[statement.split()[0].upper()] += 1

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


def ping_service(engine: AsyncEngine, clock: Clock, pings: Pings) -> ConversationService:
    """The service with the ping kind registered."""
    return ConversationService(create_sessionmaker(engine), scripts=default_scripts(),
                               catalog=default_catalog(), clock=clock,
                               schedule=ping_registry(pings))


async def ping_at(service: ConversationService, telegram_id: int, *times: datetime) -> None:
    """Set the person's ping rule to these times (they must exist) and plan it."""
    async with service.turn_of(telegram_id) as turn:
        assert turn is not None, f"no user {telegram_id}"
        await set_rule(turn.session, turn.user.id, PING,
                       {"at": [moment.isoformat() for moment in times]}, turn.now)
        await replan(turn, turn.content.schedule)


async def dispatch_once(service: ConversationService,
                        dispatcher: Dispatcher | None = None) -> dict[int, list[str]]:
    """One dispatcher pass at the service clock's now: claim what is due, open each item, and
    return what each person would get, as plain texts in order."""
    dispatcher = dispatcher or Dispatcher(service)
    got: dict[int, list[str]] = defaultdict(list)
    for claimed in await dispatcher.claim():
        for delivery in await dispatcher.open(claimed):
            got[delivery.recipient].extend(to_plain(message.text)
                                           for message in delivery.messages)
    return dict(got)


def main() -> int:
    """`coachbot …` with the ping kind known to every conversation service it builds."""
    import service.conversation
    from bot.cli import main as coachbot

    def registry(policy: SchedulePolicy | None = None) -> Registry:
        return ping_registry(policy=policy)

    service.conversation.default_registry = registry
    return coachbot(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
