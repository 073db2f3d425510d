"""Presses on what the scheduler sent, and scheduling choices: each goes to its kind's or topic's
handler; a press on an item that is not the person's, or of a kind without buttons, is stale."""

from __future__ import annotations

from service.callbacks import ItemPress, SchedulingPress
from service.messages import Response
from service.turn import Turn
from storage.schedule import item_by_id


async def on_item_press(turn: Turn, press: ItemPress) -> Response:
    """A button on a scheduled item's message."""
    item = await item_by_id(turn.session, press.item_id)
    if item is None or item.user_id != turn.user.id:
        return turn.stale_press()
    kind = turn.content.schedule.people.get(item.kind)
    if kind is None or kind.press is None:
        return turn.stale_press()
    return await kind.press(turn, item, press.op)


async def on_choice(turn: Turn, press: SchedulingPress) -> Response:
    """A scheduling choice."""
    apply = turn.content.schedule.choices.get(press.topic)
    return turn.stale_press() if apply is None else await apply(turn, press.value)
