"""sendPoll and stopPoll."""

from __future__ import annotations

from typing import Any

from bot.emulator.errors import bad_request
from bot.emulator.markup import check_reply_markup
from bot.emulator.models import PollState
from bot.emulator.params import Params
from bot.emulator.state import WorldState
from bot.emulator.text import utf16_len

from .base import sent

_QUESTION_LIMIT = 300
_OPTION_LIMIT = 100
_MAX_OPTIONS = 12


def _options(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise bad_request("poll options must be an Array")
    if not value:
        raise bad_request("poll must have at least 1 option")
    if len(value) > _MAX_OPTIONS:
        raise bad_request(f"poll can't have more than {_MAX_OPTIONS} options")
    texts: list[str] = []
    for option in value:
        # InputPollOption objects; older clients send plain strings.
        text = option.get("text") if isinstance(option, dict) else option
        if not isinstance(text, str) or not text.strip():
            raise bad_request("poll options must be non-empty")
        if utf16_len(text) > _OPTION_LIMIT:
            raise bad_request(f"poll option length must not exceed {_OPTION_LIMIT}")
        texts.append(text)
    return texts


def _correct_options(params: Params, count: int) -> list[int]:
    value = params.get("correct_option_ids")
    if value is None and params.has("correct_option_id"):
        value = [params.integer("correct_option_id")]
    if not isinstance(value, list) or not value:
        raise bad_request("correct_option_ids must be specified for quizzes")
    if any(not isinstance(i, int) or not 0 <= i < count for i in value):
        raise bad_request("wrong correct option identifier specified")
    return sorted(set(value))


async def send_poll(state: WorldState, params: Params) -> dict[str, Any]:
    """Sends a regular poll or a quiz."""
    chat = state.writable_chat(params.chat_id())
    question = params.text("question") or ""
    if not question.strip():
        raise bad_request("poll question must be non-empty")
    if utf16_len(question) > _QUESTION_LIMIT:
        raise bad_request(f"poll question length must not exceed {_QUESTION_LIMIT}")
    options = _options(params.get("options"))
    kind = params.text("type") or "regular"
    if kind not in ("regular", "quiz"):
        raise bad_request("poll type is invalid")
    quiz = kind == "quiz"
    markup = check_reply_markup(params.get("reply_markup"))
    poll = PollState(
        id=state.new_token("P"),
        chat_id=chat.id,
        message_id=0,
        question=question,
        options=options,
        is_anonymous=params.flag("is_anonymous", default=True),
        type=kind,
        allows_multiple_answers=params.flag("allows_multiple_answers") and not quiz,
        allows_revoting=params.flag("allows_revoting", default=not quiz),
        correct_option_ids=_correct_options(params, len(options)) if quiz else None,
        is_closed=params.flag("is_closed"),
    )
    state.polls[poll.id] = poll
    message = state.store_message(chat.id, state.bot.id, {}, markup)
    message.poll_id = poll.id
    poll.message_id = message.message_id
    return sent(state, message)


async def stop_poll(state: WorldState, params: Params) -> dict[str, Any]:
    """Closes a poll the bot sent and returns its final state."""
    chat = state.writable_chat(params.chat_id())
    message_id = params.require_integer("message_id")
    message = state.find_message(chat.id, message_id)
    if message is None or message.poll_id is None:
        raise bad_request("message with poll to stop not found")
    if message.sender_id != state.bot.id:
        raise bad_request("poll can't be stopped")
    poll = state.polls[message.poll_id]
    if poll.is_closed:
        raise bad_request("poll has already been closed")
    poll.is_closed = True
    message.reply_markup = check_reply_markup(params.get("reply_markup"), inline_only=True)
    state.record_activity(message, "edited")
    state.updates.push("poll", poll.to_json())
    return poll.to_json()
