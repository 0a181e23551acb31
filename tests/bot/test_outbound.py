from __future__ import annotations

import pytest

from bot.outbound import TelegramOutbound
from bot.telegram_api import BadRequest, Forbidden, NetworkTimeout, RetryAfter, ServerError
from flows.codec import payload
from flows.effects import (
    Button,
    DeleteMessage,
    EditMessage,
    LeaveChat,
    RefreshCommands,
    SendDocument,
    SendMessage,
    SendPhoto,
    Toast,
)
from tests.bot.fake_api import FakeApi


class Recorder:
    def __init__(self) -> None:
        self.unreachable: list[int] = []
        self.refreshed: list[int] = []
        self.slept: list[float] = []

    async def on_unreachable(self, user_id: int) -> None:
        self.unreachable.append(user_id)

    async def refresh(self, user_id: int) -> None:
        self.refreshed.append(user_id)

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture
def outbound(api: FakeApi, rec: Recorder) -> TelegramOutbound:
    return TelegramOutbound(
        api, on_unreachable=rec.on_unreachable, refresh_commands=rec.refresh, sleep=rec.sleep
    )


BUTTONS = ((Button("English", payload("lang", "en")), Button("Site", url="https://example.org")),)


async def test_send_message_renders_keyboard_reply_and_silence(
    outbound: TelegramOutbound, api: FakeApi
) -> None:
    await outbound.deliver(
        [SendMessage(chat_id=42, text="Hi", buttons=BUTTONS, reply_to=3, silent=True)]
    )
    (call,) = api.calls
    assert call.method == "sendMessage"
    assert call.params == {
        "chat_id": 42,
        "text": "Hi",
        "reply_parameters": {"message_id": 3, "allow_sending_without_reply": True},
        "reply_markup": {
            "inline_keyboard": [
                [
                    {"text": "English", "callback_data": "1:lang:en"},
                    {"text": "Site", "url": "https://example.org"},
                ]
            ]
        },
        "disable_notification": True,
    }


async def test_long_text_is_split_with_buttons_on_last_part(
    outbound: TelegramOutbound, api: FakeApi
) -> None:
    text = "\n\n".join(f"Paragraph {i}: " + "word " * 200 for i in range(5))
    assert len(text) > 5000
    await outbound.deliver([SendMessage(chat_id=42, text=text, buttons=BUTTONS)])
    parts = [c.params for c in api.calls]
    assert len(parts) == 2
    assert all(len(p["text"]) <= 4096 for p in parts)
    assert "reply_markup" not in parts[0] and "reply_markup" in parts[1]
    assert parts[1]["text"].startswith("Paragraph")


async def test_forbidden_in_private_chat_reports_unreachable_and_continues(
    outbound: TelegramOutbound, api: FakeApi, rec: Recorder
) -> None:
    api.fail("sendMessage", Forbidden("Forbidden: bot was blocked by the user"))
    await outbound.deliver([SendMessage(chat_id=42, text="a"), SendMessage(chat_id=43, text="b")])
    assert rec.unreachable == [42]
    assert [c.params["chat_id"] for c in api.calls] == [42, 43]


async def test_forbidden_in_group_is_not_a_person(
    outbound: TelegramOutbound, api: FakeApi, rec: Recorder
) -> None:
    api.fail("sendMessage", Forbidden("Forbidden: bot was kicked from the supergroup chat"))
    await outbound.deliver([SendMessage(chat_id=-100, text="a")])
    assert rec.unreachable == []


async def test_flood_control_waits_and_retries(
    outbound: TelegramOutbound, api: FakeApi, rec: Recorder
) -> None:
    api.fail("sendMessage", RetryAfter(3), times=2)
    await outbound.deliver([SendMessage(chat_id=42, text="a")])
    assert api.methods() == ["sendMessage"] * 3
    assert rec.slept == [3, 3]


