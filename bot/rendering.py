"""Pure helpers that turn effect contents into Bot API parameters: keyboards and text parts."""

from __future__ import annotations

from typing import Any

from flows.codec import encode
from flows.effects import Button, Keyboard, NativePoll

MAX_TEXT = 4096
MAX_CAPTION = 1024

# Where a long text is best cut, most readable first.
_BREAKS = ("\n\n", "\n", " ")


def inline_keyboard(buttons: Keyboard) -> dict[str, Any] | None:
    """Return an InlineKeyboardMarkup for `buttons`, or None when there are none.

    Raises:
        ValueError: a button has neither a payload nor a URL (a programming error).
    """
    rows = [[_button(button) for button in row] for row in buttons if row]
    return {"inline_keyboard": rows} if rows else None


def poll_params(poll: NativePoll) -> dict[str, Any]:
    """Return the sendPoll parameters (without chat_id) for a native poll.

    Telegram's defaults are spelled out where ours differ or matter: a poll is anonymous unless
    told otherwise, and only an identified poll sends the answers (`poll_answer`) the bot counts.
    """
    params: dict[str, Any] = {
        "question": poll.question,
        "options": [{"text": option} for option in poll.options],
        "is_anonymous": poll.anonymous,
        "type": "regular",
        "allows_multiple_answers": poll.multiple,
        "allows_revoting": poll.changes_allowed,
    }
    if poll.results_after_close:
        params["hide_results_until_closes"] = True
    if poll.description:
        params["description"] = poll.description
    return params


def _button(button: Button) -> dict[str, str]:
    if button.url is not None:
        return {"text": button.text, "url": button.url}
    if button.payload is not None:
        return {"text": button.text, "callback_data": encode(button.payload)}
    raise ValueError(f"button {button.text!r} has neither a payload nor a URL")


def telegram_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji may count as two)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split `text` into parts of at most `limit`, cutting at paragraphs, then lines, then words.

    A part is only cut mid-word when a single word is longer than the limit. The separators at
    a cut are dropped, so no part starts or ends with the blank line it was cut at.
    """
    parts: list[str] = []
    rest = text
    while telegram_length(rest) > limit:
        window = _prefix_within(rest, limit)
        cut, skip = len(window), 0
        for separator in _BREAKS:
            at = window.rfind(separator)
            if at > 0:
                cut, skip = at, len(separator)
                break
        parts.append(rest[:cut].rstrip())
        rest = rest[cut + skip :].lstrip("\n")
    if rest or not parts:
        parts.append(rest)
    return parts


def _prefix_within(text: str, limit: int) -> str:
    """Return the longest prefix of `text` whose Telegram length is at most `limit`."""
    # Characters outside the BMP take two units, so the prefix is at most `limit` characters;
    # shrink it until it fits (rarely more than a few steps).
    prefix = text[:limit]
    while telegram_length(prefix) > limit:
        prefix = prefix[: -max(1, (telegram_length(prefix) - limit) // 2)]
    return prefix
