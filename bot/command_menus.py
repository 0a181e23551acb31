"""Publish the command menus people see in Telegram, per scope, role and language.

Telegram picks a private chat's menu from the most specific scope that has one: this person's
chat, then all private chats in their app language, then all private chats. Residents get the
shared menus; admins (and anyone whose language was chosen in the bot) get a menu of their own.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from babel import Locale

from bot.retry import RetryPolicy, call_with_retry
from bot.telegram_api import ApiError, BotApi
from flows.engine import Admin
from flows.router import Scope
from storage.models import Role

log = logging.getLogger(__name__)


class MenuSource(Protocol):
    """What the menus are made of (the flows' router)."""

    def menu(self, scope: Scope, role: Role, language: str) -> list[tuple[str, str]]:
        """Return (command, translated description) pairs."""


def telegram_language(catalog: str) -> str:
    """Map a catalog name (`zh_Hans`) to the two-letter code Telegram menus are keyed by (`zh`)."""
    return str(Locale.parse(catalog).language)


class CommandMenus:
    """Publishes menus with `setMyCommands`."""

    def __init__(
        self, api: BotApi, source: MenuSource, languages: Sequence[str], default_language: str
    ) -> None:
        """Wire the publisher.

        Args:
            api: The transport.
            source: Where the commands come from.
            languages: Catalogs to publish menus in.
            default_language: Catalog of the menus shown when the app language has none.
        """
        self._api = api
        self._source = source
        self._languages = languages
        self._default = default_language

    async def publish_shared(self) -> None:
        """Publish the residents' private menu and the group menu, in every language."""
        shared: tuple[tuple[Scope, str], ...] = (
            ("private", "all_private_chats"),
            ("group", "all_group_chats"),
        )
        for scope, scope_type in shared:
            await self._set(self._source.menu(scope, Role.RESIDENT, self._default), scope_type)
            published: set[str] = set()
            for language in self._languages:
                code = telegram_language(language)
                if code in published:
                    continue  # two catalogs of one language (scripts): the first one wins
                published.add(code)
                commands = self._source.menu(scope, Role.RESIDENT, language)
                await self._set(commands, scope_type, language_code=code)

    async def publish_for(self, person: Admin) -> None:
        """Publish one person's private menu for their role, in their language."""
        commands = self._source.menu("private", person.role, person.language)
        await self._set(commands, "chat", chat_id=person.telegram_id)

    async def publish_all(self, admins: Iterable[Admin]) -> None:
        """Publish the shared menus, then each admin's own."""
        await self.publish_shared()
        for admin in admins:
            try:
                await self.publish_for(admin)
            except ApiError as exc:
                # e.g. "chat not found": an owner who never opened the bot; the rest go on.
                log.warning("menu of %s not published: %s", admin.telegram_id, exc.description)

    async def _set(
        self,
        commands: list[tuple[str, str]],
        scope_type: str,
        *,
        language_code: str | None = None,
        chat_id: int | None = None,
    ) -> None:
        scope: dict[str, Any] = {"type": scope_type}
        if chat_id is not None:
            scope["chat_id"] = chat_id
        params: dict[str, Any] = {
            "commands": [{"command": c, "description": d} for c, d in commands],
            "scope": scope,
        }
        if language_code is not None:
            params["language_code"] = language_code
        await call_with_retry(self._api, "setMyCommands", params, policy=RetryPolicy())
        log.debug("menu published", extra={"scope": scope_type, "commands": len(commands)})
