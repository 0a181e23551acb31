"""The scheduler: APScheduler ticks, the engine runs what is due in our tables.

Scheduled work is rows with a due time (`flows/jobs.py`), so nothing is lost when the process
stops and APScheduler keeps no state of its own: it only decides *when* to look. Several
instances may tick at once; the engine's claim (FOR UPDATE SKIP LOCKED on PostgreSQL) makes sure
each job runs once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from time import monotonic
from typing import Protocol
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_SCHEDULER_SHUTDOWN
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger(__name__)

PRUNE_AT = time(4, 0)
"""When, in the community's time zone, old update ids are forgotten (a quiet hour)."""
STALE_AFTER_TICKS = 3
"""Missed ticks after which the scheduler counts as unhealthy..."""
STALE_AFTER_MIN_SECONDS = 60.0
"""...but never sooner than this: one round of due jobs may legitimately take a while."""


class Chores(Protocol):
    """What the scheduler runs: the engine's `run_due_jobs` and `prune_update_ids`."""

    async def run_due_jobs(self) -> int:
        """Run a batch of due jobs; return how many were looked at (0: nothing is due)."""

    async def prune_update_ids(self) -> int:
        """Forget old update ids; return how many."""


@dataclass(frozen=True, slots=True)
class SchedulerStatus:
    """How the scheduler is doing, for /healthz.

    Attributes:
        running: Started and not stopping.
        seconds_since_tick: Since the last round of due jobs completed; None before the first.
        healthy: Running, and a round completed recently enough.
    """

    running: bool
    seconds_since_tick: float | None
    healthy: bool


class Scheduler:
    """Runs due jobs every few seconds and forgets old update ids once a day."""

    def __init__(
        self,
        engine: Chores,
        *,
        tick_seconds: float,
        timezone: ZoneInfo,
        timer: Callable[[], float] = monotonic,
    ) -> None:
        """Prepare the scheduler (nothing runs until `start`).

        Args:
            engine: Runs the due jobs and prunes update ids.
            tick_seconds: How often to look for due jobs (SCHEDULER_TICK_SECONDS).
            timezone: The community's time zone, for the daily chores.
            timer: Seconds for measuring tick age (not the engine's clock, which tests
                move: health is about this process being alive).
        """
        self._engine = engine
        self._tick_seconds = tick_seconds
        self._timer = timer
        self._scheduler = AsyncIOScheduler(
            timezone=timezone,
            # A late run still runs, but only once (coalesce), and never next to itself: a slow
            # round of jobs makes the next tick wait instead of piling up.
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        # One chore at a time, and `stop` waits for the one under way.
        self._busy = asyncio.Lock()
        self._stopping = False
        self._started_at: float | None = None
        self._last_tick: float | None = None

    def start(self) -> None:
        """Start ticking; the first tick is immediate, so jobs overdue after downtime run now."""
        self._scheduler.add_job(
            self._tick,
            IntervalTrigger(seconds=self._tick_seconds),
            id="run-due-jobs",
            next_run_time=datetime.now(UTC),
        )
        self._scheduler.add_job(
            self._prune,
            CronTrigger(hour=PRUNE_AT.hour, minute=PRUNE_AT.minute),
            id="prune-update-ids",
        )
        self._scheduler.start()
        self._started_at = self._timer()

    async def stop(self) -> None:
        """Stop ticking; a round of jobs under way finishes first. Safe to call twice."""
        if self._stopping or not self._scheduler.running:
            return
        self._stopping = True
        self._scheduler.pause()
        async with self._busy:
            pass
        # AsyncIOScheduler shuts down in a loop callback (and would cancel a running chore,
        # hence the wait above); its shutdown event says when it is done.
        stopped = asyncio.Event()
        self._scheduler.add_listener(lambda _event: stopped.set(), EVENT_SCHEDULER_SHUTDOWN)
        self._scheduler.shutdown(wait=False)
        await stopped.wait()

    def status(self) -> SchedulerStatus:
        """Return whether the scheduler runs and how long ago it last completed a round."""
        running = self._scheduler.state == STATE_RUNNING and not self._stopping
        now = self._timer()
        since_tick = None if self._last_tick is None else now - self._last_tick
        since_alive = since_tick if since_tick is not None else self._since_start(now)
        stale_after = max(STALE_AFTER_TICKS * self._tick_seconds, STALE_AFTER_MIN_SECONDS)
        healthy = running and since_alive is not None and since_alive <= stale_after
        return SchedulerStatus(running, since_tick, healthy)

    def _since_start(self, now: float) -> float | None:
        return None if self._started_at is None else now - self._started_at

    async def _tick(self) -> None:
        async with self._busy:
            try:
                # Until nothing is due: a backlog after downtime is worked off at once, not 50
                # jobs per tick.
                while not self._stopping:
                    looked_at = await self._engine.run_due_jobs()
                    self._last_tick = self._timer()
                    if not looked_at:
                        break
            except Exception:
                log.exception("running due jobs failed; the next tick tries again")

    async def _prune(self) -> None:
        async with self._busy:
            if self._stopping:
                return
            try:
                await self._engine.prune_update_ids()
            except Exception:
                log.exception("forgetting old update ids failed; tomorrow's run tries again")
