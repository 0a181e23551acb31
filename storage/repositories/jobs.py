"""Scheduled jobs: work that is data in our tables, with a due time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import JobStatus, ScheduledJob
from storage.repositories.dialect import insert_for


class JobRepository:
    """Adds and claims scheduled jobs."""

    def __init__(self, session: AsyncSession, *, skip_locked: bool) -> None:
        """Bind to the unit of work's session.

        Args:
            session: The unit of work's session.
            skip_locked: Claim due jobs with FOR UPDATE SKIP LOCKED (PostgreSQL), so that two
                instances never take the same job.
        """
        self._session = session
        self._skip_locked = skip_locked
        # (kind, key) scheduled in this transaction: a batch of votes asks for the same refresh
        # dozens of times, and a repeat would do nothing but cost a statement.
        self._scheduled: set[tuple[str, str]] = set()

    async def schedule(
        self, kind: str, key: str, due_at: datetime, data: dict[str, Any], at: datetime
    ) -> bool:
        """Add a job unless one with the same kind and key exists.

        Returns:
            True if the job was added, False if it was already scheduled.
        """
        if (kind, key) in self._scheduled:
            return False
        self._scheduled.add((kind, key))
        result = await self._session.execute(
            insert_for(self._session, ScheduledJob)
            .values(
                kind=kind,
                key=key,
                due_at=due_at,
                data=data,
                status=JobStatus.PENDING,
                attempts=0,
                created_at=at,
            )
            .on_conflict_do_nothing(index_elements=["kind", "key"])
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def forget_scheduled(self) -> None:
        """Forget what this transaction scheduled (a savepoint rolled back with those rows)."""
        self._scheduled.clear()

    async def due(self, now: datetime, limit: int = 100) -> Sequence[ScheduledJob]:
        """Return pending jobs due by `now`, oldest first, locked for this transaction."""
        statement = (
            select(ScheduledJob)
            .where(ScheduledJob.status == JobStatus.PENDING, ScheduledJob.due_at <= now)
            .order_by(ScheduledJob.due_at, ScheduledJob.id)
            .limit(limit)
        )
        if self._skip_locked:
            statement = statement.with_for_update(skip_locked=True)
        return (await self._session.execute(statement)).scalars().all()
