"""The real aiogram 3 stack against the emulator, over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.filters import CommandStart
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from bot.emulator import RunningEmulator


def join_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Join", callback_data="join")]]
    )


@pytest.fixture
async def bot(emulator: RunningEmulator) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(emulator.base_url))
    bot = Bot(emulator.token, session=session)
    try:
        yield bot
    finally:
        await bot.session.close()


@pytest.mark.spec_violations_expected
async def test_direct_calls(bot: Bot, emulator: RunningEmulator) -> None:
    world = emulator.world
    alice = world.user("Alice")
    me = await bot.get_me()
    assert me.username == "townsquare_test_bot"
    with pytest.raises(TelegramForbiddenError, match="bot can't initiate conversation"):
        await bot.send_message(alice.id, "hi")
    await world.send_text(alice, "/start")
    sent = await bot.send_message(alice.id, "Pick", reply_markup=join_keyboard())
    assert sent.reply_markup is not None
    assert sent.reply_markup.model_dump() == join_keyboard().model_dump()
    edited = await bot.edit_message_text("Picked", chat_id=alice.id, message_id=sent.message_id)
    assert isinstance(edited, Message) and edited.text == "Picked"
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("Picked", chat_id=alice.id, message_id=sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(alice.id, "x" * 4097)
    document = await bot.send_document(
        alice.id, BufferedInputFile(b"report", filename="report.txt"), caption="Report"
    )
    assert document.document is not None and document.document.file_name == "report.txt"
    file = await bot.get_file(document.document.file_id)
    assert file.file_path is not None
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read() == b"report"
    updates = await bot.get_updates()
    assert updates[0].message is not None and updates[0].message.text == "/start"
    assert await bot.get_updates(offset=updates[-1].update_id + 1) == []


async def test_retry_after_surfaces(bot: Bot, emulator: RunningEmulator) -> None:
    alice = emulator.world.user("Alice")
    await emulator.world.send_text(alice, "hi")
    emulator.world.faults.add(method="sendMessage", error=429, retry_after=3)
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(alice.id, "hi")
    assert caught.value.retry_after == 3


async def test_dispatcher_round_trip_with_many_people(bot: Bot, emulator: RunningEmulator) -> None:
    world = emulator.world
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("Welcome", reply_markup=join_keyboard())

    @dp.callback_query(F.data == "join")
    async def join(query: CallbackQuery) -> None:
        await query.answer("Joined!")
        assert isinstance(query.message, Message)
        await query.message.edit_text("You joined")

    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
    try:
        people = [world.user(f"Person {i}") for i in range(5)]
        for person in people:
            await world.send_text(person, "/start")
        for person in people:
            [welcome] = await world.wait_for(person)
            assert welcome.text == "Welcome"
            query = await world.press(person, welcome, "Join")
            [joined] = await world.wait_for(person, lambda m: m.edited)
            assert joined.text == "You joined" and joined.buttons == ()
            await world.wait_idle()
            answer = world.answer_for(query)
            assert answer is not None and answer.text == "Joined!"
    finally:
        await dp.stop_polling()
        await polling
