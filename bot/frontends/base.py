"""What every front end offers the runtime, and the bookkeeping they share."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from bot.inbound import translate
from bot.telegram_api import ApiError, BotApi
from flows.events import DocumentReceived, InboundEvent

log = logging.getLogger(__name__)

EventHandler = Callable[[InboundEvent], Awaitable[None]]

ALLOWED_UPDATES = (
    "message",
    "edited_message",
    "callback_query",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
)
"""The update kinds the bot asks Telegram for (chat_member must be asked for explicitly)."""

DOCUMENT_FETCH_LIMIT = 256 * 1024
"""Documents up to this size sent in a private chat are fetched before they are handled."""


class FrontEnd(Protocol):
    """A Telegram framework's bot: a transport for calls and a source of updates."""

    @property
    def api(self) -> BotApi:
        """The transport the outbound path and the menus use."""

    async def open(self) -> None:
        """Open the HTTP sessions (before the first call)."""

    def parse_update(self, data: dict[str, Any]) -> Any:
        """Turn an update's JSON (as a webhook receives it) into the framework's Update object.

        Raises:
            Exception: the framework's own error when `data` is not an update it understands.
        """

    async def poll(self, on_event: EventHandler, bot_username: str, stop: asyncio.Event) -> None:
        """Long-poll and hand every event to `on_event` until `stop` is set.

        Returns once polling has stopped and every update already received has been handled.
        """

    async def close(self) -> None:
        """Close the HTTP sessions (after the last call)."""


class InFlight:
    """Runs updates concurrently and lets shutdown wait for the ones under way."""

    def __init__(self, on_event: EventHandler, bot_username: str, api: BotApi) -> None:
        """Hand translated events to `on_event`; `bot_username` recognises our commands.

        `api` fetches the small documents people send (see `with_content`).
        """
        self._on_event = on_event
        self._bot_username = bot_username
        self._api = api
        self._tasks: set[asyncio.Task[None]] = set()

    def accept(self, update: Any) -> None:
        """Translate a framework update and start handling it (without waiting for it)."""
        event = translate(update, self._bot_username)
        if event is None:
            return
        task = asyncio.create_task(self._handle(event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, event: InboundEvent) -> None:
        try:
            await self._on_event(await with_content(event, self._api))
        except Exception:
            # The engine contains its own failures; this is the last line before a lost task.
            log.exception("update %s failed", event.update_id)

    async def drain(self) -> None:
        """Wait until every update accepted so far has been handled."""
        while self._tasks:
            await asyncio.gather(*self._tasks)


async def with_content(event: InboundEvent, api: BotApi) -> InboundEvent:
    """Return the event with the document's content, for a small document in a private chat.

    The engine handles an event inside a database transaction, which must not wait on the
    network; so the file is fetched here, before the event is handed over. Anything else, a
    document too big (or of unknown size) or one that cannot be fetched is passed on without
    content, and the flow says so.
    """
    if not isinstance(event, DocumentReceived) or not event.chat.is_private:
        return event
    if event.file_size is None or event.file_size > DOCUMENT_FETCH_LIMIT:
        return event
    try:
        content = await api.download(event.file_id)
    except ApiError as exc:
        log.warning("document of update %s could not be fetched: %s", event.update_id, exc)
        return event
    if len(content) > DOCUMENT_FETCH_LIMIT:
        return event  # the announced size was wrong; the flow treats it as too big to read
    return dataclasses.replace(event, content=content)
