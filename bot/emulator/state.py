"""Everything the emulated Telegram server knows, and the access rules it applies.

Method handlers (``methods/``) and the test-facing :class:`~bot.emulator.world.World` both work
on this state; it is plain data plus the checks Telegram makes before a bot may act on a chat.
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.emulator.errors import bad_request, chat_not_found, forbidden
from bot.emulator.faults import Faults, RateLimiter
from bot.emulator.models import (
    BotIdentity,
    CallbackRecord,
    CallRecord,
    Group,
    PollState,
    StoredFile,
    StoredMessage,
    User,
)
from bot.emulator.notify import Signal
from bot.emulator.updates import UpdateQueue
from bot.emulator.views import ChatMessage, buttons_of

Chat = User | Group
ActivityKind = Literal["sent", "edited", "deleted"]


@dataclass(frozen=True)
class Activity:
    """Something the bot did to a message, in the order it happened."""

    seq: int
    chat_id: int
    kind: ActivityKind
    message: ChatMessage


@dataclass(eq=False)
class WebhookConfig:
    """The webhook as set by setWebhook, and the last delivery error."""

    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass(eq=False)
class Traffic:
    """Requests currently being served, for :meth:`World.wait_idle`.

    A long-polling getUpdates that is only waiting is not counted, since the bot is idle then.
    """

    in_flight: int = 0
    last_change: float = field(default_factory=time.monotonic)

    def change(self, delta: int) -> None:
        """Adjusts the count and remembers when it last changed."""
        self.in_flight += delta
        self.last_change = time.monotonic()


class WorldState:
    """The server's state: people, chats, messages, files, polls, updates, calls and faults."""

    def __init__(
        self,
        token: str | None = None,
        bot: BotIdentity | None = None,
        privacy_mode: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.bot = bot or BotIdentity()
        self.token = token or f"{self.bot.id}:emulator-token"
        self.privacy_mode = privacy_mode
        self.clock = clock
        self.signal = Signal()
        self.updates = UpdateQueue(self.signal)
        self.webhook = WebhookConfig()
        self.faults = Faults()
        self.limiter: RateLimiter | None = None
        self.traffic = Traffic()
        self.calls: list[CallRecord] = []
        self.activity: list[Activity] = []
        self.users: dict[int, User] = {}
        self.groups: dict[int, Group] = {}
        self.messages: dict[int, dict[int, StoredMessage]] = {}
        self.files: dict[str, StoredFile] = {}
        self.polls: dict[str, PollState] = {}
        self.callbacks: dict[str, CallbackRecord] = {}
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.closed = False
        self.poll_generation = 0
        self._user_ids = itertools.count(100_001)
        self._supergroup_ids = itertools.count(1_000_000_001)
        self._group_ids = itertools.count(4_000_001)
        self._ids = itertools.count(1)

    # -- identifiers --------------------------------------------------------------------------

    def now(self) -> int:
        """Returns the current Unix time, as Telegram dates are."""
        return int(self.clock())

    def new_user_id(self) -> int:
        """Returns a fresh user id."""
        return next(self._user_ids)

    def new_group_id(self, supergroup: bool) -> int:
        """Returns a fresh chat id shaped like Telegram's (-100... for supergroups)."""
        if supergroup:
            return -(1_000_000_000_000 + next(self._supergroup_ids))
        return -next(self._group_ids)

    def new_token(self, prefix: str) -> str:
        """Returns a fresh opaque identifier (file ids, poll ids, callback ids)."""
        return f"{prefix}{next(self._ids)}{secrets.token_hex(4)}"

    # -- chats and access -----------------------------------------------------------------

    def resolve_chat(self, ref: int | str) -> Chat:
        """Finds a chat by id or ``@username`` (public groups only, like Telegram).

        Raises:
            ApiError: ``chat not found``.
        """
        if isinstance(ref, str):
            if ref.startswith("@"):
                for group in self.groups.values():
                    if group.username and group.username.lower() == ref[1:].lower():
                        return group
                raise chat_not_found()
            try:
                ref = int(ref)
            except ValueError:
                raise chat_not_found() from None
        if ref in self.users:
            return self.users[ref]
        if ref in self.groups:
            return self.groups[ref]
        raise chat_not_found()

    def check_group_access(self, group: Group) -> None:
        """Raises Telegram's 403 when the bot is not in the group."""
        chat_kind = f"{group.kind} chat"
        if group.bot_status == "kicked":
            raise forbidden(f"bot was kicked from the {chat_kind}")
        if not group.bot_present:
            raise forbidden(f"bot is not a member of the {chat_kind}")

    def writable_chat(self, ref: int | str) -> Chat:
        """Finds a chat the bot may send to.

        Raises:
            ApiError: chat not found, blocked, never started, or not a member.
        """
        chat = self.resolve_chat(ref)
        if isinstance(chat, User):
            if chat.blocked:
                raise forbidden("bot was blocked by the user")
            if not chat.started:
                raise forbidden("bot can't initiate conversation with a user")
        else:
            self.check_group_access(chat)
        return chat

    def visible_chat(self, ref: int | str) -> Chat:
        """Finds a chat the bot may read about (getChat, getChatMember...)."""
        chat = self.resolve_chat(ref)
        if isinstance(chat, Group):
            self.check_group_access(chat)
        elif not chat.started and not any(
            g.bot_present and g.has_member(chat.id) for g in self.groups.values()
        ):
            raise chat_not_found()
        return chat

    def chat_json(self, chat_id: int) -> dict[str, Any]:
        """Returns the Telegram ``Chat`` object for a chat id."""
        chat = self.resolve_chat(chat_id)
        return chat.chat_json()

    def sender_json(self, sender_id: int) -> dict[str, Any]:
        """Returns the Telegram ``User`` object of the bot or a person."""
        if sender_id == self.bot.id:
            return self.bot.to_json()
        return self.users[sender_id].to_json()

    # -- messages -------------------------------------------------------------------------

    def store_message(
        self,
        chat_id: int,
        sender_id: int,
        content: dict[str, Any],
        reply_markup: dict[str, Any] | None = None,
    ) -> StoredMessage:
        """Adds a message to a chat with the next message id of that chat."""
        chat_messages = self.messages.setdefault(chat_id, {})
        message_id = max(chat_messages, default=0) + 1
        message = StoredMessage(chat_id, message_id, sender_id, self.now(), content, reply_markup)
        chat_messages[message_id] = message
        return message

    def find_message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        """Returns a message that exists and was not deleted."""
        message = self.messages.get(chat_id, {}).get(message_id)
        if message is None or message.deleted:
            return None
        return message

    def message_json(self, message: StoredMessage) -> dict[str, Any]:
        """Returns the Telegram ``Message`` object for the current state of a message."""
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "from": self.sender_json(message.sender_id),
            "chat": self.chat_json(message.chat_id),
            "date": message.date,
        }
        data.update(message.content)
        if message.poll_id is not None:
            data["poll"] = self.polls[message.poll_id].to_json()
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        if message.reply_markup is not None:
            data["reply_markup"] = message.reply_markup
        return data

    def snapshot(self, message: StoredMessage) -> ChatMessage:
        """Returns a frozen view of a message as it is now."""
        raw = self.message_json(message)
        return ChatMessage(
            chat_id=message.chat_id,
            message_id=message.message_id,
            sender_id=message.sender_id,
            from_bot=message.sender_id == self.bot.id,
            text=raw.get("text"),
            caption=raw.get("caption"),
            buttons=buttons_of(message.reply_markup),
            edited=message.edit_date is not None,
            raw=raw,
        )

    def record_activity(self, message: StoredMessage, kind: ActivityKind) -> None:
        """Logs what the bot did to a message and wakes anyone waiting for it."""
        seq = len(self.activity) + 1
        self.activity.append(Activity(seq, message.chat_id, kind, self.snapshot(message)))
        self.signal.notify()

    # -- files ----------------------------------------------------------------------------

    def store_file(
        self, data: bytes, file_name: str | None, mime_type: str | None, folder: str
    ) -> StoredFile:
        """Keeps an uploaded file in memory and gives it a file_id and a download path."""
        file_id = self.new_token("F")
        extension = ""
        if file_name and "." in file_name:
            extension = "." + file_name.rsplit(".", 1)[1]
        stored = StoredFile(
            file_id=file_id,
            file_unique_id=self.new_token("U"),
            file_path=f"{folder}/file_{len(self.files)}{extension}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
        )
        self.files[file_id] = stored
        return stored

    def file_by_id(self, file_id: str) -> StoredFile:
        """Finds a stored file.

        Raises:
            ApiError: ``invalid file_id``.
        """
        stored = self.files.get(file_id)
        if stored is None:
            raise bad_request("invalid file_id")
        return stored

    def file_by_path(self, file_path: str) -> StoredFile | None:
        """Finds a stored file by its download path."""
        return next((f for f in self.files.values() if f.file_path == file_path), None)

    async def pause(self, seconds: float) -> None:
        """Sleeps for ``seconds`` or until the server closes, whichever comes first."""
        deadline = time.monotonic() + seconds
        while not self.closed:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            await self.signal.wait(remaining)

    # -- records --------------------------------------------------------------------------

    def log_call(self, record: CallRecord) -> None:
        """Appends a received call to :attr:`calls`."""
        self.calls.append(record)
        self.signal.notify()
