"""Bare aiogram over HTTP: answers every button press with answerCallbackQuery, nothing else.

The baseline of `bench/polls.py`: the framework's own dispatch rate for the same presses,
against the same emulator, polled the same way (`Dispatcher.start_polling`). Configured by
BOT_TOKEN and TELEGRAM_API_URL; stops on SIGTERM. It tunes the garbage collector as
`townsquare run` does, so the ratio compares code, not collector settings.
"""

from __future__ import annotations

import asyncio
import os

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery

from bot.gc_tuning import tune_garbage_collection


async def main() -> None:
    server = TelegramAPIServer.from_base(os.environ["TELEGRAM_API_URL"])
    bot = Bot(os.environ["BOT_TOKEN"], session=AiohttpSession(api=server))
    dispatcher = Dispatcher()

    @dispatcher.callback_query()
    async def pressed(query: CallbackQuery) -> None:
        await query.answer("You voted.")

    await dispatcher.start_polling(bot, handle_signals=True)


if __name__ == "__main__":
    tune_garbage_collection()
    asyncio.run(main())
