"""getMe, getChat, getChatAdministrators, getChatMember and leaveChat."""

from __future__ import annotations

from typing import Any

from bot.emulator.errors import bad_request
from bot.emulator.members import member_json, member_update
from bot.emulator.models import Group, MemberStatus
from bot.emulator.params import Params
from bot.emulator.state import WorldState


async def get_me(state: WorldState, params: Params) -> dict[str, Any]:
    """Returns the bot's User object with the getMe-only fields."""
    return {
        **state.bot.to_json(),
        "can_join_groups": True,
        "can_read_all_group_messages": not state.privacy_mode,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


async def get_chat(state: WorldState, params: Params) -> dict[str, Any]:
    """Returns the ChatFullInfo of a chat the bot can see."""
    chat = state.visible_chat(params.chat_id())
    return {
        **chat.chat_json(),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }


def _group(state: WorldState, params: Params) -> Group:
    chat = state.visible_chat(params.chat_id())
    if not isinstance(chat, Group):
        raise bad_request("there are no administrators in the private chat")
    return chat


async def get_chat_administrators(state: WorldState, params: Params) -> list[dict[str, Any]]:
    """Lists the creator and administrators of a group (the bot too, if it is one)."""
    group = _group(state, params)
    admins = [
        member_json(state.users[user_id].to_json(), status)
        for user_id, status in group.statuses.items()
        if status in ("creator", "administrator")
    ]
    if group.bot_status == "administrator":
        admins.append(member_json(state.bot.to_json(), "administrator"))
    return admins


async def get_chat_member(state: WorldState, params: Params) -> dict[str, Any]:
    """Returns a person's (or the bot's) membership in a chat."""
    chat = state.visible_chat(params.chat_id())
    user_id = params.require_integer("user_id")
    if user_id == state.bot.id:
        status: MemberStatus = chat.bot_status if isinstance(chat, Group) else "member"
        return member_json(state.bot.to_json(), status)
    user = state.users.get(user_id)
    if user is None or (not isinstance(chat, Group) and user.id != chat.id):
        raise bad_request("PARTICIPANT_ID_INVALID")
    if isinstance(chat, Group):
        return member_json(user.to_json(), chat.statuses.get(user_id, "left"))
    return member_json(user.to_json(), "member")


async def leave_chat(state: WorldState, params: Params) -> bool:
    """The bot leaves a group; Telegram reports it back as a my_chat_member update."""
    chat = state.resolve_chat(params.chat_id())
    if not isinstance(chat, Group):
        raise bad_request("chat member status can't be changed in private chats")
    state.check_group_access(chat)
    old = chat.bot_status
    chat.bot_status = "left"
    bot = state.bot.to_json()
    state.updates.push(
        "my_chat_member", member_update(chat.chat_json(), bot, bot, old, "left", state.now())
    )
    return True
