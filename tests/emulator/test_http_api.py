"""The Bot API over plain HTTP: transports, shapes, limits and Telegram's error texts."""

from __future__ import annotations

import json

import aiohttp
import pytest

from bot.emulator import RunningEmulator
from tests.emulator.conftest import Api

PNG_1x1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)
BAD_DATA = "Bad Request: BUTTON_DATA_INVALID"


def keyboard(*buttons: dict[str, str]) -> dict[str, object]:
    return {"inline_keyboard": [list(buttons)]}


async def test_get_me_describes_the_configured_bot(api: Api) -> None:
    me = await api.ok("getMe")
    assert me["is_bot"] is True
    assert me["username"] == "townsquare_test_bot"
    assert me["id"] == api.running.world.bot.id


@pytest.mark.spec_violations_expected
async def test_unknown_token_and_method_answer_like_telegram(
    api: Api, emulator: RunningEmulator
) -> None:
    async with api.session.get(f"{emulator.base_url}/bot1:wrong/getMe") as response:
        assert response.status == 401
        assert await response.json() == {
            "ok": False,
            "error_code": 401,
            "description": "Unauthorized",
        }
    assert await api.error("fooBar") == (404, "Not Found: method not found")


async def test_method_names_are_case_insensitive_and_get_works(
    api: Api, emulator: RunningEmulator
) -> None:
    async with api.session.get(f"{api.url}/GETME") as response:
        assert (await response.json())["result"]["username"] == "townsquare_test_bot"
    assert emulator.world.calls[-1].method == "getMe"


