"""Effects: what a flow wants done in Telegram, decided before anything is sent.

A flow returns effects; the engine commits the transaction and only then hands them to the one
outbound path in `bot/`, which turns them into Bot API calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flows.codec import Payload, decode, encode


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button: either a callback `payload` or a `url` (e.g. a deep link)."""

    text: str
    payload: Payload | None = None
    url: str | None = None


Keyboard = tuple[tuple[Button, ...], ...]


def keyboard_to_data(buttons: Keyboard) -> list[list[dict[str, str]]]:
    """Turn buttons into JSON-ready data, for messages stored before they are sent."""
    return [
        [
            {"text": b.text, "url": b.url}
            if b.url is not None
            else {"text": b.text, "data": encode(b.payload) if b.payload else ""}
            for b in row
        ]
        for row in buttons
    ]


def keyboard_from_data(rows: list[list[dict[str, str]]]) -> Keyboard:
    """Rebuild buttons stored with `keyboard_to_data`."""
    return tuple(
        tuple(
            Button(b["text"], url=b["url"]) if "url" in b else Button(b["text"], decode(b["data"]))
            for b in row
        )
        for row in rows
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class SendMessage:
    """Send `text` (plain text, no markup) to a chat, with optional inline buttons."""

    chat_id: int
    text: str
    buttons: Keyboard = ()
    reply_to: int | None = None
    silent: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class EditMessage:
    """Replace the text and buttons of a message the bot sent earlier.

    If the message is gone (deleted, too old), the outbound path sends `text` as a new message.
    """

    chat_id: int
    message_id: int
    text: str
    buttons: Keyboard = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Toast:
    """Answer a button press with a short notice (an alert box when `alert`)."""

    callback_id: str
    text: str = ""
    alert: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class SendDocument:
    """Send a file made in memory."""

    chat_id: int
    filename: str
    content: bytes
    caption: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SendPhoto:
    """Send an image made in memory, or one Telegram already holds.

    Give either `content` (PNG or JPEG bytes) or `file_id` (a photo someone sent the bot).
    """

    chat_id: int
    content: bytes = b""
    file_id: str | None = None
    caption: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteMessage:
    """Delete a message in a chat (a no-op if it is already gone)."""

    chat_id: int
    message_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaveChat:
    """Make the bot leave a group."""

    chat_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshCommands:
    """Re-publish the command menu of one person (after their role or language changed)."""

    user_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Schedule:
    """Do something later: a typed job stored with the transaction, run when due.

    `key` makes scheduling idempotent: a second job with the same kind and key replaces nothing.
    """

    kind: str
    due_at: datetime
    key: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class NativePoll:
    """Telegram's own poll, sent in place of a text message (rendered as sendPoll).

    Attributes:
        question: The question (1-300 characters as Telegram counts them).
        options: The answer options in order (1-100 characters each); answers name their index.
        anonymous: Telegram hides who voted: the bot then learns counts only, never answers.
        multiple: Several options may be chosen.
        changes_allowed: A voter may change or take back their answer.
        results_after_close: Nobody sees the counts until the poll is stopped.
        description: Shown under the question (deadline, who counts the votes).
    """

    question: str
    options: tuple[str, ...]
    anonymous: bool
    multiple: bool = False
    changes_allowed: bool = True
    results_after_close: bool = False
    description: str = ""

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data, for a poll stored in the outbox before it is sent."""
        return {
            "question": self.question,
            "options": list(self.options),
            "anonymous": self.anonymous,
            "multiple": self.multiple,
            "changes_allowed": self.changes_allowed,
            "results_after_close": self.results_after_close,
            "description": self.description,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> NativePoll:
        """Rebuild a poll stored with `to_data`."""
        return cls(**{**data, "options": tuple(data["options"])})


@dataclass(frozen=True, slots=True, kw_only=True)
class StopPoll:
    """Close a native poll the bot sent (stopPoll); a poll already closed is left as it is."""

    chat_id: int
    message_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Broadcast:
    """Send the same message to many chats through the persistent outbox.

    Stored with the transaction (one row per recipient) and sent at Telegram's pace; a crash
    mid-send resumes without losing or repeating a message. `batch` names the send: a recipient
    is never given two copies of one batch.

    Attributes:
        batch: A unique name for this send, e.g. `announce:12`.
        recipients: (chat id, member id or None) pairs.
        text: The message, already in the recipients' language (one batch per language).
        buttons: Inline buttons under it.
        urgent: Urgent messages ignore quiet hours.
        not_before: Send no earlier than this (quiet hours may push it later).
        poll: Send this native poll instead of `text` and `buttons`; what Telegram answers
            (its poll id) is kept with the outbox row.
    """

    batch: str
    recipients: tuple[tuple[int, int | None], ...]
    text: str
    buttons: Keyboard = ()
    urgent: bool = False
    not_before: datetime | None = None
    poll: NativePoll | None = None


Effect = (
    SendMessage
    | EditMessage
    | Toast
    | SendDocument
    | SendPhoto
    | DeleteMessage
    | StopPoll
    | LeaveChat
    | RefreshCommands
    | Schedule
    | Broadcast
)
