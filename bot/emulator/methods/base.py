"""What every method handler shares: its signature and small helpers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.emulator.errors import bad_request
from bot.emulator.models import StoredMessage
from bot.emulator.params import Params
from bot.emulator.state import WorldState


@dataclass(frozen=True)
class Described:
    """A result that Telegram accompanies with a ``description`` (e.g. "Webhook was set")."""

    result: Any
    description: str


Handler = Callable[[WorldState, Params], Awaitable[Any]]


def sent(state: WorldState, message: StoredMessage) -> dict[str, Any]:
    """Logs a message the bot just sent and returns its Telegram ``Message`` object."""
    state.record_activity(message, "sent")
    return state.message_json(message)


def reply_target(state: WorldState, chat_id: int, params: Params) -> dict[str, Any]:
    """Returns ``{"reply_to_message": ...}`` when the call replies to a message, else ``{}``.

    Raises:
        ApiError: The message replied to does not exist.
    """
    target = params.integer("reply_to_message_id")
    reply = params.get("reply_parameters")
    if isinstance(reply, dict) and reply.get("message_id") is not None:
        target = int(reply["message_id"])
    if target is None:
        return {}
    original = state.find_message(chat_id, target)
    if original is None:
        if isinstance(reply, dict) and reply.get("allow_sending_without_reply"):
            return {}
        raise bad_request("message to be replied not found")
    return {"reply_to_message": state.message_json(original)}
