"""The outbound path over both real transports (aiogram, PTB) against the Bot API emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.emulator import RunningEmulator, User, World
from bot.outbound import TelegramOutbound
from bot.telegram_api import BotApi
from flows.codec import payload
from flows.effects import Button, DeleteMessage, EditMessage, SendDocument, SendMessage
from tests.bot.test_outbound import Recorder
from tests.bot_process import bot_api


@pytest.fixture(params=["aiogram", "ptb"])
async def api(request: pytest.FixtureRequest, emulator: RunningEmulator) -> AsyncIterator[BotApi]:
    async with bot_api(str(request.param), emulator) as api:
        yield api


@pytest.fixture
def world(emulator: RunningEmulator) -> World:
    return emulator.world


@pytest.fixture
async def ann(world: World) -> User:
    person = world.user("Ann")
    await world.send_text(person, "/start")  # a person must have started the bot
    return person


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


@pytest.fixture
def outbound(api: BotApi, rec: Recorder) -> TelegramOutbound:
    return TelegramOutbound(
        api, on_unreachable=rec.on_unreachable, refresh_commands=rec.refresh, sleep=rec.sleep
    )


async def test_blocked_person_is_reported_and_others_still_served(
    outbound: TelegramOutbound, world: World, ann: User, rec: Recorder
) -> None:
    bo = world.user("Bo")
    await world.send_text(bo, "/start")
    await world.block_bot(ann)
    await outbound.deliver(
        [SendMessage(chat_id=ann.id, text="news"), SendMessage(chat_id=bo.id, text="news")]
    )
    assert rec.unreachable == [ann.id]
    assert [m.text for m in world.bot_messages(bo)] == ["news"]


async def test_flood_control_is_waited_out(
    outbound: TelegramOutbound, world: World, ann: User, rec: Recorder
) -> None:
    world.faults.add(method="sendMessage", error=429, retry_after=2, times=2)
    await outbound.deliver([SendMessage(chat_id=ann.id, text="hello")])
    assert rec.slept == [2, 2]
    assert [m.text for m in world.bot_messages(ann)] == ["hello"]


async def test_server_errors_are_retried(
    outbound: TelegramOutbound, world: World, ann: User, rec: Recorder
) -> None:
    world.faults.add(method="sendMessage", error=502, times=2)
    await outbound.deliver([SendMessage(chat_id=ann.id, text="hello")])
    assert len(rec.slept) == 2
    assert [m.text for m in world.bot_messages(ann)] == ["hello"]


async def test_edit_not_modified_is_success_and_buttons_round_trip(
    outbound: TelegramOutbound, world: World, ann: User, caplog: pytest.LogCaptureFixture
) -> None:
    buttons = ((Button("中文", payload("lang", "zh_Hans")),),)
    await outbound.deliver([SendMessage(chat_id=ann.id, text="pick", buttons=buttons)])
    sent = world.last_bot_message(ann)
    assert sent is not None and sent.buttons[0][0].callback_data == "1:lang:zh_Hans"
    edit = EditMessage(chat_id=ann.id, message_id=sent.message_id, text="pick", buttons=buttons)
    await outbound.deliver([edit])
    assert "not delivered" not in caplog.text
    assert len(world.bot_messages(ann)) == 1


async def test_edit_of_deleted_message_is_sent_anew(
    outbound: TelegramOutbound, world: World, ann: User
) -> None:
    await outbound.deliver([SendMessage(chat_id=ann.id, text="old")])
    old = world.last_bot_message(ann)
    assert old is not None
    await outbound.deliver(
        [
            DeleteMessage(chat_id=ann.id, message_id=old.message_id),
            DeleteMessage(chat_id=ann.id, message_id=old.message_id),  # already gone: fine
            EditMessage(chat_id=ann.id, message_id=old.message_id, text="new"),
        ]
    )
    assert [m.text for m in world.bot_messages(ann)] == ["new"]


async def test_long_text_arrives_in_parts_within_the_limit(
    outbound: TelegramOutbound, world: World, ann: User
) -> None:
    text = "\n\n".join("paragraph " + "x" * 990 for _ in range(5))
    assert len(text) > 5000
    buttons = ((Button("OK", payload("ok")),),)
    await outbound.deliver([SendMessage(chat_id=ann.id, text=text, buttons=buttons)])
    parts = world.bot_messages(ann)
    assert len(parts) == 2
    assert [bool(m.buttons) for m in parts] == [False, True]
    assert " ".join(m.text or "" for m in parts).split() == text.split()


async def test_document_upload(outbound: TelegramOutbound, world: World, ann: User) -> None:
    await outbound.deliver(
        [SendDocument(chat_id=ann.id, filename="mydata.json", content=b"{}", caption="Your data")]
    )
    sent = world.last_bot_message(ann)
    assert sent is not None and sent.caption == "Your data"
    assert sent.raw["document"]["file_name"] == "mydata.json"
