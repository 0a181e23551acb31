"""The test-facing control API: act as many people at once and read what the bot did."""

from __future__ import annotations

import asyncio
import mimetypes
import time
import zlib
from collections.abc import Callable, Iterable
from typing import Any

from bot.emulator.errors import ApiError
from bot.emulator.faults import RateLimiter
from bot.emulator.images import image_size
from bot.emulator.members import member_update
from bot.emulator.methods.commands import scope_key
from bot.emulator.models import (
    BotIdentity,
    CallbackAnswer,
    CallbackRecord,
    Group,
    MemberStatus,
    User,
)
from bot.emulator.state import WorldState
from bot.emulator.views import ChatMessage

ChatRef = User | Group | int
Predicate = Callable[[ChatMessage], bool]
PHOTO_SIDES = (90, 320, 800, 1280)
"""The longest side of the smaller sizes Telegram makes of a photo (its s, m, x, y sizes)."""
PHOTO_MAX_SIDE = 2560
"""The longest side of the largest size Telegram keeps of a photo."""


def _chat_id(chat: ChatRef) -> int:
    return chat if isinstance(chat, int) else chat.id


def _update_chat(update: dict[str, Any]) -> int | None:
    """The chat an update happened in (None for poll answers and other chatless updates)."""
    payload = next(value for key, value in update.items() if key != "update_id")
    chat = payload.get("chat") or (payload.get("message") or {}).get("chat") or {}
    chat_id = chat.get("id")
    return chat_id if isinstance(chat_id, int) else None