async def test_form_and_query_parameters_are_decoded(api: Api, emulator: RunningEmulator) -> None:
    alice = emulator.world.user("Alice")
    await emulator.world.send_text(alice, "/start")
    markup = json.dumps(keyboard({"text": "Yes", "callback_data": "vote:1"}))
    form = {"chat_id": str(alice.id), "text": "Vote?", "reply_markup": markup}
    async with api.session.post(f"{api.url}/sendMessage", data=form) as response:
        body = await response.json()
    assert body["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "vote:1"
    call = emulator.world.calls_of("sendMessage")[-1]
    assert call.params["chat_id"] == alice.id
    assert call.params["reply_markup"] == json.loads(markup)
    async with api.session.get(f"{api.url}/sendMessage?chat_id={alice.id}&text=hi") as response:
        assert (await response.json())["result"]["text"] == "hi"


async def test_sent_message_is_telegram_shaped(api: Api, emulator: RunningEmulator) -> None:
    alice = emulator.world.user("Alice", username="alice")
    await emulator.world.send_text(alice, "/start")
    first = await api.ok("sendMessage", chat_id=alice.id, text="<b>Hello</b>", parse_mode="HTML")
    second = await api.ok("sendMessage", chat_id=alice.id, text="again")
    assert first["text"] == "Hello"
    assert first["entities"] == [{"type": "bold", "offset": 0, "length": 5}]
    assert first["from"]["is_bot"] is True
    assert first["chat"] == {
        "id": alice.id,
        "type": "private",
        "first_name": "Alice",
        "username": "alice",
    }
    assert isinstance(first["date"], int)
    # Message ids count per chat, and the person's /start was message 1.
    assert (first["message_id"], second["message_id"]) == (2, 3)


@pytest.mark.spec_violations_expected
async def test_text_limits(api: Api, emulator: RunningEmulator) -> None:
    alice = emulator.world.user("Alice")
    await emulator.world.send_text(alice, "hi")
    assert await api.error("sendMessage", chat_id=alice.id, text="  ") == (
        400,
        "Bad Request: message text is empty",
    )
    assert await api.error("sendMessage", chat_id=alice.id, text="x" * 4097) == (
        400,
        "Bad Request: message is too long",
    )
    await api.ok("sendMessage", chat_id=alice.id, text="x" * 4096)
    assert await api.error("sendMessage", chat_id=alice.id, text="<x>a</x>", parse_mode="HTML") == (
        400,
        'Bad Request: can\'t parse entities: Unsupported start tag "x" at byte offset 0',
    )
    assert await api.error("sendMessage", text="hi") == (400, "Bad Request: chat_id is empty")


@pytest.mark.spec_violations_expected
async def test_keyboard_rules(api: Api, emulator: RunningEmulator) -> None:
    alice = emulator.world.user("Alice")
    await emulator.world.send_text(alice, "hi")

    async def send(*buttons: dict[str, str]) -> tuple[int, str]:
        return await api.error(
            "sendMessage", chat_id=alice.id, text="t", reply_markup=keyboard(*buttons)
        )

    assert await send({"text": "a", "callback_data": "x" * 65}) == (400, BAD_DATA)
    assert await send({"text": "a", "callback_data": ""}) == (400, BAD_DATA)
    assert await send({"text": "a"}) == (
        400,
        "Bad Request: can't parse inline keyboard button: "
        "Text buttons are unallowed in the inline keyboard",
    )
    status, text = await send({"text": "a", "callback_data": "x", "url": "https://a.b"})
    assert status == 400 and "exactly one" in text
    # 64 bytes counts bytes, not characters: 22 three-byte characters are 66 bytes.
    assert await send({"text": "a", "callback_data": "€" * 22}) == (400, BAD_DATA)
    await api.ok(
        "sendMessage",
        chat_id=alice.id,
        text="t",
        reply_markup=keyboard({"text": "a", "callback_data": "€" * 21}),
    )


async def test_private_chat_access(api: Api, emulator: RunningEmulator) -> None:
    world = emulator.world
    stranger = world.user("Stranger")
    assert await api.error("sendMessage", chat_id=stranger.id, text="hi") == (
        403,
        "Forbidden: bot can't initiate conversation with a user",
    )
    assert await api.error("sendMessage", chat_id=999, text="hi") == (
        400,
        "Bad Request: chat not found",
    )
    await world.send_text(stranger, "/start")
    await world.block_bot(stranger)
    assert await api.error("sendMessage", chat_id=stranger.id, text="hi") == (
        403,
        "Forbidden: bot was blocked by the user",
    )
    await world.unblock_bot(stranger)
    await api.ok("sendMessage", chat_id=stranger.id, text="hi")


async def test_group_access(api: Api, emulator: RunningEmulator) -> None:
    world = emulator.world
    admin = world.user("Admin")
    basic = world.group("Basic", admins=[admin], supergroup=False)
    town = world.group("Town", admins=[admin])
    assert await api.error("sendMessage", chat_id=basic.id, text="hi") == (
        403,
        "Forbidden: bot is not a member of the group chat",
    )
    assert await api.error("sendMessage", chat_id=town.id, text="hi") == (
        403,
        "Forbidden: bot is not a member of the supergroup chat",
    )
    await world.add_bot(town, by=admin)
    await api.ok("sendMessage", chat_id=town.id, text="hi")
    await world.remove_bot(town, by=admin)
    assert await api.error("sendMessage", chat_id=town.id, text="hi") == (
        403,
        "Forbidden: bot was kicked from the supergroup chat",
    )


async def test_edit_rules(api: Api, emulator: RunningEmulator) -> None:
    alice = emulator.world.user("Alice")
    await emulator.world.send_text(alice, "hi")
    markup = keyboard({"text": "Yes", "callback_data": "y"})
    sent = await api.ok("sendMessage", chat_id=alice.id, text="Q", reply_markup=markup)
    target = {"chat_id": alice.id, "message_id": sent["message_id"]}
    assert await api.error("editMessageText", **target, text="Q", reply_markup=markup) == (
        400,
        "Bad Request: message is not modified: specified new message content and reply "
        "markup are exactly the same as a current content and reply markup of the message",
    )
    edited = await api.ok("editMessageText", **target, text="Q2", reply_markup=markup)
    assert edited["text"] == "Q2" and "edit_date" in edited
    # Without reply_markup an edit removes the keyboard, as on Telegram.
    removed = await api.ok("editMessageText", **target, text="Q2")
    assert "reply_markup" not in removed
    assert await api.error("editMessageReplyMarkup", **target) == (
        400,
        "Bad Request: message is not modified: specified new message content and reply "
        "markup are exactly the same as a current content and reply markup of the message",
    )
    await api.ok("editMessageReplyMarkup", **target, reply_markup=markup)
    assert await api.error("editMessageText", chat_id=alice.id, message_id=99, text="x") == (
        400,
        "Bad Request: message to edit not found",
    )
    assert await api.ok("deleteMessage", **target) is True
    assert await api.error("deleteMessage", **target) == (
        400,
        "Bad Request: message to delete not found",
    )
    assert await api.error("editMessageText", **target, text="x") == (
        400,
        "Bad Request: message to edit not found",
    )
    assert [m.message_id for m in emulator.world.chat_messages(alice)] == [1]


@pytest.mark.spec_violations_expected
async def test_callback_answers(api: Api, emulator: RunningEmulator) -> None:
    world = emulator.world
    alice = world.user("Alice")
    await world.send_text(alice, "hi")
    await api.ok(
        "sendMessage",
        chat_id=alice.id,
        text="Q",
        reply_markup=keyboard({"text": "Yes", "callback_data": "y"}),
    )
    message = world.last_bot_message(alice)
    assert message is not None
    query = await world.press(alice, message, "Yes")
    updates = await api.ok("getUpdates")
    callback = updates[-1]["callback_query"]
    assert callback["id"] == query and callback["data"] == "y"
    assert callback["message"]["message_id"] == message.message_id
    assert await api.error("answerCallbackQuery", callback_query_id=query, text="x" * 201) == (
        400,
        "Bad Request: MESSAGE_TOO_LONG",
    )
    assert world.answer_for(query) is None
    await api.ok("answerCallbackQuery", callback_query_id=query, text="Saved", show_alert=True)
    answer = world.answer_for(query)
    assert answer is not None and (answer.text, answer.show_alert) == ("Saved", True)
    invalid = (
        400,
        "Bad Request: query is too old and response timeout expired or query ID is invalid",
    )
    assert await api.error("answerCallbackQuery", callback_query_id=query) == invalid
    assert await api.error("answerCallbackQuery", callback_query_id="nope") == invalid
    forged = await world.press(alice, message, data="admin:delete-everything")
    assert world.callbacks[forged].data == "admin:delete-everything"


@pytest.mark.spec_violations_expected
async def test_documents_photos_and_downloads(api: Api, emulator: RunningEmulator) -> None:
    alice = emulator.world.user("Alice")
    await emulator.world.send_text(alice, "hi")
    form = aiohttp.FormData()
    form.add_field("chat_id", str(alice.id))
    form.add_field("caption", "Results")
    form.add_field("document", b"a,b\n1,2\n", filename="results.csv", content_type="text/csv")
    async with api.session.post(f"{api.url}/sendDocument", data=form) as response:
        message = (await response.json())["result"]
    document = message["document"]
    assert (document["file_name"], document["mime_type"], document["file_size"]) == (
        "results.csv",
        "text/csv",
        8,
    )
    assert message["caption"] == "Results"
    file = await api.ok("getFile", file_id=document["file_id"])
    download = f"{emulator.base_url}/file/bot{emulator.token}/{file['file_path']}"
    async with api.session.get(download) as response:
        assert await response.read() == b"a,b\n1,2\n"
    resent = await api.ok("sendDocument", chat_id=alice.id, document=document["file_id"])
    assert resent["document"]["file_id"] == document["file_id"]
    assert await api.error("sendDocument", chat_id=alice.id, document="garbage") == (
        400,
        "Bad Request: wrong file identifier/HTTP URL specified",
    )
    assert await api.error("getFile", file_id="garbage") == (400, "Bad Request: invalid file_id")
    assert await api.error(
        "sendDocument", chat_id=alice.id, document=document["file_id"], caption="c" * 1025
    ) == (400, "Bad Request: message caption is too long")

    photo_form = aiohttp.FormData()
    photo_form.add_field("chat_id", str(alice.id))
    photo_form.add_field("photo", "attach://pic")
    photo_form.add_field("pic", PNG_1x1, filename="pic.png", content_type="image/png")
    async with api.session.post(f"{api.url}/sendPhoto", data=photo_form) as response:
        photo = (await response.json())["result"]["photo"][0]
    assert (photo["width"], photo["height"]) == (1, 1)


@pytest.mark.spec_violations_expected
async def test_polls(api: Api, emulator: RunningEmulator) -> None:
    world = emulator.world
    alice = world.user("Alice")
    await world.send_text(alice, "hi")
    # A negative offset keeps only the last update(s): here the greeting, update 1.
    assert [u["update_id"] for u in await api.ok("getUpdates", offset=-1)] == [1]
    assert await api.error("sendPoll", chat_id=alice.id, question="", options=["a", "b"]) == (
        400,
        "Bad Request: poll question must be non-empty",
    )
    assert await api.error(
        "sendPoll", chat_id=alice.id, question="q" * 301, options=["a", "b"]
    ) == (
        400,
        "Bad Request: poll question length must not exceed 300",
    )
    assert await api.error(
        "sendPoll", chat_id=alice.id, question="q", options=[str(i) for i in range(13)]
    ) == (
        400,
        "Bad Request: poll can't have more than 12 options",
    )
    assert await api.error(
        "sendPoll", chat_id=alice.id, question="q", options=["a", "b" * 101]
    ) == (
        400,
        "Bad Request: poll option length must not exceed 100",
    )
    sent = await api.ok(
        "sendPoll",
        chat_id=alice.id,
        question="Park or pool?",
        options=[{"text": "Park"}, {"text": "Pool"}],
        is_anonymous=False,
    )
    poll_message = world.last_bot_message(alice)
    assert poll_message is not None and poll_message.poll is not None
    await world.answer_poll(alice, poll_message, [1])
    updates = await api.ok("getUpdates", offset=2, allowed_updates=[])
    kinds = [next(k for k in u if k != "update_id") for u in updates]
    assert kinds == ["poll", "poll_answer"]
    assert updates[1]["poll_answer"]["option_ids"] == [1]
    assert updates[0]["poll"]["options"][1]["voter_count"] == 1
    target = {"chat_id": alice.id, "message_id": sent["message_id"]}
    stopped = await api.ok("stopPoll", **target)
    assert stopped["is_closed"] is True and stopped["total_voter_count"] == 1
    assert await api.error("stopPoll", **target) == (
        400,
        "Bad Request: poll has already been closed",
    )


@pytest.mark.spec_violations_expected
async def test_commands_per_scope_and_language(api: Api) -> None:
    commands = [{"command": "start", "description": "Start"}]
    assert await api.ok("setMyCommands", commands=commands) is True
    zh = [{"command": "start", "description": "开始"}]
    scope = {"type": "all_private_chats"}
    await api.ok("setMyCommands", commands=zh, scope=scope, language_code="zh")
    assert await api.ok("getMyCommands") == commands
    assert await api.ok("getMyCommands", scope=scope, language_code="zh") == zh
    assert await api.ok("getMyCommands", scope=scope) == []
    await api.ok("deleteMyCommands")
    assert await api.ok("getMyCommands") == []
    assert api.running.world.my_commands(scope, "zh") == zh
    assert await api.error(
        "setMyCommands", commands=[{"command": "Bad Name", "description": "x"}]
    ) == (
        400,
        "Bad Request: BOT_COMMAND_INVALID",
    )


async def test_chat_information(api: Api, emulator: RunningEmulator) -> None:
    world = emulator.world
    owner, helper, member = world.user("Owner"), world.user("Helper"), world.user("Member")
    town = world.group("Town", members=[member], admins=[owner, helper], creator=owner)
    await world.add_bot(town, by=owner, as_admin=True)
    admins = await api.ok("getChatAdministrators", chat_id=town.id)
    assert {(a["user"]["first_name"], a["status"]) for a in admins} == {
        ("Owner", "creator"),
        ("Helper", "administrator"),
        ("Townsquare", "administrator"),
    }
    assert (await api.ok("getChatMember", chat_id=town.id, user_id=member.id))["status"] == "member"
    await world.leave(member, town)
    assert (await api.ok("getChatMember", chat_id=town.id, user_id=member.id))["status"] == "left"
    info = await api.ok("getChat", chat_id=town.id)
    assert (info["type"], info["title"]) == ("supergroup", "Town")
    assert await api.ok("leaveChat", chat_id=town.id) is True
    assert await api.error("getChat", chat_id=town.id) == (
        403,
        "Forbidden: bot is not a member of the supergroup chat",
    )


@pytest.mark.spec_violations_expected
async def test_missing_required_parameters(api: Api) -> None:
    assert await api.error("getChatMember", chat_id=1) == (400, "Bad Request: chat not found")
    assert await api.error("getFile") == (400, "Bad Request: file_id is empty")
    assert await api.error("answerCallbackQuery") == (
        400,
        "Bad Request: callback_query_id is empty",
    )
