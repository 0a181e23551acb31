"""Ports: what the core needs from the outside world, implemented in `bot/` (or fakes in tests)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

from flows.effects import Effect


class Outbound(Protocol):
    """The one outbound path: delivers effects after their transaction has committed."""

    async def deliver(self, effects: Sequence[Effect]) -> None:
        """Deliver effects in order; failures are handled (and logged) by the implementation."""


class Clock(Protocol):
    """Where time comes from, so tests can move it."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware."""


class SystemClock:
    """The real clock, in UTC."""

    def now(self) -> datetime:
        """Return the current UTC time."""
        return datetime.now(UTC)