class World(WorldState):
    """The emulated Telegram: the state, plus actions a test performs as people.

    Args:
        token: The only token the server accepts (default ``"<bot id>:emulator-token"``).
        bot: The bot's identity (id, username, first name).
        privacy_mode: In groups, deliver only commands, replies to the bot and service
            messages unless the bot is an administrator (Telegram's default for bots).
        clock: Source of Unix time for message dates.
    """

    def __init__(
        self,
        token: str | None = None,
        bot: BotIdentity | None = None,
        privacy_mode: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(token=token, bot=bot, privacy_mode=privacy_mode, clock=clock)
        self._cursors: dict[int, int] = {}

    # -- people and groups ----------------------------------------------------------------

    def user(
        self,
        first_name: str,
        language_code: str | None = "en",
        user_id: int | None = None,
        username: str | None = None,
        last_name: str | None = None,
    ) -> User:
        """Creates a person (who has not started the bot yet)."""
        person = User(
            id=user_id if user_id is not None else self.new_user_id(),
            first_name=first_name,
            language_code=language_code,
            username=username,
            last_name=last_name,
        )
        if person.id in self.users:
            raise ValueError(f"user {person.id} already exists")
        self.users[person.id] = person
        return person

    def group(
        self,
        title: str,
        members: Iterable[User] = (),
        admins: Iterable[User] = (),
        creator: User | None = None,
        supergroup: bool = True,
        username: str | None = None,
    ) -> Group:
        """Creates a group without the bot in it (add it with :meth:`add_bot`).

        The creator defaults to the first admin, else the first member.
        """
        member_list, admin_list = list(members), list(admins)
        candidates = admin_list or member_list
        creator = creator or (candidates[0] if candidates else None)
        group = Group(self.new_group_id(supergroup), title, supergroup, username)
        for person in member_list:
            group.statuses[person.id] = "member"
        for person in admin_list:
            group.statuses[person.id] = "administrator"
        if creator is not None:
            group.statuses[creator.id] = "creator"
        self.groups[group.id] = group
        return group

    # -- what people do -------------------------------------------------------------------

    async def send_text(
        self,
        user: User,
        text: str,
        chat: ChatRef | None = None,
        reply_to: ChatMessage | None = None,
    ) -> ChatMessage:
        """Sends a text as ``user`` in their private chat with the bot, or in ``chat``.

        A text starting with ``/`` carries a ``bot_command`` entity, as Telegram adds.

        Returns:
            The person's message.
        """
        chat_id = user.id if chat is None else _chat_id(chat)
        group = self.groups.get(chat_id)
        if group is None:
            if chat_id != user.id:
                raise ValueError("a person can only write in their own private chat or a group")
            if user.blocked:
                await self.unblock_bot(user)
            user.started = True
        elif not group.has_member(user.id):
            raise ValueError(f"{user.first_name} is not a member of {group.title}")
        content: dict[str, Any] = {"text": text}
        command = text.startswith("/") and len(text) > 1
        if command:
            length = len(text.split(maxsplit=1)[0].encode("utf-16-le")) // 2
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        if reply_to is not None:
            original = self.find_message(chat_id, reply_to.message_id)
            if original is None:
                raise ValueError("the message replied to does not exist")
            content["reply_to_message"] = self.message_json(original)
        message = self.store_message(chat_id, user.id, content)
        replying_to_bot = reply_to is not None and reply_to.from_bot
        if group is None or (
            group.bot_present
            and (
                not self.privacy_mode
                or command
                or replying_to_bot
                or group.bot_status == "administrator"
            )
        ):
            self.updates.push("message", self.message_json(message))
        await asyncio.sleep(0)
        return self.snapshot(message)

    async def send_document(
        self,
        user: User,
        file_name: str,
        content: bytes,
        mime_type: str | None = None,
        caption: str = "",
    ) -> ChatMessage:
        """Sends a file as ``user`` in their private chat with the bot.

        The file is stored like an upload, so the bot can fetch it with getFile and the
        ``/file/`` download route.

        Returns:
            The person's message (its ``document`` names the stored file).
        """
        if not content:
            raise ValueError("a document must not be empty")
        if user.blocked:
            await self.unblock_bot(user)
        user.started = True
        mime = mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        stored = self.store_file(content, file_name, mime, "documents")
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": file_name,
            "mime_type": mime,
            "file_size": len(content),
        }
        return await self._send_media(user, {"document": document}, caption)

    async def send_photo(self, user: User, content: bytes, caption: str = "") -> ChatMessage:
        """Sends a photo as ``user`` in their private chat with the bot.

        Like Telegram, the message's ``photo`` is an array of ``PhotoSize``, smallest first:
        a size for each of Telegram's thumbnail sides below the image's longest side, then the
        image itself (at most 2560 pixels on its longest side). The emulator does not resample:
        every size is stored with the original bytes under its own ``file_id``, so the bot can
        send any of them again (sendPhoto) or fetch it (getFile).

        Returns:
            The person's message.

        Raises:
            ValueError: ``content`` is not a PNG, JPEG, GIF or WebP image.
        """
        try:
            width, height = image_size(content)
        except ApiError as error:
            raise ValueError("a photo must be a PNG, JPEG, GIF or WebP image") from error
        if user.blocked:
            await self.unblock_bot(user)
        user.started = True
        longest = max(width, height)
        sides = [side for side in PHOTO_SIDES if side < longest] + [min(longest, PHOTO_MAX_SIDE)]
        sizes = []
        for side in sides:
            stored = self.store_file(content, "photo.jpg", "image/jpeg", "photos")
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "width": max(1, round(width * side / longest)),
                    "height": max(1, round(height * side / longest)),
                    "file_size": len(content),
                }
            )
        return await self._send_media(user, {"photo": sizes}, caption)

    async def _send_media(self, user: User, content: dict[str, Any], caption: str) -> ChatMessage:
        """Store a media message from ``user`` in their private chat and deliver its update."""
        if caption:
            content["caption"] = caption
        message = self.store_message(user.id, user.id, content)
        self.updates.push("message", self.message_json(message))
        await asyncio.sleep(0)
        return self.snapshot(message)

    async def edit_text(self, user: User, message: ChatMessage, new_text: str) -> ChatMessage:
        """Edits a text the person sent earlier (an ``edited_message`` update).

        Returns:
            The message after the edit.
        """
        stored = self.find_message(message.chat_id, message.message_id)
        if stored is None or stored.sender_id != user.id:
            raise ValueError("a person can only edit their own existing messages")
        stored.content["text"] = new_text
        stored.edit_date = self.now()
        group = self.groups.get(stored.chat_id)
        if group is None or group.bot_present:
            self.updates.push("edited_message", self.message_json(stored))
        await asyncio.sleep(0)
        return self.snapshot(stored)

    async def press(
        self,
        user: User,
        message: ChatMessage,
        button_text: str | None = None,
        data: str | None = None,
    ) -> str:
        """Presses an inline button on a bot message (a ``callback_query`` update).

        Args:
            user: Who presses.
            message: The bot's message (its current keyboard is used).
            button_text: The label of the button to press.
            data: Raw callback data, to press a button by data or to forge any data.

        Returns:
            The callback query id, for :meth:`answer_for`.
        """
        stored = self.find_message(message.chat_id, message.message_id)
        if stored is None:
            raise ValueError("the message no longer exists")
        group = self.groups.get(stored.chat_id)
        if (group is None and stored.chat_id != user.id) or (
            group is not None and not group.has_member(user.id)
        ):
            raise ValueError(f"{user.first_name} cannot see this message")
        if data is None:
            if button_text is None:
                raise ValueError("give button_text or data")
            current = self.snapshot(stored)
            button = next((b for b in current.flat_buttons if b.text == button_text), None)
            if button is None or button.callback_data is None:
                labels = [b.text for b in current.flat_buttons]
                raise ValueError(f"no callback button {button_text!r}; buttons: {labels}")
            data = button.callback_data
        query_id = self.new_token("Q")
        self.callbacks[query_id] = CallbackRecord(
            query_id, user.id, stored.chat_id, stored.message_id, data
        )
        self.updates.push(
            "callback_query",
            {
                "id": query_id,
                "from": user.to_json(),
                "message": self.message_json(stored),
                "chat_instance": str(zlib.crc32(str(stored.chat_id).encode())),
                "data": data,
            },
        )
        await asyncio.sleep(0)
        return query_id

    def answer_for(self, callback_id: str) -> CallbackAnswer | None:
        """Returns how the bot answered a button press, or None while unanswered."""
        return self.callbacks[callback_id].answer

    async def answer_poll(
        self, user: User, poll_message: ChatMessage, option_ids: list[int]
    ) -> None:
        """Votes in a poll the bot sent (an empty list retracts the vote)."""
        stored = self.find_message(poll_message.chat_id, poll_message.message_id)
        if stored is None or stored.poll_id is None:
            raise ValueError("not an existing poll message")
        poll = self.polls[stored.poll_id]
        if poll.is_closed:
            raise ValueError("the poll is closed")
        if any(not 0 <= option < len(poll.options) for option in option_ids):
            raise ValueError("no such option")
        if len(option_ids) > 1 and not poll.allows_multiple_answers:
            raise ValueError("the poll allows one answer")
        if poll.votes.get(user.id) and not poll.allows_revoting:
            raise ValueError("the poll does not allow changing a vote")
        if option_ids:
            poll.votes[user.id] = sorted(set(option_ids))
        else:
            poll.votes.pop(user.id, None)
        self.updates.push("poll", poll.to_json())
        if not poll.is_anonymous:
            self.updates.push(
                "poll_answer",
                {
                    "poll_id": poll.id,
                    "user": user.to_json(),
                    "option_ids": sorted(set(option_ids)),
                    "option_persistent_ids": [str(i) for i in sorted(set(option_ids))],
                },
            )
        await asyncio.sleep(0)

    async def join(self, user: User, group: Group) -> None:
        """Adds a person to a group (service message and ``chat_member`` update)."""
        old = group.statuses.get(user.id, "left")
        group.statuses[user.id] = "member"
        self._member_changed(group, user, user.to_json(), old, "member")
        self._service_message(group, user, {"new_chat_members": [user.to_json()]})
        await asyncio.sleep(0)

    async def leave(self, user: User, group: Group) -> None:
        """Removes a person from a group (service message and ``chat_member`` update)."""
        old = group.statuses.get(user.id, "left")
        group.statuses[user.id] = "left"
        self._member_changed(group, user, user.to_json(), old, "left")
        self._service_message(group, user, {"left_chat_member": user.to_json()})
        await asyncio.sleep(0)

    async def add_bot(self, group: Group, by: User, as_admin: bool = False) -> None:
        """Adds the bot to a group (``my_chat_member`` from ``by``, then a service message)."""
        if not group.has_member(by.id) or (as_admin and not group.is_admin(by.id)):
            raise ValueError(f"{by.first_name} may not add the bot this way")
        old = group.bot_status
        group.bot_status = "administrator" if as_admin else "member"
        self._bot_status_changed(group.chat_json(), by, old, group.bot_status)
        self._service_message(group, by, {"new_chat_members": [self.bot.to_json()]})
        await asyncio.sleep(0)

    async def remove_bot(self, group: Group, by: User) -> None:
        """Removes the bot from a group (kicked in supergroups, left in basic groups)."""
        if not group.is_admin(by.id):
            raise ValueError(f"{by.first_name} is not an administrator")
        old = group.bot_status
        group.bot_status = "kicked" if group.supergroup else "left"
        self._bot_status_changed(group.chat_json(), by, old, group.bot_status)
        await asyncio.sleep(0)

    async def block_bot(self, user: User) -> None:
        """The person blocks the bot (``my_chat_member``: kicked)."""
        user.blocked = True
        self._bot_status_changed(user.chat_json(), user, "member", "kicked")
        await asyncio.sleep(0)

    async def unblock_bot(self, user: User) -> None:
        """The person unblocks the bot (``my_chat_member``: member)."""
        user.blocked = False
        user.started = True
        self._bot_status_changed(user.chat_json(), user, "kicked", "member")
        await asyncio.sleep(0)

    async def redeliver(self, update_id: int) -> None:
        """Delivers an update a second time, with the same ``update_id``.

        Telegram does this when the bot's confirmation got lost (a crash before the next
        getUpdates, a webhook answer that timed out). A correct bot handles the update once.

        Raises:
            ValueError: No such update was queued.
        """
        self.updates.redeliver(update_id)
        await asyncio.sleep(0)

    async def redeliver_last(self, chat: ChatRef, kind: str | None = None) -> int:
        """Delivers the latest update of a chat (optionally of one ``kind``) a second time.

        Args:
            chat: The person (private chat), group, or chat id the update happened in.
            kind: The update type, e.g. ``"message"`` or ``"callback_query"``; any when None.

        Returns:
            The update_id delivered again.

        Raises:
            ValueError: No update of that chat was queued.
        """
        chat_id = _chat_id(chat)
        for update_id, update in reversed(self.updates.history.items()):
            update_kind = next(key for key in update if key != "update_id")
            if (kind is None or update_kind == kind) and _update_chat(update) == chat_id:
                await self.redeliver(update_id)
                return update_id
        raise ValueError(f"no {kind or 'update'} from chat {chat_id} to deliver again")

    def _bot_status_changed(
        self, chat: dict[str, Any], by: User, old: MemberStatus, new: MemberStatus
    ) -> None:
        payload = member_update(chat, by.to_json(), self.bot.to_json(), old, new, self.now())
        self.updates.push("my_chat_member", payload)

    def _member_changed(
        self,
        group: Group,
        actor: User,
        subject: dict[str, Any],
        old: MemberStatus,
        new: MemberStatus,
    ) -> None:
        # Telegram sends chat_member only to administrators, and only when asked for.
        if group.bot_status == "administrator":
            payload = member_update(
                group.chat_json(), actor.to_json(), subject, old, new, self.now()
            )
            self.updates.push("chat_member", payload)

    def _service_message(self, group: Group, actor: User, content: dict[str, Any]) -> None:
        message = self.store_message(group.id, actor.id, content)
        if group.bot_present:
            self.updates.push("message", self.message_json(message))

    # -- reading --------------------------------------------------------------------------

    def chat_messages(self, chat: ChatRef) -> list[ChatMessage]:
        """Returns every message of a chat as it is now, oldest first (deleted ones omitted)."""
        stored = self.messages.get(_chat_id(chat), {}).values()
        return [self.snapshot(m) for m in stored if not m.deleted]

    def bot_messages(self, chat: ChatRef) -> list[ChatMessage]:
        """Returns the bot's messages of a chat as they are now."""
        return [m for m in self.chat_messages(chat) if m.from_bot]

    def last_bot_message(self, chat: ChatRef) -> ChatMessage | None:
        """Returns the bot's latest message in a chat, or None."""
        messages = self.bot_messages(chat)
        return messages[-1] if messages else None

    def message(self, chat: ChatRef, message_id: int) -> ChatMessage | None:
        """Returns one message as it is now, or None if missing or deleted."""
        stored = self.find_message(_chat_id(chat), message_id)
        return None if stored is None else self.snapshot(stored)

    def calls_of(self, method: str) -> list[Any]:
        """Returns the logged calls of one method (name compared case-insensitively)."""
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def my_commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[Any]:
        """Returns the commands set for exactly this scope and language."""
        return list(self.commands.get((scope_key(scope), language_code), []))

    async def wait_for(
        self,
        chat: ChatRef,
        predicate: Predicate | None = None,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - the test-facing API takes a plain timeout
    ) -> list[ChatMessage]:
        """Waits until the bot has sent or edited ``count`` matching messages in a chat.

        Each chat has a read cursor: a call only looks at what the bot did after the last
        message an earlier call returned, so consecutive calls read the conversation in order
        however fast the bot answered. Messages are snapshots taken when the bot acted (an edit
        shows the edited text).

        Args:
            chat: The person (private chat), group, or chat id.
            predicate: Which messages count; all by default.
            count: How many to wait for.
            timeout: Seconds before giving up.

        Returns:
            The matching messages, in order.

        Raises:
            TimeoutError: Fewer than ``count`` arrived in time; the message lists what did.
        """
        chat_id = _chat_id(chat)
        deadline = time.monotonic() + timeout
        while True:
            cursor = self._cursors.get(chat_id, 0)
            found: list[ChatMessage] = []
            last = cursor
            for act in self.activity[cursor:]:
                if act.chat_id != chat_id or act.kind == "deleted":
                    continue
                if predicate is None or predicate(act.message):
                    found.append(act.message)
                    last = act.seq
                    if len(found) == count:
                        self._cursors[chat_id] = last
                        return found
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.closed:
                seen = [a.message.body for a in self.activity[cursor:] if a.chat_id == chat_id]
                raise TimeoutError(
                    f"waited {timeout}s for {count} bot message(s) in chat {chat_id}; "
                    f"matched {len(found)}; bot activity since last read: {seen}"
                )
            await self.signal.wait(remaining)

    async def wait_idle(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109 - the test-facing API takes a plain timeout
        quiet: float = 0.05,
    ) -> None:
        """Waits until the bot confirmed every update and made no request for ``quiet`` s.

        Raises:
            TimeoutError: The bot stayed busy (or unconfirmed updates remained).
        """
        deadline = time.monotonic() + timeout
        while True:
            busy = self.updates.available(1) or self.traffic.in_flight > 0
            if not busy and time.monotonic() - self.traffic.last_change >= quiet:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"bot not idle after {timeout}s: {self.updates.pending_count} pending "
                    f"update(s), {self.traffic.in_flight} request(s) in flight"
                )
            await asyncio.sleep(quiet / 5)

    # -- server behaviour -----------------------------------------------------------------

    def rate_limit(
        self,
        per_second_total: int | None = 30,
        per_chat_per_second: int = 1,
        per_group_per_minute: int = 20,
    ) -> None:
        """Turns on Telegram-like rate limits (429 with retry_after); None turns them off."""
        if per_second_total is None:
            self.limiter = None
        else:
            self.limiter = RateLimiter(per_second_total, per_chat_per_second, per_group_per_minute)

    def close(self) -> None:
        """Releases long polls, held requests and waiters (the server is stopping)."""
        self.closed = True
        self.signal.notify()
