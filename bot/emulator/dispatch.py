"""Running one Bot API call: faults, rate limits, the handler, the answer and the call log."""

from __future__ import annotations

from typing import Any

from bot.emulator.errors import ApiError, method_not_found, too_many_requests
from bot.emulator.methods import METHODS, RATE_LIMITED, Described, Handler
from bot.emulator.models import CallRecord
from bot.emulator.params import Params
from bot.emulator.state import WorldState


async def _run(state: WorldState, name: str, handler: Handler, params: Params) -> Any:
    chat_id = params.values.get("chat_id")
    fault = state.faults.take(name, chat_id)
    if fault is not None:
        if fault.error != "timeout":
            raise fault.to_error()
        # Hold the request past the client's timeout, like a stalled server.
        await state.pause(fault.hold)
        if not fault.then_execute:
            raise fault.to_error()
    if state.limiter is not None and name.lower() in RATE_LIMITED and isinstance(chat_id, int):
        wait = state.limiter.admit(chat_id, chat_id in state.groups)
        if wait is not None:
            raise too_many_requests(wait)
    return await handler(state, params)


def log_error(state: WorldState, method: str, params: dict[str, Any], error: ApiError) -> None:
    """Records a call that failed before or while running."""
    state.log_call(CallRecord(method, params, None, error.code, error.description))


async def call_method(state: WorldState, method: str, params: Params) -> tuple[int, dict[str, Any]]:
    """Runs a Bot API method and builds Telegram's answer.

    Args:
        state: The emulated server.
        method: The method name as sent (any case).
        params: Its decoded parameters.

    Returns:
        The HTTP status and the JSON body.
    """
    entry = METHODS.get(method.lower())
    if entry is None:
        error = method_not_found()
        log_error(state, method, params.loggable(), error)
        return error.code, error.to_json()
    name, handler = entry
    state.traffic.change(+1)
    try:
        result = await _run(state, name, handler, params)
    except ApiError as error:
        log_error(state, name, params.loggable(), error)
        return error.code, error.to_json()
    finally:
        state.traffic.change(-1)
    body: dict[str, Any] = {"ok": True}
    if isinstance(result, Described):
        body["result"] = result.result
        body["description"] = result.description
    else:
        body["result"] = result
    state.log_call(CallRecord(name, params.loggable(), body["result"]))
    return 200, body
