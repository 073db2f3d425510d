"""Typed access to what handlers need, instead of `bot_data["..."]` strings."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from service.conversation import ConversationService


class BotData:
    """Shared state of the running bot: the conversation service (set up in post_init)."""

    def __init__(self) -> None:
        self.service: ConversationService | None = None


class CoachContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """The handler context, with the service as a typed attribute."""

    def __init__(self, application: Application[Any, Any, Any, Any, Any, Any],
                 chat_id: int | None = None, user_id: int | None = None) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)

    @property
    def service(self) -> ConversationService:
        """The conversation service; it exists from post_init on."""
        service = self.bot_data.service
        if service is None:
            raise RuntimeError("the conversation service is not set up yet")
        return service
