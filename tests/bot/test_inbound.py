from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.inbound import translate
from flows.codec import Payload
from flows.events import (
    BotAddedToChat,
    BotBlocked,
    BotRemovedFromChat,
    BotUnblocked,
    ButtonPressed,
    ChatKind,
    CommandReceived,
    DocumentReceived,
    MemberJoined,
    MemberLeft,
    MessageEdited,
    PhotoReceived,
    PollAnswered,
    TextReceived,
    UnsupportedMessage,
)
from tests.bot.updates import (
    ALICE,
    BOT,
    DATE,
    GROUP,
    PRIVATE,
    as_aiogram,
    as_ptb,
    membership,
    message,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(params=[as_aiogram, as_ptb], ids=["aiogram", "ptb"])
def parse(request: pytest.FixtureRequest) -> Callable[[dict[str, Any]], Any]:
    return request.param  # type: ignore[no-any-return]


def tr(parse: Callable[[dict[str, Any]], Any], data: dict[str, Any]) -> Any:
    return translate(parse(data), "TownsquareBot", lambda: NOW)


def test_command_with_args_and_person(parse: Any) -> None:
    event = tr(parse, message(text="/Start survey-12"))
    assert isinstance(event, CommandReceived)
    assert (event.command, event.args, event.message_id, event.update_id) == (
        "start",
        "survey-12",
        11,
        7,
    )
    assert event.at == datetime.fromtimestamp(DATE, UTC) and event.at.tzinfo is not None
    assert event.chat.kind is ChatKind.PRIVATE and event.chat.chat_id == 42
    assert event.sender is not None
    assert (event.sender.user_id, event.sender.username, event.sender.language_code) == (
        42,
        "alice",
        "zh-hans",
    )


def test_command_addressed_to_us_in_group(parse: Any) -> None:
    event = tr(parse, message(GROUP, text="/help@townsquarebot"))
    assert isinstance(event, CommandReceived)
    assert (event.command, event.args) == ("help", "")
    assert event.chat.is_group and event.chat.title == "Riverside"


def test_command_for_another_bot_is_dropped(parse: Any) -> None:
    assert tr(parse, message(GROUP, text="/help@OtherBot")) is None


def test_plain_text_and_slash_alone(parse: Any) -> None:
    for text in ("hello /start", "/ not a command"):
        event = tr(parse, message(text=text))
        assert isinstance(event, TextReceived) and event.text == text


def test_document(parse: Any) -> None:
    doc = {
        "file_id": "F1",
        "file_unique_id": "U1",
        "file_name": "a.csv",
        "mime_type": "text/csv",
        "file_size": 10,
    }
    event = tr(parse, message(document=doc, caption="data"))
    assert isinstance(event, DocumentReceived)
    assert (event.file_id, event.file_name, event.mime_type, event.file_size, event.caption) == (
        "F1",
        "a.csv",
        "text/csv",
        10,
        "data",
    )


def test_photo_takes_the_largest_size(parse: Any) -> None:
    sizes = [
        {
            "file_id": f"F{side}",
            "file_unique_id": f"U{side}",
            "width": side,
            "height": side * 3 // 4,
        }
        for side in (320, 1280, 90)  # Telegram sends them smallest first; nothing relies on it
    ]
    event = tr(parse, message(photo=sizes, caption="the bin"))
    assert isinstance(event, PhotoReceived)
    assert (event.file_id, event.file_unique_id, event.width, event.height) == (
        "F1280",
        "U1280",
        1280,
        960,
    )
    assert (event.caption, event.message_id) == ("the bin", 11)
    bare = tr(parse, message(photo=sizes[:1]))
    assert isinstance(bare, PhotoReceived) and bare.caption == "" and bare.file_id == "F320"


def test_sticker_is_unsupported(parse: Any) -> None:
    sticker = {
        "file_id": "S",
        "file_unique_id": "S",
        "type": "regular",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
    }
    assert isinstance(tr(parse, message(sticker=sticker)), UnsupportedMessage)


def test_edited_message(parse: Any) -> None:
    data = message(text="fixed", edit_date=DATE + 60)
    data["edited_message"] = data.pop("message")
    event = tr(parse, data)
    assert isinstance(event, MessageEdited)
    assert event.text == "fixed" and event.at == datetime.fromtimestamp(DATE + 60, UTC)


def _press(data: str) -> dict[str, Any]:
    return {
        "update_id": 9,
        "callback_query": {
            "id": "cb1",
            "from": ALICE,
            "chat_instance": "x",
            "data": data,
            "message": {
                "message_id": 5,
                "date": DATE,
                "chat": PRIVATE,
                "from": BOT,
                "text": "pick",
            },
        },
    }


def test_button_decodes_payload(parse: Any) -> None:
    event = tr(parse, _press("1:lang:zh_Hans"))
    assert isinstance(event, ButtonPressed)
    assert event.payload == Payload("lang", ("zh_Hans",))
    assert (event.callback_id, event.message_id, event.at) == ("cb1", 5, NOW)


def test_forged_button_payload_is_none(parse: Any) -> None:
    event = tr(parse, _press("9:admin:delete-everything"))
    assert isinstance(event, ButtonPressed) and event.payload is None


def test_poll_answer(parse: Any) -> None:
    data = {
        "update_id": 10,
        "poll_answer": {
            "poll_id": "P",
            "user": ALICE,
            "option_ids": [0, 2],
            "option_persistent_ids": ["a", "c"],
        },
    }
    event = tr(parse, data)
    assert isinstance(event, PollAnswered)
    assert (event.poll_id, event.option_ids, event.chat.chat_id) == ("P", (0, 2), 42)


@pytest.mark.parametrize(
    ("chat", "old", "new", "expected"),
    [
        (GROUP, "left", "member", BotAddedToChat),
        (GROUP, "left", "administrator", BotAddedToChat),
        (GROUP, "member", "kicked", BotRemovedFromChat),
        (GROUP, "member", "left", BotRemovedFromChat),
        (PRIVATE, "member", "kicked", BotBlocked),
        (PRIVATE, "kicked", "member", BotUnblocked),
        (GROUP, "member", "administrator", type(None)),
    ],
)
def test_bot_membership(parse: Any, chat: Any, old: str, new: str, expected: type) -> None:
    data = membership(chat, old, new)
    event = tr(parse, data)
    assert isinstance(event, expected)
    if isinstance(event, BotAddedToChat):
        assert event.as_admin is (new == "administrator")


def test_member_joined_and_left_by_service_message(parse: Any) -> None:
    joined = tr(
        parse,
        message(GROUP, new_chat_members=[BOT, {"id": 77, "is_bot": False, "first_name": "Bo"}]),
    )
    assert isinstance(joined, MemberJoined) and joined.member.user_id == 77
    only_bot = tr(parse, message(GROUP, new_chat_members=[BOT]))
    assert only_bot is None
    left = tr(
        parse, message(GROUP, left_chat_member={"id": 77, "is_bot": False, "first_name": "Bo"})
    )
    assert isinstance(left, MemberLeft) and left.member.user_id == 77


def test_member_joined_by_chat_member_update(parse: Any) -> None:
    bo = {"id": 77, "is_bot": False, "first_name": "Bo"}
    event = tr(parse, membership(GROUP, "left", "member", user=bo, key="chat_member"))
    assert isinstance(event, MemberJoined) and event.member.user_id == 77
    event = tr(parse, membership(GROUP, "member", "left", user=bo, key="chat_member"))
    assert isinstance(event, MemberLeft)


def test_unknown_update_is_dropped(parse: Any) -> None:
    data = {
        "update_id": 11,
        "channel_post": {
            "message_id": 1,
            "date": DATE,
            "chat": {"id": -5, "type": "channel"},
            "text": "x",
        },
    }
    assert tr(parse, data) is None


def test_both_frameworks_translate_identically() -> None:
    samples = [
        message(text="/start x"),
        message(GROUP, text="hi"),
        _press("1:lang:en"),
        membership(PRIVATE, "member", "kicked"),
        message(photo=[{"file_id": "F", "file_unique_id": "U", "width": 9, "height": 9}]),
    ]
    for data in samples:
        assert translate(as_aiogram(data), "TownsquareBot", lambda: NOW) == translate(
            as_ptb(data), "TownsquareBot", lambda: NOW
        )
