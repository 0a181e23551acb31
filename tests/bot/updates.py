"""Telegram update JSON, parsed into real aiogram and PTB Update objects."""

from __future__ import annotations

from typing import Any

import aiogram.types
import telegram

BOT = {"id": 999, "is_bot": True, "first_name": "Townsquare", "username": "TownsquareBot"}
ALICE = {
    "id": 42,
    "is_bot": False,
    "first_name": "Alice",
    "username": "alice",
    "language_code": "zh-hans",
}
PRIVATE = {"id": 42, "type": "private", "first_name": "Alice"}
GROUP = {"id": -100123, "type": "supergroup", "title": "Riverside"}
DATE = 1764417600  # 2025-11-29T12:00:00Z


def message(chat: dict[str, Any] = PRIVATE, **fields: Any) -> dict[str, Any]:
    return {
        "update_id": 7,
        "message": {"message_id": 11, "date": DATE, "chat": chat, "from": ALICE, **fields},
    }


def membership(
    chat: dict[str, Any],
    old: str,
    new: str,
    user: dict[str, Any] = BOT,
    key: str = "my_chat_member",
) -> dict[str, Any]:
    return {
        "update_id": 8,
        key: {
            "chat": chat,
            "from": ALICE,
            "date": DATE,
            "old_chat_member": _member(old, user),
            "new_chat_member": _member(new, user),
        },
    }


def as_aiogram(data: dict[str, Any]) -> Any:
    return aiogram.types.Update.model_validate(data)


def as_ptb(data: dict[str, Any]) -> Any:
    return telegram.Update.de_json(data, None)


_ADMIN_RIGHTS = (
    "can_be_edited",
    "is_anonymous",
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_send_welcome_messages",
)


def _member(status: str, user: dict[str, Any]) -> dict[str, Any]:
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "kicked":
        member["until_date"] = 0
    if status == "administrator":
        member.update(dict.fromkeys(_ADMIN_RIGHTS, False))
    return member
