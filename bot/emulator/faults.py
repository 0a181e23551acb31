"""Injected failures and an optional Telegram-like rate limiter."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from bot.emulator.errors import ApiError, forbidden, too_many_requests

FaultKind = Literal[429, 403, 500, 502, "timeout"]


@dataclass(eq=False)
class Fault:
    """One planned failure.

    Attributes:
        method: Method name to match (case-insensitive), None for any.
        chat_id: ``chat_id`` to match, None for any.
        error: 429, 403, 500, 502 or ``"timeout"``.
        times: How many calls still fail.
        retry_after: Seconds announced by a 429.
        hold: Seconds a ``"timeout"`` holds the request (longer than the client waits).
        then_execute: After a timeout hold, perform the call anyway (a slow success the client
            gave up on, as happens in reality), instead of answering 504.
        description: Overrides the error description.
    """

    method: str | None
    chat_id: int | None
    error: FaultKind
    times: int
    retry_after: int
    hold: float
    then_execute: bool
    description: str | None

    def to_error(self) -> ApiError:
        """Builds the error answer for this fault (not for timeouts)."""
        if self.error == 429:
            error = too_many_requests(self.retry_after)
        elif self.error == 403:
            error = forbidden("bot was blocked by the user")
        elif self.error == 500:
            error = ApiError(500, "Internal Server Error")
        elif self.error == 502:
            error = ApiError(502, "Bad Gateway")
        else:
            error = ApiError(504, "Gateway Timeout")
        if self.description is not None:
            error.description = self.description
        return error


class Faults:
    """The planned failures, consumed in the order they were added."""

    def __init__(self, default_hold: float = 10.0) -> None:
        self.default_hold = default_hold
        self._planned: list[Fault] = []

    def add(
        self,
        method: str | None = None,
        chat_id: int | None = None,
        error: FaultKind = 429,
        times: int = 1,
        retry_after: int = 1,
        hold: float | None = None,
        then_execute: bool = False,
        description: str | None = None,
    ) -> Fault:
        """Plans ``times`` failures of calls matching ``method`` and ``chat_id``.

        Returns:
            The fault, whose ``times`` counts down as it fires.
        """
        fault = Fault(
            method=method.lower() if method else None,
            chat_id=chat_id,
            error=error,
            times=times,
            retry_after=retry_after,
            hold=self.default_hold if hold is None else hold,
            then_execute=then_execute,
            description=description,
        )
        self._planned.append(fault)
        return fault

    def clear(self) -> None:
        """Removes every planned failure."""
        self._planned.clear()

    def take(self, method: str, chat_id: object) -> Fault | None:
        """Consumes and returns the first fault matching a call, if any."""
        for fault in self._planned:
            if fault.method is not None and fault.method != method.lower():
                continue
            if fault.chat_id is not None and fault.chat_id != chat_id:
                continue
            fault.times -= 1
            if fault.times <= 0:
                self._planned.remove(fault)
            return fault
        return None


class RateLimiter:
    """Sliding-window limits like Telegram's: in total, per chat, and per group per minute."""

    def __init__(
        self,
        per_second_total: int = 30,
        per_chat_per_second: int = 1,
        per_group_per_minute: int = 20,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limits = (per_second_total, per_chat_per_second, per_group_per_minute)
        self._clock = clock
        self._total: deque[float] = deque()
        self._chats: dict[int, deque[float]] = {}
        self._groups: dict[int, deque[float]] = {}

    def admit(self, chat_id: int, is_group: bool) -> int | None:
        """Records a send if allowed.

        Returns:
            None when allowed, else the seconds to wait (``retry_after``).
        """
        now = self._clock()
        total, per_chat, per_group = self._limits
        windows = [
            (self._total, total, 1.0),
            (self._chats.setdefault(chat_id, deque()), per_chat, 1.0),
        ]
        if is_group:
            windows.append((self._groups.setdefault(chat_id, deque()), per_group, 60.0))
        wait = 0.0
        for stamps, limit, span in windows:
            while stamps and stamps[0] <= now - span:
                stamps.popleft()
            if len(stamps) >= limit:
                wait = max(wait, stamps[0] + span - now)
        if wait > 0:
            return max(1, math.ceil(wait))
        for stamps, _, _ in windows:
            stamps.append(now)
        return None
