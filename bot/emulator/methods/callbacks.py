"""answerCallbackQuery."""

from __future__ import annotations

from bot.emulator.errors import bad_request, query_invalid
from bot.emulator.models import CallbackAnswer
from bot.emulator.params import Params
from bot.emulator.state import WorldState
from bot.emulator.text import utf16_len

_ANSWER_LIMIT = 200


async def answer_callback_query(state: WorldState, params: Params) -> bool:
    """Answers a button press once; a second answer fails like an expired query."""
    query_id = params.require_text("callback_query_id")
    record = state.callbacks.get(query_id)
    if record is None or record.answer is not None:
        raise query_invalid()
    text = params.text("text")
    if text is not None and utf16_len(text) > _ANSWER_LIMIT:
        raise bad_request("MESSAGE_TOO_LONG")
    record.answer = CallbackAnswer(
        text=text or None, show_alert=params.flag("show_alert"), url=params.text("url")
    )
    state.signal.notify()
    return True
