"""The outbox: bulk messages, one row per recipient, claimed and settled row by row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage, OutboxStatus
from storage.repositories.dialect import insert_for


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who gets one copy of a bulk message: their chat and, for a person, their member id."""

    chat_id: int
    member_id: int | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one send ended.

    Attributes:
        row_id: The outbox row.
        status: SENT, FAILED or UNREACHABLE; PENDING puts the row back in the queue.
        message_id: Telegram's id for the message sent.
        error: Why it was not sent (Telegram's description).
        retry_at: When a row put back is due again.
        payload: The row's payload with what Telegram answered added (a native poll's id),
            stored in place of the old one; None leaves it as it is.
    """

    row_id: int
    status: OutboxStatus
    message_id: int | None = None
    error: str | None = None
    retry_at: datetime | None = None
    payload: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row claimed for sending: what the sender needs of it."""

    id: int
    batch: str
    chat_id: int
    payload: dict[str, Any]
    attempts: int


_OUTBOX = OutboxMessage.metadata.tables[OutboxMessage.__tablename__]
_CLAIMED_COLUMNS = ("id", "batch", "chat_id", "payload", "attempts")


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
        messages = [(recipient, payload) for recipient in recipients]
        return await self.enqueue_each(batch, messages, not_before, at)

    async def enqueue_each(
        self,
        batch: str,
        messages: Sequence[tuple[Recipient, dict[str, Any]]],
        not_before: datetime,
        at: datetime,
    ) -> int:
        """Queue a message of its own for each recipient; a recipient already in `batch` is skipped.

        For sends that differ per person, such as edits of each person's own copy of a message.

        Returns:
            How many rows were added.
        """
        added = 0
        rows = [
            {
                "batch": batch,
                "chat_id": recipient.chat_id,
                "member_id": recipient.member_id,
                "payload": payload,
                "status": OutboxStatus.PENDING,
                "not_before": not_before,
                "attempts": 0,
                "created_at": at,
            }
            for recipient, payload in messages
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
    ) -> list[Claimed]:
        """Claim up to `limit` rows that are due: pending ones, then ones whose lease ran out.

        A row whose sender died mid-send comes back when its lease has expired; the message may
        have reached Telegram just before the crash, which is the one way a copy can repeat.
        Each kind is found by a range scan of the (status, not_before) index that stops after
        `limit` rows, so claiming costs the same with 20 or 20,000 rows waiting. Leases that ran
        out are only looked for when fewer pending rows are due: while a long backlog drains,
        a statement saved per claim; they are taken over by the end of it.
        """
        due = and_(_OUTBOX.c.status == OutboxStatus.PENDING, _OUTBOX.c.not_before <= now)
        expired = and_(_OUTBOX.c.status == OutboxStatus.SENDING, _OUTBOX.c.claimed_until < now)
        rows = await self._claim_where(due, limit, sender, now + lease)
        if len(rows) < limit:
            rows += await self._claim_where(expired, limit - len(rows), sender, now + lease)
        return rows

    async def _claim_where(
        self, condition: ColumnElement[bool], limit: int, sender: str, until: datetime
    ) -> list[Claimed]:
        # Oldest first, in index order: ordering by anything else would sort every ready row.
        # Core statements, not ORM ones: the outbox worker runs these many times a second.
        candidates = (
            select(_OUTBOX.c.id).where(condition).order_by(_OUTBOX.c.not_before).limit(limit)
        )
        if self._skip_locked:
            candidates = candidates.with_for_update(skip_locked=True)
        statement = (
            update(_OUTBOX)
            .where(_OUTBOX.c.id.in_(candidates.scalar_subquery()))
            .values(
                status=OutboxStatus.SENDING,
                claimed_by=sender,
                claimed_until=until,
                attempts=_OUTBOX.c.attempts + 1,
            )
            .returning(*(_OUTBOX.c[name] for name in _CLAIMED_COLUMNS))
        )
        result = await self._session.execute(statement)
        return sorted((Claimed(*row) for row in result), key=lambda claimed: claimed.id)

    async def settle(self, outcomes: Sequence[Outcome], at: datetime) -> None:
        """Record how sends ended; a row put back (PENDING) is due again at its `retry_at`.

        One statement per kind of outcome however many rows, so that recording what a few
        concurrent sends did costs one small transaction, not one each.
        """
        sent = [o for o in outcomes if o.status is OutboxStatus.SENT]
        retried = [o for o in outcomes if o.status is OutboxStatus.PENDING]
        ended = [o for o in outcomes if o.status not in (OutboxStatus.SENT, OutboxStatus.PENDING)]
        row = _OUTBOX.c.id == bindparam("row_id")
        if sent:
            statement = (
                update(_OUTBOX)
                .where(row)
                .values(
                    status=OutboxStatus.SENT,
                    sent_at=at,
                    message_id=bindparam("sent_message_id"),
                    claimed_until=None,
                    last_error=None,
                )
            )
            params: list[dict[str, Any]] = [
                {"row_id": o.row_id, "sent_message_id": o.message_id} for o in sent
            ]
            await self._session.execute(statement, params)
        if receipts := [o for o in sent if o.payload is not None]:
            statement = (
                update(_OUTBOX)
                .where(row)
                .values(payload=bindparam("new_payload", type_=_OUTBOX.c.payload.type))
            )
            params = [{"row_id": o.row_id, "new_payload": o.payload} for o in receipts]
            await self._session.execute(statement, params)
        if retried:
            statement = (
                update(_OUTBOX)
                .where(row)
                .values(
                    status=OutboxStatus.PENDING,
                    not_before=bindparam("retry_at", type_=_OUTBOX.c.not_before.type),
                    claimed_until=None,
                    last_error=bindparam("error"),
                )
            )
            params = [
                {"row_id": o.row_id, "retry_at": o.retry_at, "error": o.error} for o in retried
            ]
            await self._session.execute(statement, params)
        if ended:
            statement = (
                update(_OUTBOX)
                .where(row)
                .values(
                    status=bindparam("final_status", type_=_OUTBOX.c.status.type),
                    claimed_until=None,
                    last_error=bindparam("error"),
                )
            )
            params = [
                {"row_id": o.row_id, "final_status": o.status, "error": o.error} for o in ended
            ]
            await self._session.execute(statement, params)

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
