"""The dispatcher's decisions: which items are due, what each sends, and what a failure means.

A pass claims due items with a lease (storage.schedule.claim_due), then opens them in their
people's turns: each person's row locked, the claim checked (a dispatcher whose lease ran out and
was reclaimed has lost it), its kind asked what to send, the item marked sent and the person's
next items planned (by the planners the item concerns: `Registry.planners_after`), all in one
transaction; the front-end then delivers. `open` does this for one item; `open_many` for a batch
of items of different people in one transaction, each statement serving the whole batch (an
item alone costs half a dozen statements; in a batch of a hundred, a tenth of one). Marking before
sending means a crash in between loses that one message rather than ever sending it twice; a
sending failure puts the item back with a backoff (`failed`), and only after several is it given
up.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from service.conversation import ConversationService
from service.messages import Delivery
from service.schedule.kinds import Planner
from service.schedule.plan import replan_many
from service.schedule.policy import SchedulePolicy
from service.turn import Turn
from storage.runs import hide_runs
from storage.schedule import (
    Claimed,
    ItemRecord,
    add_items,
    claim_due,
    claim_due_of,
    holds,
    item_by_id,
    release,
    set_status,
    take_many,
)
from storage.vocabulary import ItemStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Opened:
    """A claimed item of a batch, opened: what to deliver, or the error that stopped it (it is
    still claimed: the caller reports it as `failed`)."""

    claimed: Claimed
    deliveries: Sequence[Delivery]
    error: BaseException | None = None


@dataclass(frozen=True)
class _Decision:
    deliveries: Sequence[Delivery] = ()
    planners: Sequence[Planner] = ()
    hides: bool = False


class Dispatcher:
    """Claims and opens scheduled items for one process (`owner` names its claims)."""

    def __init__(self, conversation: ConversationService, owner: str | None = None) -> None:
        self.conversation = conversation
        self.owner = owner or uuid.uuid4().hex
        self.system_planned = False  # the first claim plans the items of no person

    @property
    def policy(self) -> SchedulePolicy:
        return self.conversation.content.policy

    async def claim(self, limit: int | None = None) -> list[Claimed]:
        """Claim the due items (up to the policy's batch), oldest first; the first claim makes
        sure the recurring items of no person (the daily clean-up) are planned, and each one
        that runs plans its next (`_run_system`), so later claims need not."""
        now = self.conversation.clock()
        async with self.conversation.sessionmaker.begin() as session:
            if not self.system_planned:
                await add_items(session, [kind.following(now) for kind in
                                          self.conversation.content.schedule.system.values()], now)
            claimed = await claim_due(session, now, owner=self.owner, lease=self.policy.lease,
                                      limit=limit or self.policy.batch)
        self.system_planned = True  # only once its transaction committed
        return claimed

    async def claim_of(self, telegram_id: int) -> list[Claimed]:
        """Claim one person's due items (up to the policy's batch), oldest first."""
        now = self.conversation.clock()
        async with self.conversation.sessionmaker.begin() as session:
            return await claim_due_of(session, telegram_id, now, owner=self.owner,
                                      lease=self.policy.lease, limit=self.policy.batch)

    async def open(self, claimed: Claimed) -> Sequence[Delivery]:
        """What to send for a claimed item, decided and recorded in its person's turn: a batch
        of one (`open_many`'s transaction)."""
        if claimed.telegram_id is None:
            await self._run_system(claimed)
            return ()
        [opened] = await self._open_together([claimed])
        return opened.deliveries

    async def open_many(self, claimed: Sequence[Claimed]) -> list[Opened]:
        """`open` for a batch of items of different people, in one transaction with every one of
        them locked: each statement of the batch serves all its items (the claim checked, the
        items marked sent, the next ones planned), so an item costs a fraction of a statement
        instead of half a dozen. If the batch fails, its items are opened again one by one in
        transactions of their own, so one bad item fails alone (`Opened.error`)."""
        people = [c.telegram_id for c in claimed]
        if None in people or len(set(people)) != len(people):
            raise ValueError("a batch holds items of different people, never of no person")
        try:
            return await self._open_together(claimed)
        except Exception:  # rolled back: nothing of the batch happened
            log.exception("a batch of %d scheduled items failed; opening them one by one",
                          len(claimed))
        opened = []
        for item in claimed:
            try:
                opened.append(Opened(item, await self.open(item)))
            except Exception as error:  # its transaction was rolled back
                log.exception("scheduled item %s (%s) failed", item.id, item.kind)
                opened.append(Opened(item, (), error))
        return opened

    async def _open_together(self, claimed: Sequence[Claimed]) -> list[Opened]:
        registry = self.conversation.content.schedule
        async with self.conversation.turns_of([c.telegram_id for c in claimed
                                               if c.telegram_id is not None]) as turns:
            if not turns:
                return [Opened(item, ()) for item in claimed]
            now = next(iter(turns.values())).now
            session = next(iter(turns.values())).session
            taken = await take_many(session, [c.id for c in claimed if c.telegram_id in turns],
                                    self.owner, now)
            opened, replans, hidden, finished = [], [], [], set()
            for item in claimed:
                turn = turns.get(item.telegram_id) if item.telegram_id is not None else None
                if turn is None or item.id not in taken:  # unknown, or a slower dispatcher lost it
                    opened.append(Opened(item, ()))
                    continue
                record = replace(item.item, status=ItemStatus.SENT, sent_at=now)
                decision = await self._decide(turn, item, record)
                opened.append(Opened(item, decision.deliveries))
                replans.append((turn, decision.planners))
                if decision.planners:
                    finished.add(item.item.key)
                if decision.hides and turn.open_run is not None:
                    hidden.append(turn.open_run.id)
            together = next(iter(turns.values())).together
            if together is not None:
                await add_items(session, together.take_follow_ups(), now)
            await hide_runs(session, hidden)
            await replan_many(registry, replans, finished)
        return opened

    async def _decide(self, turn: Turn, claimed: Claimed, item: ItemRecord) -> _Decision:
        """What a taken item sends (it is marked sent), or the status it ends with instead; the
        planners to run after it; whether its message hides the open dialog's question."""
        registry = self.conversation.content.schedule
        kind = registry.people.get(item.kind)
        if kind is None:
            log.warning("scheduled item %s has an unknown kind %r", item.id, item.kind)
            await set_status(turn.session, item.id, ItemStatus.FAILED, turn.now, unsent=True)
            return _Decision()
        if not turn.user.active or (not kind.in_pause and _paused(turn.user.paused_until, turn.now)):
            await set_status(turn.session, item.id, ItemStatus.CANCELLED, turn.now, unsent=True)
            return _Decision()
        after = registry.planners_after(item.kind)
        if turn.now - item.due_at > self.policy.grace:  # the bot was down past its moment
            await set_status(turn.session, item.id, ItemStatus.MISSED, turn.now, unsent=True)
            await kind.missed(turn, item)
            return _Decision(planners=after)
        response = await kind.due(turn, item)
        if response is None:
            await set_status(turn.session, item.id, ItemStatus.SKIPPED, turn.now, unsent=True)
            return _Decision(planners=after)
        if not response.messages:
            await set_status(turn.session, item.id, ItemStatus.SKIPPED, turn.now, unsent=True)
            return _Decision(response.deliveries, after)
        assert claimed.telegram_id is not None
        mine = Delivery(claimed.telegram_id, response.messages, response.menu)
        # It arrives amid a dialog: typed text answers the dialog's question no more.
        hides = not any(m.question for m in response.messages) and turn.open_run is not None \
            and turn.open_run.shown
        return _Decision((mine, *response.deliveries), after, hides)

    async def failed(self, claimed: Claimed, error: BaseException) -> None:
        """Sending failed (not a block): try again later with a growing pause, or give up."""
        now = self.conversation.clock()
        async with self.conversation.sessionmaker.begin() as session:
            item = await item_by_id(session, claimed.id)
            attempts = (item.attempts if item else 0) + 1
            delay = self.policy.retry_delay(attempts)
            await release(session, claimed.id, self.owner, now, error=type(error).__name__,
                          retry_at=None if delay is None else now + delay)
        log.warning("scheduled item %s (%s) could not be sent (%s); %s", claimed.id, claimed.kind,
                    type(error).__name__, "will retry" if delay else "given up")

    async def unreachable(self, claimed: Claimed) -> None:
        """The person blocked the bot before the item reached them: it was not sent after all."""
        async with self.conversation.sessionmaker.begin() as session:
            await release(session, claimed.id, self.owner, self.conversation.clock(),
                          error="Forbidden", retry_at=None, final=ItemStatus.CANCELLED)

    async def _run_system(self, claimed: Claimed) -> None:
        kind = self.conversation.content.schedule.system.get(claimed.kind)
        now = self.conversation.clock()
        async with self.conversation.sessionmaker.begin() as session:
            if await holds(session, claimed.id, self.owner) is None:
                return
            if kind is None:
                await set_status(session, claimed.id, ItemStatus.FAILED, now)
                return
            await kind.work(session, now)
            await set_status(session, claimed.id, ItemStatus.SENT, now)
            await add_items(session, [kind.following(now)], now)


def _paused(until: datetime | None, now: datetime) -> bool:
    return until is not None and until > now
