"""One translator from a framework's Update to a framework-free inbound event.

aiogram and python-telegram-bot both model updates after the Bot API and use the same attribute
names (`message.from_user`, `callback_query.data`, `my_chat_member.new_chat_member.status`, ...),
so the translation is written once and reads attributes duck-typed. Anything the flows do not
handle yields None and is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flows.codec import decode
from flows.events import (
    BotAddedToChat,
    BotBlocked,
    BotRemovedFromChat,
    BotUnblocked,
    ButtonPressed,
    Chat,
    ChatKind,
    CommandReceived,
    DocumentReceived,
    InboundEvent,
    MemberJoined,
    MemberLeft,
    MessageEdited,
    Person,
    PhotoReceived,
    PollAnswered,
    PollCounted,
    TextReceived,
    UnsupportedMessage,
)

Now = Callable[[], datetime]

# `/command@botname args`: Telegram's own rule for commands (1-32 letters, digits, underscores).
_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,64}))?(?:\s+(.*))?$", re.DOTALL)
# Member statuses in which someone (or the bot) is in a chat.
_PRESENT = frozenset({"creator", "administrator", "member"})


def _utc_now() -> datetime:
    return datetime.now(UTC)


def translate(update: Any, bot_username: str, now: Now = _utc_now) -> InboundEvent | None:
    """Translate an aiogram or PTB `Update` into an inbound event, or None to drop it.

    Args:
        update: The framework's Update object.
        bot_username: The bot's username (from getMe), to recognise commands addressed to it.
        now: Time source for updates that carry no date (button presses, poll answers).
    """
    update_id = int(update.update_id)
    if (message := update.message) is not None:
        return _message(update_id, message, bot_username)
    if (edited := update.edited_message) is not None:
        return _edited(update_id, edited)
    if (query := update.callback_query) is not None:
        return _button(update_id, query, now())
    if (answer := update.poll_answer) is not None:
        return _poll_answer(update_id, answer, now())
    if (poll := update.poll) is not None:
        return _poll_counts(update_id, poll, now())
    if (change := update.my_chat_member) is not None:
        return _bot_membership(update_id, change)
    if (change := update.chat_member) is not None:
        return _membership(update_id, change)
    return None


def _maybe_person(user: Any) -> Person | None:
    return None if user is None else _person(user)


def _person(user: Any) -> Person:
    return Person(
        user_id=int(user.id),
        first_name=user.first_name,
        last_name=user.last_name,
        username=user.username,
        language_code=user.language_code,
        is_bot=bool(user.is_bot),
    )


def _chat(chat: Any) -> Chat:
    return Chat(chat_id=int(chat.id), kind=ChatKind(str(chat.type)), title=chat.title)


def _utc(moment: datetime | int) -> datetime:
    # aiogram leaves some dates (`edit_date`) as Unix seconds; a naive datetime would be UTC.
    if isinstance(moment, int):
        return datetime.fromtimestamp(moment, UTC)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _message(update_id: int, message: Any, bot_username: str) -> InboundEvent | None:
    base: dict[str, Any] = {
        "update_id": update_id,
        "at": _utc(message.date),
        "chat": _chat(message.chat),
        "sender": _maybe_person(message.from_user),
    }
    message_id = int(message.message_id)
    if message.new_chat_members:
        return _joined(base, message.new_chat_members, bot_username)
    if (left := message.left_chat_member) is not None:
        if _is_self(left, bot_username):
            return None  # my_chat_member reports the bot's own removal
        return MemberLeft(**base, member=_person(left))
    if (text := message.text) is not None:
        if (match := _COMMAND.match(text)) is not None:
            command, addressee, args = match.groups()
            if addressee and addressee.lower() != bot_username.lower():
                return None  # meant for another bot in the group
            return CommandReceived(
                **base, command=command.lower(), args=(args or "").strip(), message_id=message_id
            )
        return TextReceived(**base, text=text, message_id=message_id)
    if (document := message.document) is not None:
        return DocumentReceived(
            **base,
            file_id=document.file_id,
            file_name=document.file_name,
            mime_type=document.mime_type,
            file_size=document.file_size,
            caption=message.caption or "",
            message_id=message_id,
        )
    if message.photo:
        largest = _largest(message.photo)
        return PhotoReceived(
            **base,
            file_id=largest.file_id,
            file_unique_id=largest.file_unique_id,
            width=int(largest.width),
            height=int(largest.height),
            caption=message.caption or "",
            message_id=message_id,
        )
    if _is_service(message):
        return None
    return UnsupportedMessage(**base, message_id=message_id)


def _largest(sizes: Any) -> Any:
    # Telegram lists a photo's sizes smallest first, but says nothing that promises it.
    return max(sizes, key=lambda size: (int(size.width) * int(size.height), size.file_size or 0))


def _joined(base: dict[str, Any], members: Any, bot_username: str) -> InboundEvent | None:
    # One update is one event (the engine deduplicates by update id), so when several people
    # are added at once only the first is reported here; `chat_member` updates, which Telegram
    # sends one per person when the bot is an administrator, report every one of them.
    for user in members:
        if not _is_self(user, bot_username):
            return MemberJoined(**base, member=_person(user))
    return None  # only the bot itself was added: my_chat_member reports that


def _is_self(user: Any, bot_username: str) -> bool:
    return bool(user.is_bot) and (user.username or "").lower() == bot_username.lower()


def _is_service(message: Any) -> bool:
    # Pins, title changes and the like are not something a person said to the bot.
    return any(
        getattr(message, name, None)
        for name in (
            "pinned_message",
            "new_chat_title",
            "new_chat_photo",
            "delete_chat_photo",
            "group_chat_created",
            "supergroup_chat_created",
            "migrate_to_chat_id",
            "migrate_from_chat_id",
        )
    )


def _edited(update_id: int, message: Any) -> InboundEvent:
    return MessageEdited(
        update_id=update_id,
        at=_utc(message.edit_date or message.date),
        chat=_chat(message.chat),
        sender=_maybe_person(message.from_user),
        message_id=int(message.message_id),
        text=message.text or message.caption or "",
    )


def _button(update_id: int, query: Any, now: datetime) -> InboundEvent | None:
    sender = _person(query.from_user)
    message = query.message
    if message is None:
        # Presses on inline-mode messages carry no chat; the bot sends none of those.
        return None
    return ButtonPressed(
        update_id=update_id,
        at=now,
        chat=_chat(message.chat),
        sender=sender,
        callback_id=str(query.id),
        payload=decode(query.data),
        message_id=int(message.message_id),
    )


def _poll_answer(update_id: int, answer: Any, now: datetime) -> InboundEvent | None:
    voter = _maybe_person(answer.user)
    if voter is None:
        return None  # an anonymous channel voted: there is no person to count
    return PollAnswered(
        update_id=update_id,
        at=now,
        # Poll answers carry no chat; the answer is the person's own act, as in their private chat.
        chat=Chat(chat_id=voter.user_id, kind=ChatKind.PRIVATE),
        sender=voter,
        poll_id=str(answer.poll_id),
        option_ids=tuple(int(option) for option in answer.option_ids),
    )


def _poll_counts(update_id: int, poll: Any, now: datetime) -> InboundEvent:
    return PollCounted(
        update_id=update_id,
        at=now,
        # Telegram names no chat for a poll's new state; id 0 is no chat the bot writes to.
        chat=Chat(chat_id=0, kind=ChatKind.CHANNEL),
        sender=None,
        poll_id=str(poll.id),
        voter_counts=tuple(int(option.voter_count) for option in poll.options),
        total_voters=int(poll.total_voter_count),
        is_closed=bool(poll.is_closed),
    )


def _is_present(member: Any) -> bool:
    status = str(member.status)
    # A restricted member may still be in the chat; Telegram says so with `is_member`.
    return status in _PRESENT or (
        status == "restricted" and bool(getattr(member, "is_member", False))
    )


def _bot_membership(update_id: int, change: Any) -> InboundEvent | None:
    chat = _chat(change.chat)
    base: dict[str, Any] = {
        "update_id": update_id,
        "at": _utc(change.date),
        "chat": chat,
        "sender": _maybe_person(change.from_user),
    }
    old, new = change.old_chat_member, change.new_chat_member
    if chat.is_private:
        if str(new.status) == "kicked":
            return BotBlocked(**base)
        if str(old.status) == "kicked":
            return BotUnblocked(**base)
        return None
    if not chat.is_group:
        return None  # channels are not served
    was, is_now = _is_present(old), _is_present(new)
    if is_now and not was:
        return BotAddedToChat(**base, as_admin=str(new.status) == "administrator")
    if was and not is_now:
        return BotRemovedFromChat(**base)
    return None  # promoted or restricted while staying in the group


def _membership(update_id: int, change: Any) -> InboundEvent | None:
    chat = _chat(change.chat)
    if not chat.is_group:
        return None
    member = _person(change.new_chat_member.user)
    base: dict[str, Any] = {
        "update_id": update_id,
        "at": _utc(change.date),
        "chat": chat,
        "sender": _maybe_person(change.from_user),
    }
    was, is_now = _is_present(change.old_chat_member), _is_present(change.new_chat_member)
    if is_now and not was:
        return MemberJoined(**base, member=member)
    if was and not is_now:
        return MemberLeft(**base, member=member)
    return None
