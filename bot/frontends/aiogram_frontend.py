"""The aiogram 3 front end: aiogram's dispatcher long-polls, our translator takes every update."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import TelegramObject, Update

from bot.aiogram_api import AiogramApi, make_aiogram_bot
from bot.frontends.base import ALLOWED_UPDATES, EventHandler, InFlight
from bot.telegram_api import BotApi


class AiogramFrontEnd:
    """Long polling through aiogram's `Dispatcher`; calls through `AiogramApi`."""

    def __init__(self, token: str, api_url: str) -> None:
        """Build the bot for the Bot API server at `api_url` (nothing is connected yet)."""
        self._bot: Bot = make_aiogram_bot(token, api_url)
        self._api = AiogramApi(self._bot)

    @property
    def api(self) -> BotApi:
        """The transport over this front end's bot."""
        return self._api

    async def open(self) -> None:
        """Nothing to open: aiogram creates its HTTP session on the first call."""

    def parse_update(self, data: dict[str, Any]) -> Update:
        """Validate an update's JSON into aiogram's `Update`, bound to this bot (as polling does).

        Raises:
            pydantic.ValidationError: `data` is not an update.
        """
        return Update.model_validate(data, context={"bot": self._bot})

    async def poll(self, on_event: EventHandler, bot_username: str, stop: asyncio.Event) -> None:
        """Long-poll until `stop` is set, then wait for the updates under way."""
        in_flight = InFlight(on_event, bot_username, self._api)
        # Conversation state is ours (flows' own table), so aiogram's FSM middleware would
        # only look up a context nobody reads, on every update.
        dispatcher = Dispatcher(disable_fsm=True)
        started = asyncio.Event()

        async def take_update(
            _handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
            update: TelegramObject,
            _data: dict[str, Any],
        ) -> None:
            # An outer middleware sees every update before aiogram's routers; not calling the
            # handler keeps aiogram's routing (and FSM) out of the way entirely.
            in_flight.accept(update)

        async def on_startup() -> None:
            started.set()

        dispatcher.update.outer_middleware(take_update)
        dispatcher.startup.register(on_startup)
        polling = asyncio.create_task(
            dispatcher.start_polling(
                self._bot,
                allowed_updates=list(ALLOWED_UPDATES),
                # Our middleware returns at once, so aiogram's loop stays a plain reader and
                # concurrency (and the wait for it at shutdown) is ours.
                handle_as_tasks=False,
                handle_signals=False,  # the runtime owns signals, for both front ends
                close_bot_session=False,  # in-flight updates still send after polling stops
            )
        )
        waits = {"stop": asyncio.create_task(stop.wait())}
        try:
            await asyncio.wait({polling, waits["stop"]}, return_when=asyncio.FIRST_COMPLETED)
            if not polling.done():
                # aiogram can only be told to stop once its polling loop has started.
                waits["started"] = asyncio.create_task(started.wait())
                await asyncio.wait({polling, waits["started"]}, return_when=asyncio.FIRST_COMPLETED)
            if not polling.done():
                await dispatcher.stop_polling()
            await polling
        finally:
            for wait in waits.values():
                wait.cancel()
            await in_flight.drain()

    async def close(self) -> None:
        """Close aiogram's HTTP session."""
        await self._bot.session.close()
