"""The dispatcher's decisions: which items are due, what each sends, and what a failure means.

A pass claims due items with a lease (storage.schedule.claim_due), then each item is opened in its
person's turn: their row locked, the claim checked (a dispatcher whose lease ran out and was
reclaimed has lost it), its kind asked what to send, the item marked sent and the person's next
items planned (by the planners the item concerns: `Registry.planners_after`), all in one
transaction; the front-end then delivers. Marking before sending means a
crash in between loses that one message rather than ever sending it twice; a sending failure puts
the item back with a backoff (`failed`), and only after several is it given up.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime

from service.conversation import ConversationService
from service.messages import Delivery
from service.schedule.plan import replan
from service.schedule.policy import SchedulePolicy
from storage.schedule import (
    Claimed,
    add_items,
    claim_due,
    holds,
    item_by_id,
    release,
    set_status,
    take,
)
from storage.vocabulary import ItemStatus

log = logging.getLogger(__name__)


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

    async def open(self, claimed: Claimed) -> Sequence[Delivery]:
        """What to send for a claimed item, decided and recorded in its person's turn."""
        if claimed.telegram_id is None:
            await self._run_system(claimed)
            return ()
        registry = self.conversation.content.schedule
        async with self.conversation.turn_of(claimed.telegram_id) as turn:
            item = None if turn is None else await take(turn.session, claimed.id, self.owner,
                                                        turn.now)
            if turn is None or item is None:  # unknown, or a slower dispatcher lost its claim
                return ()
            kind = registry.people.get(item.kind)
            if kind is None:
                log.warning("scheduled item %s has an unknown kind %r", item.id, item.kind)
                await set_status(turn.session, item.id, ItemStatus.FAILED, turn.now, unsent=True)
                return ()
            if not turn.user.active or (not kind.in_pause and _paused(turn.user.paused_until, turn.now)):
                await set_status(turn.session, item.id, ItemStatus.CANCELLED, turn.now, unsent=True)
                return ()
            if turn.now - item.due_at > self.policy.grace:  # the bot was down past its moment
                await set_status(turn.session, item.id, ItemStatus.MISSED, turn.now, unsent=True)
                await kind.missed(turn, item)
                await replan(turn, registry, registry.planners_after(item.kind))
                return ()
            response = await kind.due(turn, item)
            sent = response is not None and bool(response.messages)
            if not sent:
                await set_status(turn.session, item.id, ItemStatus.SKIPPED, turn.now, unsent=True)
            elif response is not None and not any(m.question for m in response.messages):
                await turn.hide_question()  # it arrives amid a dialog: typed text answers it no more
            await replan(turn, registry, registry.planners_after(item.kind))
            if response is None:
                return ()
            mine = (Delivery(claimed.telegram_id, response.messages, response.menu),) \
                if sent else ()
            return (*mine, *response.deliveries)

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
