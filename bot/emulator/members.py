"""Telegram ``ChatMember`` and ``ChatMemberUpdated`` objects."""

from __future__ import annotations

from typing import Any

from bot.emulator.models import MemberStatus

# Rights of an administrator; the emulator gives admins every right that matters to a bot.
_ADMIN_RIGHTS = (
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
    "can_pin_messages",
    "can_send_welcome_messages",
)


def member_json(user: dict[str, Any], status: MemberStatus) -> dict[str, Any]:
    """Returns the ``ChatMember`` variant for a status.

    Args:
        user: The Telegram ``User`` object.
        status: creator, administrator, member, left or kicked.
    """
    data: dict[str, Any] = {"status": status, "user": user}
    if status == "creator":
        data["is_anonymous"] = False
    elif status == "administrator":
        data.update({"can_be_edited": False, "is_anonymous": False})
        data.update(dict.fromkeys(_ADMIN_RIGHTS, True))
        data["can_promote_members"] = False
    elif status == "kicked":
        data["until_date"] = 0
    return data


def member_update(
    chat: dict[str, Any],
    actor: dict[str, Any],
    subject: dict[str, Any],
    old: MemberStatus,
    new: MemberStatus,
    date: int,
) -> dict[str, Any]:
    """Returns a ``ChatMemberUpdated`` object (payload of my_chat_member / chat_member)."""
    return {
        "chat": chat,
        "from": actor,
        "date": date,
        "old_chat_member": member_json(subject, old),
        "new_chat_member": member_json(subject, new),
    }
