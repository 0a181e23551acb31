"""The audit log of admin actions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry


class AuditRepository:
    """Appends to and reads the audit log."""

    def __init__(self, session: AsyncSession) -> None:
        """Bind to the unit of work's session."""
        self._session = session

    async def record(
        self,
        actor_id: int | None,
        action: str,
        target: str,
        at: datetime,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Append an entry. `target` and `details` name members by our id, never a Telegram id.

        Args:
            actor_id: The acting member's id (None for the command line).
            action: What was done, e.g. `role.set`.
            target: What it was done to, e.g. `member:12`.
            at: When.
            details: Anything else worth keeping.
        """
        self._session.add(
            AuditEntry(
                actor_id=actor_id, action=action, target=target, details=details or {}, at=at
            )
        )
        await self._session.flush()

    async def recent(self, limit: int = 50) -> Sequence[AuditEntry]:
        """Return the latest entries, newest first."""
        statement = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        return (await self._session.execute(statement)).scalars().all()

    async def by_actor(self, actor_id: int) -> Sequence[AuditEntry]:
        """Return the entries of one actor, oldest first."""
        statement = (
            select(AuditEntry).where(AuditEntry.actor_id == actor_id).order_by(AuditEntry.id)
        )
        return (await self._session.execute(statement)).scalars().all()
