"""Repeat a Bot API call through flood control and transient failures, within bounds."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.telegram_api import TRANSIENT, BotApi, Files, RetryAfter

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long delivery keeps trying one call.

    Attributes:
        transient_attempts: Tries in all when Telegram answers 5xx or does not answer in time.
        first_backoff: Seconds before the second try; doubled each time up to `max_backoff`.
        max_backoff: Longest wait between transient tries.
        flood_waits: How many 429 answers to sit out before giving up on the call.
        max_flood_wait: Longest `retry_after` honoured; a longer ban fails the call at once so
            one effect cannot stall a whole batch for minutes.
    """

    transient_attempts: int = 4
    first_backoff: float = 0.5
    max_backoff: float = 8.0
    flood_waits: int = 5
    max_flood_wait: float = 60.0


async def call_with_retry(
    api: BotApi,
    method: str,
    params: dict[str, Any],
    files: Files | None = None,
    *,
    policy: RetryPolicy,
    sleep: Sleep = asyncio.sleep,
) -> Any:
    """Call `method`, waiting out 429s and retrying 5xx/timeouts with exponential backoff.

    Raises:
        ApiError: the call was refused for good, or the retries ran out (the last error).
    """
    transient_failures = 0
    flood_waits = 0
    while True:
        try:
            return await api.call(method, params, files)
        except RetryAfter as exc:
            flood_waits += 1
            if flood_waits > policy.flood_waits or exc.retry_after > policy.max_flood_wait:
                raise
            log.warning("%s: flood control, waiting %.1fs", method, exc.retry_after)
            await sleep(exc.retry_after)
        except TRANSIENT as exc:
            transient_failures += 1
            if transient_failures >= policy.transient_attempts:
                raise
            delay = min(policy.first_backoff * 2 ** (transient_failures - 1), policy.max_backoff)
            log.warning("%s: %s; retrying in %.1fs", method, exc.description, delay)
            await sleep(delay)
