"""setMyCommands, getMyCommands and deleteMyCommands, per scope and language."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.emulator.errors import bad_request
from bot.emulator.params import Params
from bot.emulator.state import WorldState

_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_LANGUAGE = re.compile(r"[a-z]{2}")
_MAX_COMMANDS = 100


def scope_key(scope: dict[str, Any] | None) -> str:
    """Returns a stable key for a ``BotCommandScope`` object (default scope when None)."""
    return json.dumps(scope or {"type": "default"}, sort_keys=True)


def _key(state: WorldState, params: Params) -> tuple[str, str]:
    scope = params.get("scope")
    if scope is not None:
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPES:
            raise bad_request("wrong bot command scope specified")
        if "chat_id" in scope:
            chat = state.resolve_chat(scope["chat_id"])
            scope = {**scope, "chat_id": chat.id}
    language = params.text("language_code") or ""
    if language and not _LANGUAGE.fullmatch(language):
        raise bad_request("invalid language code specified")
    return scope_key(scope), language


def _commands(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list):
        raise bad_request("commands must be an Array")
    if len(value) > _MAX_COMMANDS:
        raise bad_request("too many commands")
    commands: list[dict[str, str]] = []
    for item in value:
        command = item.get("command") if isinstance(item, dict) else None
        description = item.get("description") if isinstance(item, dict) else None
        if not isinstance(command, str) or not _COMMAND.fullmatch(command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        commands.append({"command": command, "description": description})
    return commands


async def set_my_commands(state: WorldState, params: Params) -> bool:
    """Sets the command list of a scope and language (an empty list deletes it)."""
    if not params.has("commands"):
        raise bad_request("commands is empty")
    commands = _commands(params.get("commands"))
    key = _key(state, params)
    if commands:
        state.commands[key] = commands
    else:
        state.commands.pop(key, None)
    return True


async def get_my_commands(state: WorldState, params: Params) -> list[dict[str, str]]:
    """Returns the command list set for exactly this scope and language."""
    return list(state.commands.get(_key(state, params), []))


async def delete_my_commands(state: WorldState, params: Params) -> bool:
    """Deletes the command list of a scope and language."""
    state.commands.pop(_key(state, params), None)
    return True
