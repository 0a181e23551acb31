"""The log of processed update ids, so a repeated update is dropped."""

from __future__ import annotations

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
        statement = (
            insert_for(self._session, ProcessedUpdate)
            .values(update_id=update_id, processed_at=at)
            .on_conflict_do_nothing(index_elements=["update_id"])
        )
        result = await self._session.execute(statement)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def prune(self, older_than: datetime) -> int:
        """Forget update ids processed before `older_than` (Telegram never repeats them that late).

        Returns:
            How many were forgotten.
        """
        result = await self._session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < older_than)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
