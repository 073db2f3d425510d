"""Keep a person's pending items in line with their rules: after any change to a rule, a pause,
the end date, or once an item was sent (its next occurrence).

Planners are pure functions of the person and their rules; this module applies what they plan:
new keys are created (an existing key is left alone, so planning twice creates nothing twice),
pending items of the planners' kinds that are no longer planned are cancelled, nothing is planned
inside a pause (but what a kind sends *at* its end) and nothing at all for someone unreachable.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from service.schedule.kinds import Planner, Registry
from service.turn import Turn
from storage.schedule import (
    NewItem,
    add_items,
    cancel_pending,
    cancel_unplanned,
    rules_of,
    rules_of_many,
)


def allowed(turn: Turn, registry: Registry, item: NewItem) -> bool:
    """Whether an item may be sent as planned: not inside the person's pause (unless its kind
    belongs to the pause's end), not for someone unreachable."""
    user = turn.user
    if not user.active:
        return False
    paused = user.paused_until is not None and user.paused_until > turn.now
    if not paused or item.due_at >= (user.paused_until or turn.now):
        return True
    kind = registry.people.get(item.kind)
    return kind is not None and kind.in_pause


async def replan(turn: Turn, registry: Registry, planners: Iterable[Planner] | None = None) -> None:
    """Create the person's planned items and cancel the pending ones no longer planned; by every
    planner, or only by `planners` (the dispatcher's after one item: `Registry.planners_after`)."""
    chosen = registry.planners if planners is None else list(planners)
    if not chosen:
        return
    rules = await rules_of(turn.session, turn.user.id)
    for planner in chosen:
        planned = [item for item in await planner.plan(turn, rules) if allowed(turn, registry, item)]
        if planner.kinds:  # a planner of no kinds of its own cancels nothing
            await cancel_pending(turn.session, turn.user.id, turn.now, kinds=planner.kinds,
                                 keep=[item.key for item in planned])
        await add_items(turn.session, planned, turn.now)



async def replan_many(registry: Registry, work: Sequence[tuple[Turn, Sequence[Planner]]],
                      finished: Collection[str] = ()) -> None:
    """`replan` for several people in one transaction (the dispatcher's batch; one turn a person):
    planner by planner in the registry's order, as `replan` runs them for one person, each
    planner's items for everyone created and its unplanned ones cancelled with one statement
    each, whatever the number of people. `finished`: the keys of the items just sent, skipped or
    missed; planned again (a cohort's planner plans its open broadcasts, the one just sent among
    them), they are kept but not written: such an item stays as it is."""
    if not work:
        return
    session = work[0][0].session
    rules = await rules_of_many(session, [turn.user.id for turn, _ in work])
    by_planner: dict[int, list[Turn]] = {}
    for turn, planners in work:
        for planner in planners:
            by_planner.setdefault(id(planner), []).append(turn)
    for planner in registry.planners:
        turns = by_planner.get(id(planner))
        if not turns:
            continue
        planned = [item for turn in turns for item in await planner.plan(turn, rules[turn.user.id])
                   if allowed(turn, registry, item)]
        if planner.kinds:
            await cancel_unplanned(session, [turn.user.id for turn in turns], planner.kinds,
                                   [item.key for item in planned], turns[0].now)
        await add_items(session, [item for item in planned if item.key not in finished],
                        turns[0].now)
