"""sendMessage, editMessageText, editMessageReplyMarkup and deleteMessage."""

from __future__ import annotations

from typing import Any

from bot.emulator.errors import bad_request, not_modified
from bot.emulator.markup import check_reply_markup
from bot.emulator.models import Group, StoredMessage
from bot.emulator.params import Params
from bot.emulator.state import WorldState
from bot.emulator.text import check_text, format_text

from .base import reply_target, sent


async def send_message(state: WorldState, params: Params) -> dict[str, Any]:
    """Sends a text message."""
    chat = state.writable_chat(params.chat_id())
    text, entities = _text_of(params)
    markup = check_reply_markup(params.get("reply_markup"))
    content: dict[str, Any] = {"text": text}
    if entities:
        content["entities"] = entities
    content.update(reply_target(state, chat.id, params))
    return sent(state, state.store_message(chat.id, state.bot.id, content, markup))


def _text_of(params: Params) -> tuple[str, list[dict[str, Any]] | None]:
    raw = params.text("text")
    if raw is None or not raw.strip():
        raise bad_request("message text is empty")
    text, entities = format_text(raw, params.text("parse_mode"), params.get("entities"))
    check_text(text)
    return text, entities


def _inline_markup(params: Params) -> dict[str, Any] | None:
    markup = check_reply_markup(params.get("reply_markup"), inline_only=True)
    # An empty inline keyboard is how a bot removes the keyboard.
    if markup is not None and not markup.get("inline_keyboard"):
        return None
    return markup


def _edit_target(state: WorldState, params: Params) -> StoredMessage:
    if params.has("inline_message_id") and not params.has("chat_id"):
        # The emulator sends no inline-mode messages, so no inline message id is valid.
        raise bad_request("MESSAGE_ID_INVALID")
    chat = state.writable_chat(params.chat_id())
    message_id = params.integer("message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    message = state.find_message(chat.id, message_id)
    if message is None:
        raise bad_request("message to edit not found")
    if message.sender_id != state.bot.id:
        raise bad_request("message can't be edited")
    return message


async def edit_message_text(state: WorldState, params: Params) -> dict[str, Any]:
    """Replaces the text (and keyboard: none sent means none kept) of a bot message."""
    message = _edit_target(state, params)
    text, entities = _text_of(params)
    markup = _inline_markup(params)
    if "text" not in message.content:
        raise bad_request("there is no text in the message to edit")
    unchanged = (
        message.content.get("text") == text
        and message.content.get("entities") == entities
        and message.reply_markup == markup
    )
    if unchanged:
        raise not_modified()
    message.content["text"] = text
    if entities:
        message.content["entities"] = entities
    else:
        message.content.pop("entities", None)
    message.reply_markup = markup
    message.edit_date = state.now()
    state.record_activity(message, "edited")
    return state.message_json(message)


async def edit_message_reply_markup(state: WorldState, params: Params) -> dict[str, Any]:
    """Replaces (or removes) the inline keyboard of a bot message."""
    message = _edit_target(state, params)
    markup = _inline_markup(params)
    if message.reply_markup == markup:
        raise not_modified()
    message.reply_markup = markup
    message.edit_date = state.now()
    state.record_activity(message, "edited")
    return state.message_json(message)


async def delete_message(state: WorldState, params: Params) -> bool:
    """Deletes a message: the bot's own, any in private chats, others only as group admin."""
    chat = state.resolve_chat(params.chat_id())
    if isinstance(chat, Group):
        state.check_group_access(chat)
    message_id = params.integer("message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    message = state.find_message(chat.id, message_id)
    if message is None:
        raise bad_request("message to delete not found")
    own = message.sender_id == state.bot.id
    if isinstance(chat, Group) and not own and chat.bot_status != "administrator":
        raise bad_request("message can't be deleted")
    message.deleted = True
    state.record_activity(message, "deleted")
    return True
