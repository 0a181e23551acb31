"""The control API: people in private chats and groups, and reading what the bot did."""

from __future__ import annotations

import base64
import struct

import aiohttp
import pytest

from bot.emulator import RunningEmulator
from tests.emulator.conftest import Api
from tests.spec_conformance import _check_value, load_spec, spec_path


def kinds(updates: list[dict[str, object]]) -> list[str]:
    return [next(k for k in u if k != "update_id") for u in updates]


async def test_group_life_cycle_updates(api: Api, emulator: RunningEmulator) -> None:
    world = emulator.world
    owner, alice = world.user("Owner"), world.user("Alice")
    town = world.group("Town", members=[alice], admins=[owner])
    await world.send_text(alice, "not seen: the bot is not in the group", chat=town)
    await world.add_bot(town, by=owner)
    await world.send_text(alice, "plain chatter is hidden by privacy mode", chat=town)
    command = await world.send_text(alice, "/poll@townsquare_test_bot", chat=town)
    newcomer = world.user("Newcomer")
    await world.join(newcomer, town)
    await world.leave(newcomer, town)
    updates = await api.ok("getUpdates")
    assert kinds(updates) == ["my_chat_member", "message", "message", "message", "message"]
    membership = updates[0]["my_chat_member"]
    assert membership["from"]["id"] == owner.id
    assert (membership["old_chat_member"]["status"], membership["new_chat_member"]["status"]) == (
        "left",
        "member",
    )
    assert updates[2]["message"]["entities"] == [
        {"type": "bot_command", "offset": 0, "length": len("/poll@townsquare_test_bot")}
    ]
    assert updates[3]["message"]["new_chat_members"][0]["id"] == newcomer.id
    assert updates[4]["message"]["left_chat_member"]["id"] == newcomer.id
    assert command.text == "/poll@townsquare_test_bot"
    # Every message is in the chat, whether or not the bot was told about it.
    assert len(world.chat_messages(town)) == 6


async def test_chat_member_updates_only_when_admin_and_asked(
    api: Api, emulator: RunningEmulator
) -> None:
    world = emulator.world
    owner, bob = world.user("Owner"), world.user("Bob")
    town = world.group("Town", admins=[owner])
    await api.ok("getUpdates", allowed_updates=["chat_member", "my_chat_member"])
    await world.add_bot(town, by=owner, as_admin=True)
    await world.join(bob, town)
    updates = await api.ok("getUpdates")
    assert kinds(updates) == ["my_chat_member", "chat_member"]
    assert updates[1]["chat_member"]["new_chat_member"]["user"]["id"] == bob.id


async def test_block_and_edit_updates(api: Api, emulator: RunningEmulator) -> None:
    world = emulator.world
    alice = world.user("Alice")
    mine = await world.send_text(alice, "Helo")
    edited = await world.edit_text(alice, mine, "Hello")
    await world.block_bot(alice)
    updates = await api.ok("getUpdates")
    assert kinds(updates) == ["message", "edited_message", "my_chat_member"]
    assert updates[1]["edited_message"]["text"] == "Hello" and edited.edited
    assert updates[2]["my_chat_member"]["new_chat_member"]["status"] == "kicked"


async def test_wait_for_reads_the_conversation_in_order(
    api: Api, emulator: RunningEmulator
) -> None:
    world = emulator.world
    alice = world.user("Alice")
    await world.send_text(alice, "/start")
    for text in ("one", "two", "three"):
        await api.ok("sendMessage", chat_id=alice.id, text=text)
    assert [m.text for m in await world.wait_for(alice, count=2)] == ["one", "two"]
    [third] = await world.wait_for(alice)
    assert third.text == "three"
    with pytest.raises(TimeoutError):
        await world.wait_for(alice, timeout=0.05)
    await api.ok("editMessageText", chat_id=alice.id, message_id=third.message_id, text="3")
    [edit] = await world.wait_for(alice, lambda m: m.edited)
    assert edit.text == "3"
    assert [m.body for m in world.bot_messages(alice)] == ["one", "two", "3"]


