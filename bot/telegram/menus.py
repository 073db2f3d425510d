"""The command menus: the default one everybody starts with, and one per chat once a person's
roles (or language) are known, with the commands of their roles in their language."""

from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeChat
from telegram.error import TelegramError
from telegram.ext import ExtBot

from prompts.catalog import Catalog
from service.commands import Scope, description_key
from service.commands import menu as commands_menu
from service.messages import MenuChange, plain

log = logging.getLogger(__name__)


def menu(catalog: Catalog, lang: str, scopes: frozenset[Scope] = frozenset({Scope.MENTEE}),
         mentored: bool = True) -> list[BotCommand]:
    """The command menu of people with these scopes, in one language (mentees' by default)."""
    return [BotCommand(c.name, plain(catalog.render(lang, description_key(c, scopes))))
            for c in commands_menu(scopes, mentored)]


async def set_chat_menu(bot: ExtBot[None], catalog: Catalog, chat_id: int,
                        change: MenuChange) -> None:
    """This chat's menu follows the person's roles. The reply was sent already: a failure here
    is logged, not raised (the default menu stays until the next change)."""
    try:
        await bot.set_my_commands(menu(catalog, change.language, change.scopes, change.mentored),
                                  scope=BotCommandScopeChat(chat_id))
    except TelegramError as error:
        log.warning("could not set the menu of chat %s: %s", chat_id, type(error).__name__)
