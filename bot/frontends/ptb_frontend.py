"""The python-telegram-bot 22 front end: PTB's `Updater` long-polls into a queue we consume."""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import Update
from telegram.ext import Updater

from bot.frontends.base import ALLOWED_UPDATES, EventHandler, InFlight
from bot.ptb_api import PtbApi, make_ptb_bot
from bot.telegram_api import BotApi


class PtbFrontEnd:
    """Long polling through PTB's `Updater` (no `Application`: we route ourselves)."""

    def __init__(self, token: str, api_url: str) -> None:
        """Build the bot for the Bot API server at `api_url` (nothing is connected yet)."""
        self._bot = make_ptb_bot(token, api_url)
        self._api = PtbApi(self._bot)

    @property
    def api(self) -> BotApi:
        """The transport over this front end's bot."""
        return self._api

    async def open(self) -> None:
        """Start PTB's HTTP clients."""
        await self._bot.initialize()

    def parse_update(self, data: dict[str, Any]) -> Update:
        """Decode an update's JSON into PTB's `Update`, bound to this bot (as polling does).

        Raises:
            KeyError: `data` lacks a field every update has.
            TypeError: `data` is not shaped like an update.
        """
        return Update.de_json(data, self._bot)

    async def poll(self, on_event: EventHandler, bot_username: str, stop: asyncio.Event) -> None:
        """Long-poll until `stop` is set, then handle what was fetched and wait for it."""
        in_flight = InFlight(on_event, bot_username, self._api)
        queue: asyncio.Queue[object] = asyncio.Queue()
        # Not `async with updater`: its exit shuts the bot down, and updates still in flight
        # need it to send their answers.
        updater = Updater(bot=self._bot, update_queue=queue)
        await updater.initialize()
        await updater.start_polling(allowed_updates=list(ALLOWED_UPDATES))
        stopping = asyncio.create_task(stop.wait())
        try:
            while not stop.is_set():
                getting = asyncio.create_task(queue.get())
                await asyncio.wait({getting, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if getting.done():
                    _accept(in_flight, getting.result())
                else:
                    getting.cancel()
        finally:
            stopping.cancel()
            # Stopping confirms every fetched update to Telegram, so the ones still queued must
            # be handled now or they are lost.
            await updater.stop()
            while not queue.empty():
                _accept(in_flight, queue.get_nowait())
            await in_flight.drain()

    async def close(self) -> None:
        """Stop PTB's HTTP clients."""
        await self._bot.shutdown()


def _accept(in_flight: InFlight, item: object) -> None:
    # PTB puts only Update objects in the queue when polling.
    if isinstance(item, Update):
        in_flight.accept(item)
