"""Topics and areas, and who follows them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Follow, Followable, FollowKind
from storage.repositories.dialect import can_exist


class FollowableRepository:
    """Reads and writes topics, areas and follows."""

    def __init__(self, session: AsyncSession) -> None:
        """Bind to the unit of work's session."""
        self._session = session

    async def add(
        self, kind: FollowKind, slug: str, names: dict[str, str], at: datetime
    ) -> Followable:
        """Add a topic or area. The caller checks the slug is free (see `by_slug`)."""
        item = Followable(kind=kind, slug=slug, names=dict(names), archived=False, created_at=at)
        self._session.add(item)
        await self._session.flush()
        return item

    async def by_slug(self, kind: FollowKind, slug: str) -> Followable | None:
        """Return the topic or area with this slug, archived or not."""
        statement = select(Followable).where(Followable.kind == kind, Followable.slug == slug)
        return (await self._session.execute(statement)).scalar_one_or_none()

    async def get(self, followable_id: int) -> Followable | None:
        """Return a topic or area by id (None also for an id no row can have)."""
        if not can_exist(followable_id):
            return None
        return await self._session.get(Followable, followable_id)

    async def listed(self, *, include_archived: bool = False) -> Sequence[Followable]:
        """Return topics then areas, each by slug."""
        statement = select(Followable).order_by(Followable.kind.desc(), Followable.slug)
        if not include_archived:
            statement = statement.where(Followable.archived.is_(False))
        return (await self._session.execute(statement)).scalars().all()

    async def followed_by(self, member_id: int) -> set[int]:
        """Return the ids of what a member follows."""
        statement = select(Follow.followable_id).where(Follow.member_id == member_id)
        return set((await self._session.execute(statement)).scalars().all())

    async def follow(self, member_id: int, followable_id: int, at: datetime) -> None:
        """Make a member follow a topic or area (idempotent)."""
        if await self._session.get(Follow, (member_id, followable_id)) is None:
            self._session.add(
                Follow(member_id=member_id, followable_id=followable_id, created_at=at)
            )
            await self._session.flush()

    async def unfollow(self, member_id: int, followable_id: int) -> None:
        """Stop a member following a topic or area (idempotent)."""
        await self._session.execute(
            delete(Follow).where(
                Follow.member_id == member_id, Follow.followable_id == followable_id
            )
        )
