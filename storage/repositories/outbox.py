"""The outbox: bulk messages, one row per recipient, claimed and confirmed one by one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage, OutboxStatus
from storage.repositories.dialect import insert_for


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who gets one copy of a bulk message: their chat and, for a person, their member id."""

    chat_id: int
    member_id: int | None = None


@dataclass(frozen=True, slots=True)
class Backlog:
    """How much is waiting to go out, for health checks."""

    ready: int
    oldest_ready_at: datetime | None


class OutboxRepository:
    """Adds, claims and settles outbox rows."""

    def __init__(self, session: AsyncSession, *, skip_locked: bool) -> None:
        """Bind to the unit of work's session.

        Args:
            session: The unit of work's session.
            skip_locked: Claim with FOR UPDATE SKIP LOCKED (PostgreSQL), so that concurrent
                senders never claim the same row.
        """
        self._session = session
        self._skip_locked = skip_locked

    async def enqueue(
        self,
        batch: str,
        recipients: Sequence[Recipient],
        payload: dict[str, Any],
        not_before: datetime,
        at: datetime,
    ) -> int:
        """Queue one copy of `payload` per recipient; a recipient already in `batch` is skipped.

        Returns:
            How many rows were added.
        """
        added = 0
        rows = [
            {
                "batch": batch,
                "chat_id": r.chat_id,
                "member_id": r.member_id,
                "payload": payload,
                "status": OutboxStatus.PENDING,
                "not_before": not_before,
                "attempts": 0,
                "created_at": at,
            }
            for r in recipients
        ]
        for start in range(0, len(rows), 1000):  # stay under the drivers' parameter limits
            statement = (
                insert_for(self._session, OutboxMessage)
                .values(rows[start : start + 1000])
                .on_conflict_do_nothing(index_elements=["batch", "chat_id"])
            )
            result = await self._session.execute(statement)
            added += int(result.rowcount)  # type: ignore[attr-defined]
        return added

    async def claim(
        self, now: datetime, limit: int, sender: str, lease: timedelta
    ) -> Sequence[OutboxMessage]:
        """Claim up to `limit` rows that are due: pending ones, and ones whose lease ran out.

        A row whose sender died mid-send comes back when its lease has expired; the message may
        have reached Telegram just before the crash, which is the one way a copy can repeat.
        """
        ready = or_(
            and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.not_before <= now),
            and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_until < now),
        )
        statement = select(OutboxMessage).where(ready).order_by(OutboxMessage.id).limit(limit)
        if self._skip_locked:
            statement = statement.with_for_update(skip_locked=True)
        rows = (await self._session.execute(statement)).scalars().all()
        for row in rows:
            row.status = OutboxStatus.SENDING
            row.claimed_by = sender
            row.claimed_until = now + lease
            row.attempts += 1
        await self._session.flush()
        return rows

    async def settle(
        self,
        row_id: int,
        status: OutboxStatus,
        at: datetime,
        *,
        message_id: int | None = None,
        error: str | None = None,
    ) -> None:
        """Record the outcome of one send."""
        values: dict[str, Any] = {"status": status, "claimed_until": None, "last_error": error}
        if status is OutboxStatus.SENT:
            values.update(sent_at=at, message_id=message_id)
        await self._session.execute(
            update(OutboxMessage).where(OutboxMessage.id == row_id).values(**values)
        )

    async def postpone(self, row_id: int, until: datetime, error: str) -> None:
        """Put a row back in the queue, to be tried again at `until`."""
        await self._session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id)
            .values(
                status=OutboxStatus.PENDING, not_before=until, claimed_until=None, last_error=error
            )
        )

    async def progress(self, batch: str) -> dict[OutboxStatus, int]:
        """Return how many rows of `batch` are in each status."""
        statement = (
            select(OutboxMessage.status, func.count())
            .where(OutboxMessage.batch == batch)
            .group_by(OutboxMessage.status)
        )
        rows = (await self._session.execute(statement)).all()
        return {OutboxStatus(status): count for status, count in rows}

    async def backlog(self, now: datetime) -> Backlog:
        """Return how many rows are due now and since when the oldest has waited."""
        statement = select(func.count(), func.min(OutboxMessage.not_before)).where(
            OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
            OutboxMessage.not_before <= now,
        )
        count, oldest = (await self._session.execute(statement)).one()
        if isinstance(oldest, datetime) and oldest.tzinfo is None:
            # Aggregates bypass the column type on SQLite, which keeps no time zone.
            oldest = oldest.replace(tzinfo=UTC)
        return Backlog(int(count), oldest)

    async def pending_for(self, member_id: int) -> dict[OutboxStatus, int]:
        """Return how many messages to a member are not sent yet, by status."""
        statement = (
            select(OutboxMessage.status, func.count())
            .where(
                OutboxMessage.member_id == member_id,
                OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
            )
            .group_by(OutboxMessage.status)
        )
        rows = (await self._session.execute(statement)).all()
        return {OutboxStatus(status): count for status, count in rows}

    async def forget_member(self, member_id: int) -> None:
        """Delete every row addressed to a member (their chat id is personal data)."""
        await self._session.execute(
            delete(OutboxMessage).where(OutboxMessage.member_id == member_id)
        )
