"""Read-only snapshots of messages, as a test or the control API sees them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Button:
    """One inline keyboard button."""

    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class ChatMessage:
    """A message as it stands in a chat at the moment of the snapshot.

    Attributes:
        chat_id: The chat the message is in.
        message_id: Its id, increasing per chat.
        sender_id: The user id of the sender (the bot's id for bot messages).
        from_bot: True for messages the bot sent.
        text: The text (after entity parsing), or None for media.
        caption: The caption of a document or photo.
        buttons: The inline keyboard, row by row.
        edited: True once the message has been edited.
        raw: The full Telegram ``Message`` object.
    """

    chat_id: int
    message_id: int
    sender_id: int
    from_bot: bool
    text: str | None
    caption: str | None
    buttons: tuple[tuple[Button, ...], ...]
    edited: bool
    raw: dict[str, Any]

    @property
    def flat_buttons(self) -> list[Button]:
        """All buttons, left to right and top to bottom."""
        return [button for row in self.buttons for button in row]

    @property
    def body(self) -> str:
        """The text, or the caption for media messages, or an empty string."""
        return self.text or self.caption or ""

    @property
    def document(self) -> dict[str, Any] | None:
        """The Telegram ``Document`` object, if any."""
        value = self.raw.get("document")
        return value if isinstance(value, dict) else None

    @property
    def photo(self) -> list[dict[str, Any]] | None:
        """The Telegram ``PhotoSize`` objects of a photo (smallest first), if any."""
        value = self.raw.get("photo")
        return value if isinstance(value, list) else None

    @property
    def poll(self) -> dict[str, Any] | None:
        """The Telegram ``Poll`` object, if any."""
        value = self.raw.get("poll")
        return value if isinstance(value, dict) else None

    def to_json(self) -> dict[str, Any]:
        """Returns a JSON-friendly summary, for the control API."""
        return {
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "sender_id": self.sender_id,
            "from_bot": self.from_bot,
            "text": self.text,
            "caption": self.caption,
            "buttons": [
                [{"text": b.text, "callback_data": b.callback_data, "url": b.url} for b in row]
                for row in self.buttons
            ],
            "edited": self.edited,
            "raw": self.raw,
        }


def buttons_of(reply_markup: dict[str, Any] | None) -> tuple[tuple[Button, ...], ...]:
    """Extracts the inline keyboard of a reply markup (other keyboards give no buttons)."""
    if not reply_markup or "inline_keyboard" not in reply_markup:
        return ()
    return tuple(
        tuple(
            Button(
                text=str(button.get("text", "")),
                callback_data=button.get("callback_data"),
                url=button.get("url"),
            )
            for button in row
        )
        for row in reply_markup["inline_keyboard"]
    )