async def test_http_control_api(api: Api, emulator: RunningEmulator) -> None:
    control = f"{emulator.base_url}/_control"
    session = api.session

    async def post(action: str, **body: object) -> object:
        async with session.post(f"{control}/{action}", json=body) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    user = await post("users", first_name="Alice", language_code="zh")
    assert isinstance(user, dict)
    await post("send_text", user_id=user["id"], text="/start")
    await api.ok(
        "sendMessage",
        chat_id=user["id"],
        text="Hi",
        reply_markup={"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]},
    )
    async with session.get(f"{control}/chats/{user['id']}/messages") as response:
        messages = await response.json()
    assert [m["text"] for m in messages] == ["/start", "Hi"]
    pressed = await post(
        "press",
        user_id=user["id"],
        chat_id=user["id"],
        message_id=messages[1]["message_id"],
        button_text="Go",
    )
    assert isinstance(pressed, dict)
    async with session.get(f"{control}/activity", params={"after": "0"}) as response:
        events = (await response.json())["events"]
    assert [e["message"]["text"] for e in events] == ["Hi"]
    async with session.post(f"{control}/press", json={"user_id": 1}) as response:
        assert response.status == 400
    async with session.get(f"{control}/callbacks/{pressed['callback_id']}") as response:
        assert await response.json() is None


async def test_serve_forever_prints_url_and_token(capsys: pytest.CaptureFixture[str]) -> None:
    import asyncio

    from bot.emulator import serve_forever

    task = asyncio.create_task(serve_forever("127.0.0.1", 0, "42:abc"))
    for _ in range(100):
        await asyncio.sleep(0.01)
        out = capsys.readouterr().out
        if out:
            break
    url_line, token_line = out.strip().splitlines()
    assert token_line == "Bot token: 42:abc"
    base_url = url_line.split(": ", 1)[1]
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{base_url}/bot42:abc/getMe") as response,
    ):
        assert (await response.json())["ok"] is True
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def photo_png(width: int, height: int) -> bytes:
    """The start of a PNG: enough for the emulator (and Telegram) to read its size."""
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + struct.pack(">II", width, height) + b"\0" * 5


async def test_a_person_sends_a_photo_in_every_size(api: Api, emulator: RunningEmulator) -> None:
    world = emulator.world
    alice = world.user("Alice")
    content = photo_png(1600, 1200)
    mine = await world.send_photo(alice, content, caption="The bin")
    (update,) = await api.ok("getUpdates")
    message = update["message"]
    assert message["caption"] == "The bin" and "text" not in message
    sizes = message["photo"]
    assert mine.photo == sizes
    assert [(s["width"], s["height"]) for s in sizes] == [
        (90, 68),
        (320, 240),
        (800, 600),
        (1280, 960),
        (1600, 1200),
    ]
    fields = {"file_id", "file_unique_id", "width", "height", "file_size"}
    assert all(set(size) == fields for size in sizes)
    if spec_path().exists():  # the whole message is a Message as the official spec describes
        assert _check_value(load_spec(), message, ["Message"], "message") == []
    assert len({s["file_id"] for s in sizes}) == len({s["file_unique_id"] for s in sizes}) == 5
    # The bot can send the largest size again by its file_id, and fetch it.
    largest = sizes[-1]["file_id"]
    sent = await api.ok("sendPhoto", chat_id=alice.id, photo=largest, caption="Yours")
    assert sent["photo"][0]["file_id"] == largest and sent["caption"] == "Yours"
    got = await api.ok("getFile", file_id=largest)
    assert got["file_size"] == len(content)
    # A small photo has no thumbnails larger than itself; a huge one is cut to 2560 pixels.
    small = await world.send_photo(alice, photo_png(80, 40))
    assert [(s["width"], s["height"]) for s in small.photo or []] == [(80, 40)]
    huge = await world.send_photo(alice, photo_png(5120, 1280))
    assert (huge.photo or [])[-1]["width"] == 2560 and (huge.photo or [])[-1]["height"] == 640
    with pytest.raises(ValueError, match="image"):
        await world.send_photo(alice, b"not an image")


async def test_the_control_api_sends_a_photo(api: Api, emulator: RunningEmulator) -> None:
    alice = emulator.world.user("Alice")
    body = {
        "user_id": alice.id,
        "content_base64": base64.b64encode(photo_png(400, 300)).decode(),
        "caption": "Hi",
    }
    async with api.session.post(f"{emulator.base_url}/_control/send_photo", json=body) as response:
        assert response.status == 200, await response.text()
        message = await response.json()
    assert message["caption"] == "Hi"
    assert [(s["width"], s["height"]) for s in message["raw"]["photo"]] == [
        (90, 68),
        (320, 240),
        (400, 300),
    ]
    body["content_base64"] = "not base64!"
    async with api.session.post(f"{emulator.base_url}/_control/send_photo", json=body) as response:
        assert response.status == 400
