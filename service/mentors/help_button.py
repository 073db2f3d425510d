"""The check-in's "ask my mentor" button, under its question for when confidence is low.

Apart from `alerts` so that `runs` can add it without importing what `alerts` builds on.
"""

from __future__ import annotations

from dataclasses import replace

from service.callbacks import scheduling_data
from service.messages import OutMessage, button
from service.turn import Turn
from storage.pairings import pairing_of_mentee

TOPIC = "help"
NOTE = "help_note"
#: The check-in's question asked when confidence is low (below 5): it gets the button.
LOW_CONFIDENCE = ("checkin", "confidence_help")


def ask_data() -> str:
    """Data of the "ask my mentor" button."""
    return scheduling_data(TOPIC, "ask")


async def with_help_button(turn: Turn, dialog: str, step: str,
                           messages: list[OutMessage]) -> list[OutMessage]:
    """The messages, the last one (the low-confidence question) with an "ask my mentor for help"
    button when the mentee has a mentor; unchanged otherwise."""
    if (dialog, step) != LOW_CONFIDENCE or not messages \
            or await pairing_of_mentee(turn.session, turn.user.id) is None:
        return messages
    offer = button(turn.say("alerts.checkin_button"), ask_data())
    return [*messages[:-1], replace(messages[-1], buttons=(*messages[-1].buttons, (offer,)))]
