"""Health: is the database reachable, does the scheduler tick, is the outbox draining?

The report is plain data; `bot/webhook.py` serves it as `GET /healthz` (200 when healthy, 503
otherwise), for a load balancer or an orchestrator to act on.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.scheduler import Scheduler
from flows.ports import Clock
from storage.db import Database

log = logging.getLogger(__name__)

CHECK_TIMEOUT = 5.0
"""Seconds a database query may take before the database counts as unhealthy."""
OUTBOX_MAX_WAIT = timedelta(minutes=15)
"""How long a due outbox message may wait: at 30 messages/s that drains 27,000 of them, so a
longer wait means sending is stuck (or the rate limits are set far too low)."""


@dataclass(frozen=True, slots=True)
class HealthReport:
    """The three checks, each a JSON object with an `ok` flag."""

    database: dict[str, Any]
    scheduler: dict[str, Any]
    outbox: dict[str, Any]

    @property
    def healthy(self) -> bool:
        """Whether every check passed."""
        return all(part["ok"] for part in (self.database, self.scheduler, self.outbox))

    def to_json(self) -> dict[str, Any]:
        """Return the body of /healthz."""
        return {
            "status": "ok" if self.healthy else "unhealthy",
            "database": self.database,
            "scheduler": self.scheduler,
            "outbox": self.outbox,
        }


class HealthCheck:
    """Gathers a `HealthReport` on demand."""

    def __init__(self, database: Database, scheduler: Scheduler, clock: Clock) -> None:
        """Check these components.

        Args:
            database: Pinged, and asked for the outbox backlog.
            scheduler: Asked whether it ticks.
            clock: The engine's clock, which outbox due times are written with.
        """
        self._database = database
        self._scheduler = scheduler
        self._clock = clock

    async def report(self) -> HealthReport:
        """Run the checks (each bounded by CHECK_TIMEOUT) and return what they found."""
        status = self._scheduler.status()
        scheduler = {
            "ok": status.healthy,
            "running": status.running,
            "seconds_since_tick": _rounded(status.seconds_since_tick),
        }
        return HealthReport(await self._check_database(), scheduler, await self._check_outbox())

    async def _check_database(self) -> dict[str, Any]:
        try:
            async with asyncio.timeout(CHECK_TIMEOUT):
                await self._database.ping()
        except Exception as exc:
            log.warning("health: database unreachable: %r", exc)
            return {"ok": False, "error": _describe(exc)}
        return {"ok": True}

    async def _check_outbox(self) -> dict[str, Any]:
        now = self._clock.now()
        try:
            async with asyncio.timeout(CHECK_TIMEOUT):
                async with self._database.unit_of_work() as uow:
                    backlog = await uow.outbox.backlog(now)
        except Exception as exc:
            return {"ok": False, "error": _describe(exc)}
        waited = None if backlog.oldest_ready_at is None else now - backlog.oldest_ready_at
        return {
            "ok": waited is None or waited <= OUTBOX_MAX_WAIT,
            "backlog": backlog.ready,
            "oldest_due_seconds": None if waited is None else _rounded(waited.total_seconds()),
        }


def _describe(exc: Exception) -> str:
    # The exception's type, not its text: driver messages can contain the database URL.
    return "timed out" if isinstance(exc, TimeoutError) else type(exc).__name__


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 1)
