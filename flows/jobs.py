"""Scheduled work: typed jobs stored as rows with a due time, run when due.

Each kind of job says how late it may still run. After downtime a reminder for an event that has
started makes no sense and is dropped (and logged); a newsletter still does and runs late, once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flows.config import CommunityConfig
from flows.effects import Effect
from storage.uow import UnitOfWork


@dataclass
class JobContext:
    """What a job handler works with; like a flow handler, it adds effects and writes via uow.

    Attributes:
        uow: The open unit of work (committed by the engine after the handler returns).
        config: Deployment facts.
        now: The time of running, from the injected clock.
        kind: The job's kind.
        key: The job's key (unique within its kind).
        due_at: When the job was due.
        data: What the job was scheduled with.
        effects: What to do once the transaction has committed.
    """

    uow: UnitOfWork
    config: CommunityConfig
    now: datetime
    kind: str
    key: str
    due_at: datetime
    data: dict[str, Any]
    effects: list[Effect] = field(default_factory=list)


JobHandler = Callable[[JobContext], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class JobType:
    """A kind of scheduled work and its lateness policy.

    Attributes:
        kind: The name jobs are stored under.
        handler: What running one does.
        max_lateness: How late a job may still run; None means it always runs, however late.
    """

    kind: str
    handler: JobHandler
    max_lateness: timedelta | None

    def too_late(self, due_at: datetime, now: datetime) -> bool:
        """Whether a job due at `due_at` no longer makes sense at `now`."""
        return self.max_lateness is not None and now - due_at > self.max_lateness