async def test_transient_errors_back_off_then_give_up(
    outbound: TelegramOutbound, api: FakeApi, rec: Recorder
) -> None:
    api.fail("sendMessage", ServerError("Internal Server Error"))
    api.fail("sendMessage", NetworkTimeout("Request timeout error"))
    await outbound.deliver([SendMessage(chat_id=42, text="a")])
    assert api.methods() == ["sendMessage"] * 3
    assert rec.slept == [0.5, 1.0]

    api.calls.clear()
    api.fail("sendMessage", ServerError("Bad Gateway"), times=10)
    await outbound.deliver([SendMessage(chat_id=42, text="b"), Toast(callback_id="q")])
    assert api.methods() == ["sendMessage"] * 4 + ["answerCallbackQuery"]


async def test_not_modified_is_success(outbound: TelegramOutbound, api: FakeApi) -> None:
    api.fail(
        "editMessageText", BadRequest("Message is not modified: specified new message content ...")
    )
    await outbound.deliver([EditMessage(chat_id=42, message_id=5, text="same")])
    assert api.methods() == ["editMessageText"]


@pytest.mark.parametrize(
    "description", ["Bad Request: message to edit not found", "Message can't be edited"]
)
async def test_edit_of_gone_message_sends_anew(
    outbound: TelegramOutbound, api: FakeApi, description: str
) -> None:
    api.fail("editMessageText", BadRequest(description))
    await outbound.deliver([EditMessage(chat_id=42, message_id=5, text="new", buttons=BUTTONS)])
    assert api.methods() == ["editMessageText", "sendMessage"]
    assert api.calls[1].params["text"] == "new" and "reply_markup" in api.calls[1].params


async def test_other_bad_request_is_logged_and_batch_continues(
    outbound: TelegramOutbound, api: FakeApi, caplog: pytest.LogCaptureFixture
) -> None:
    api.fail("editMessageText", BadRequest("Bad Request: chat not found"))
    await outbound.deliver(
        [EditMessage(chat_id=42, message_id=5, text="x"), SendMessage(chat_id=42, text="y")]
    )
    assert api.methods() == ["editMessageText", "sendMessage"]
    assert "chat not found" in caplog.text


async def test_delete_of_gone_message_is_fine(
    outbound: TelegramOutbound, api: FakeApi, caplog: pytest.LogCaptureFixture
) -> None:
    api.fail("deleteMessage", BadRequest("Bad Request: message to delete not found"))
    await outbound.deliver([DeleteMessage(chat_id=42, message_id=5)])
    assert api.methods() == ["deleteMessage"]
    assert "not delivered" not in caplog.text


async def test_toast_files_leave_and_refresh(
    outbound: TelegramOutbound, api: FakeApi, rec: Recorder
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 10
    await outbound.deliver(
        [
            Toast(callback_id="q", text="Saved", alert=True),
            SendDocument(chat_id=42, filename="data.json", content=b"{}", caption="Your data"),
            SendPhoto(chat_id=42, content=png),
            SendDocument(chat_id=42, filename="long.txt", content=b"x", caption="c" * 2000),
            LeaveChat(chat_id=-100),
            RefreshCommands(user_id=42),
        ]
    )
    assert api.methods() == [
        "answerCallbackQuery",
        "sendDocument",
        "sendPhoto",
        "sendMessage",
        "sendDocument",
        "leaveChat",
    ]
    assert api.calls[0].params == {"callback_query_id": "q", "text": "Saved", "show_alert": True}
    assert api.calls[1].files == {"document": ("data.json", b"{}")}
    assert api.calls[1].params["caption"] == "Your data"
    assert api.calls[2].files == {"photo": ("image.png", png)}
    assert "caption" not in api.calls[4].params
    assert rec.refreshed == [42]


async def test_a_photo_telegram_holds_is_sent_by_file_id(
    outbound: TelegramOutbound, api: FakeApi
) -> None:
    await outbound.deliver(
        [
            SendPhoto(chat_id=42, file_id="AgACAgIAAx", caption="Question 1, photo 1 of 2"),
            SendPhoto(chat_id=42, file_id="AgACAgIAAy"),
        ]
    )
    assert api.methods() == ["sendPhoto", "sendPhoto"]
    assert api.calls[0].params == {
        "chat_id": 42,
        "photo": "AgACAgIAAx",
        "caption": "Question 1, photo 1 of 2",
    }
    assert api.calls[1].params == {"chat_id": 42, "photo": "AgACAgIAAy"}
    assert not api.calls[0].files and not api.calls[1].files  # nothing is uploaded
