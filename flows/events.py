"""Framework-free inbound events.

A front end turns every Telegram update it receives into exactly one of these frozen values (or
drops it). Nothing here knows about aiogram or python-telegram-bot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from flows.codec import Payload


class ChatKind(StrEnum):
    """The kind of chat an event happened in, as Telegram names it."""

    PRIVATE = "private"
    GROUP = "group"
    SUPERGROUP = "supergroup"
    CHANNEL = "channel"


@dataclass(frozen=True, slots=True)
class Person:
    """A Telegram user as the update describes them."""

    user_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False


@dataclass(frozen=True, slots=True)
class Chat:
    """The chat an event happened in."""

    chat_id: int
    kind: ChatKind
    title: str | None = None

    @property
    def is_private(self) -> bool:
        """Whether this is a one-to-one chat with the bot."""
        return self.kind is ChatKind.PRIVATE

    @property
    def is_group(self) -> bool:
        """Whether this is a group or supergroup."""
        return self.kind in (ChatKind.GROUP, ChatKind.SUPERGROUP)


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundEvent:
    """What every event carries: its update id, when it happened, where and who."""

    update_id: int
    at: datetime
    chat: Chat
    sender: Person | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandReceived(InboundEvent):
    """A `/command args` message. `command` is lower-case, without the slash or `@botname`."""

    command: str
    args: str
    message_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TextReceived(InboundEvent):
    """A plain text message (not a command)."""

    text: str
    message_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentReceived(InboundEvent):
    """A document (file) message.

    `content` is the file itself when the front end fetched it before handing the event over
    (small documents in a private chat, see `bot/frontends/base.py`): handlers run inside a
    database transaction and must not wait on the network. Otherwise it is None.
    """

    file_id: str
    file_name: str | None
    mime_type: str | None
    file_size: int | None
    caption: str
    message_id: int
    content: bytes | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PhotoReceived(InboundEvent):
    """A photo message (a picture Telegram compressed, not an image sent as a file).

    Telegram sends each photo in several sizes; `file_id` and `file_unique_id` are those of
    the largest one. `file_id` is valid for this bot only and is enough to send the photo
    again (sendPhoto) or to download it (getFile).
    """

    file_id: str
    file_unique_id: str
    width: int
    height: int
    caption: str
    message_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class UnsupportedMessage(InboundEvent):
    """A message of a kind no flow handles yet (sticker, voice, location, ...)."""

    message_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageEdited(InboundEvent):
    """A person edited a message they had sent earlier."""

    message_id: int
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ButtonPressed(InboundEvent):
    """An inline button press. `payload` is None when the data could not be decoded."""

    callback_id: str
    payload: Payload | None
    message_id: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class PollAnswered(InboundEvent):
    """An answer to a native Telegram poll (empty `option_ids` means the vote was retracted)."""

    poll_id: str
    option_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class PollCounted(InboundEvent):
    """Telegram's current counts of a native poll the bot sent (a `poll` update).

    An anonymous native poll tells the bot nothing else: no answers, no voters. Such an update
    names neither a chat nor a person, so `chat` is a placeholder (id 0, a channel, where the
    bot never answers) and `sender` is None.
    """

    poll_id: str
    voter_counts: tuple[int, ...]
    total_voters: int
    is_closed: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberJoined(InboundEvent):
    """`member` joined the group `chat` (`sender` is who added them, if anyone)."""

    member: Person


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberLeft(InboundEvent):
    """`member` left or was removed from the group `chat`."""

    member: Person


@dataclass(frozen=True, slots=True, kw_only=True)
class BotAddedToChat(InboundEvent):
    """The bot became a member or administrator of a group; `sender` added it."""

    as_admin: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class BotRemovedFromChat(InboundEvent):
    """The bot was removed from a group or left it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BotBlocked(InboundEvent):
    """The person blocked the bot in their private chat."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BotUnblocked(InboundEvent):
    """The person unblocked the bot (restarted it) in their private chat."""
