"""Validation of ``reply_markup`` the way Telegram checks inline keyboards."""

from __future__ import annotations

from typing import Any

from bot.emulator.errors import bad_request

# An inline button must carry exactly one of these actions.
_ACTIONS = (
    "callback_data",
    "url",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
    "web_app",
)
_MAX_BUTTONS = 100
_URL_SCHEMES = ("http://", "https://", "tg://")


def _check_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise bad_request(
            "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
        )
    text = button.get("text")
    if not isinstance(text, str) or not text.strip():
        raise bad_request("can't parse inline keyboard button: Text must be non-empty")
    actions = [name for name in _ACTIONS if name in button and button[name] is not None]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise bad_request(
            "can't parse inline keyboard button: exactly one of the optional fields must be used"
        )
    data = button.get("callback_data")
    if data is not None and (not isinstance(data, str) or not 1 <= len(data.encode()) <= 64):
        raise bad_request("BUTTON_DATA_INVALID")
    url = button.get("url")
    if url is not None and (not isinstance(url, str) or not url.startswith(_URL_SCHEMES)):
        raise bad_request("BUTTON_URL_INVALID")


def check_reply_markup(markup: Any, inline_only: bool = False) -> dict[str, Any] | None:
    """Validates a decoded ``reply_markup``.

    Args:
        markup: The decoded value, or None when not sent.
        inline_only: Only an inline keyboard is allowed (edits and polls being stopped).

    Returns:
        The markup to store, or None.

    Raises:
        ApiError: The markup is malformed, with Telegram's wording.
    """
    if markup is None or markup == "":
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        if inline_only:
            raise bad_request("inline keyboard expected")
        return markup
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" must be an Array of Arrays')
    count = 0
    for row in rows:
        for button in row:
            _check_button(button)
            count += 1
    if count > _MAX_BUTTONS:
        raise bad_request("reply markup is too long")
    return markup
