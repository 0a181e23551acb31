"""The log of processed update ids, so a repeated update is dropped."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedUpdate
from storage.repositories.dialect import insert_for


class UpdateLog:
    """Remembers which update ids were handled."""

    def __init__(self, session: AsyncSession) -> None:
        """Bind to the unit of work's session."""
        self._session = session

    async def claim(self, update_id: int, at: datetime) -> bool:
        """Record `update_id` as processed in this transaction.

        Returns:
            True if this is the first time; False if it was already processed (or another
            instance is processing it and commits first).
        """
        return update_id in await self.claim_many([update_id], at)

    async def claim_many(self, update_ids: Collection[int], at: datetime) -> set[int]:
        """Record several update ids as processed in this transaction, in one statement.

        Returns:
            The ids claimed now; the others were already processed (or another instance is
            processing them and commits first).
        """
        if not update_ids:
            return set()
        # Ascending order, so that two instances claiming overlapping ids take their locks in
        # the same order and queue instead of deadlocking (PostgreSQL).
        rows = [{"update_id": u, "processed_at": at} for u in sorted(set(update_ids))]
        # On the table, not the mapped class (the ORM would inspect every value of every row),
        # and with the rows as parameters: one statement compiled once, sent as multi-row
        # INSERTs by SQLAlchemy's "insertmanyvalues".
        table = ProcessedUpdate.__table__
        statement = (
            insert_for(self._session, table)
            .on_conflict_do_nothing(index_elements=["update_id"])
            .returning(table.c.update_id)
        )
        return set((await self._session.execute(statement, rows)).scalars())

    async def prune(self, older_than: datetime) -> int:
        """Forget update ids processed before `older_than` (Telegram never repeats them that late).

        Returns:
            How many were forgotten.
        """
        result = await self._session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < older_than)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
