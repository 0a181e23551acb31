"""The real python-telegram-bot 22 stack against the emulator, over HTTP."""

from __future__ import annotations

import io
import warnings
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)
from telegram.error import BadRequest, Forbidden, RetryAfter

from bot.emulator import RunningEmulator


@pytest.fixture
async def bot(emulator: RunningEmulator) -> AsyncIterator[Bot]:
    bot = Bot(
        emulator.token,
        base_url=f"{emulator.base_url}/bot",
        base_file_url=f"{emulator.base_url}/file/bot",
    )
    async with bot:
        yield bot


def keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])


@pytest.mark.spec_violations_expected
async def test_direct_calls(bot: Bot, emulator: RunningEmulator) -> None:
    world = emulator.world
    alice = world.user("Alice")
    assert bot.username == "townsquare_test_bot"
    await world.send_text(alice, "/start")
    sent = await bot.send_message(alice.id, "Agree?", reply_markup=keyboard())
    assert sent.reply_markup == keyboard()
    edited = await bot.edit_message_text(
        "Agreed?", chat_id=alice.id, message_id=sent.message_id, reply_markup=keyboard()
    )
    assert not isinstance(edited, bool) and edited.text == "Agreed?"
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(alice.id, sent.message_id, reply_markup=keyboard())
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(
            alice.id,
            "x",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("Long", callback_data="x" * 65)]]
            ),
        )
    document = await bot.send_document(alice.id, io.BytesIO(b"data"), filename="data.bin")
    assert document.document is not None
    file = await bot.get_file(document.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"data"

    message = world.last_bot_message(alice)
    assert message is not None
    query_id = await world.press(alice, world.bot_messages(alice)[0], "Yes")
    updates = await bot.get_updates(offset=2)
    assert updates[-1].callback_query is not None
    assert updates[-1].callback_query.data == "yes"
    assert await bot.answer_callback_query(query_id, text="Thanks") is True
    answer = world.answer_for(query_id)
    assert answer is not None and answer.text == "Thanks"
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id)


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_errors_and_retry_after(bot: Bot, emulator: RunningEmulator) -> None:
    world = emulator.world
    alice = world.user("Alice")
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_message(alice.id, "hi")
    await world.send_text(alice, "hi")
    world.faults.add(method="sendMessage", error=429, retry_after=5)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(alice.id, "hi")
    with warnings.catch_warnings():  # PTB 22 warns about the int/timedelta transition
        warnings.simplefilter("ignore")
        assert caught.value.retry_after in (5, timedelta(seconds=5))
    await world.block_bot(alice)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(alice.id, "hi")


async def test_commands_round_trip(bot: Bot) -> None:
    commands = [BotCommand("start", "Start"), BotCommand("help", "Help")]
    scope = BotCommandScopeAllPrivateChats()
    assert await bot.set_my_commands(commands, scope=scope, language_code="en")
    assert tuple(await bot.get_my_commands(scope=scope, language_code="en")) == tuple(commands)
    assert await bot.get_my_commands() == ()
