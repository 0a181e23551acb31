"""Delivering updates to a webhook: one at a time, in order, retrying until a 2xx answer."""

from __future__ import annotations

from typing import Any

import aiohttp

from bot.emulator.dispatch import call_method
from bot.emulator.params import Params
from bot.emulator.state import WebhookConfig, WorldState

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookDeliverer:
    """POSTs each pending update as JSON to the webhook URL.

    Args:
        state: The emulated server.
        timeout: Seconds to wait for the bot's answer.
        first_retry: Seconds before the first retry; doubled on each failure.
        max_retry: Longest wait between retries.
    """

    def __init__(
        self,
        state: WorldState,
        timeout: float = 10.0,
        first_retry: float = 0.05,
        max_retry: float = 2.0,
    ) -> None:
        self._state = state
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._first_retry = first_retry
        self._max_retry = max_retry

    async def run(self) -> None:
        """Delivers until the server closes."""
        state = self._state
        delay = self._first_retry
        async with aiohttp.ClientSession(timeout=self._timeout) as session:
            while not state.closed:
                hook = state.webhook
                update = state.updates.first() if hook.url else None
                if update is None:
                    await state.signal.wait(1.0)
                    continue
                error = await self._post(session, hook, update)
                if error is None:
                    delay = self._first_retry
                    continue
                hook.last_error_date = state.now()
                hook.last_error_message = error
                await state.pause(delay)
                delay = min(delay * 2, self._max_retry)

    async def _post(
        self, session: aiohttp.ClientSession, hook: WebhookConfig, update: dict[str, Any]
    ) -> str | None:
        headers = {SECRET_HEADER: hook.secret_token} if hook.secret_token else {}
        try:
            async with session.post(hook.url, json=update, headers=headers) as response:
                if not 200 <= response.status < 300:
                    return f"Wrong response from the webhook: {response.status} {response.reason}"
                reply = await _reply_method(response)
        except aiohttp.ClientConnectorError:
            return "Connection refused"
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientError as error:
            return f"Connection error: {error}"
        self._state.updates.confirm(update["update_id"] + 1)
        if reply is not None:
            # A webhook may answer with a method call, which Telegram then performs.
            method = str(reply.pop("method"))
            await call_method(self._state, method, Params(reply))
        return None


async def _reply_method(response: aiohttp.ClientResponse) -> dict[str, Any] | None:
    if response.content_type != "application/json":
        return None
    try:
        body = await response.json()
    except ValueError:
        return None
    if isinstance(body, dict) and isinstance(body.get("method"), str):
        return body
    return None
