"""The Bot API methods the emulator implements, by case-insensitive name."""

from __future__ import annotations

from .base import Described, Handler
from .callbacks import answer_callback_query
from .chats import get_chat, get_chat_administrators, get_chat_member, get_me, leave_chat
from .commands import delete_my_commands, get_my_commands, set_my_commands
from .files import get_file, send_document, send_photo
from .messages import delete_message, edit_message_reply_markup, edit_message_text, send_message
from .polling import delete_webhook, get_updates, get_webhook_info, set_webhook
from .polls import send_poll, stop_poll

_HANDLERS: dict[str, Handler] = {
    "getMe": get_me,
    "getUpdates": get_updates,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
    "sendMessage": send_message,
    "editMessageText": edit_message_text,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "answerCallbackQuery": answer_callback_query,
    "deleteMessage": delete_message,
    "sendDocument": send_document,
    "sendPhoto": send_photo,
    "getFile": get_file,
    "sendPoll": send_poll,
    "stopPoll": stop_poll,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "getChatAdministrators": get_chat_administrators,
    "getChatMember": get_chat_member,
    "getChat": get_chat,
    "leaveChat": leave_chat,
}

# Lower-cased name -> (canonical name, handler): Telegram matches method names ignoring case.
METHODS: dict[str, tuple[str, Handler]] = {
    name.lower(): (name, handler) for name, handler in _HANDLERS.items()
}

# Calls that send or change a message, which Telegram's flood limits count.
RATE_LIMITED = frozenset(
    {
        "sendmessage",
        "senddocument",
        "sendphoto",
        "sendpoll",
        "editmessagetext",
        "editmessagereplymarkup",
    }
)

__all__ = ["METHODS", "RATE_LIMITED", "Described", "Handler"]
