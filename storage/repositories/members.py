"""Members: people who talk to the bot."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChatMembership, ConversationState, Follow, Member, MemberStatus, Role

_Row = TypeVar("_Row")


class MemberRepository:
    """Reads and writes members."""

    def __init__(self, session: AsyncSession, *, lock_rows: bool) -> None:
        """Bind to the unit of work's session.

        Args:
            session: The unit of work's session.
            lock_rows: Whether `get_by_telegram_id(..., for_update=True)` takes a row lock.
        """
        self._session = session
        self._lock_rows = lock_rows

    async def get_by_telegram_id(
        self, telegram_id: int, *, for_update: bool = False
    ) -> Member | None:
        """Return the member with this Telegram id, or None.

        Args:
            telegram_id: The person's Telegram user id.
            for_update: Lock the row until the transaction ends, so that two instances
                handling the same person queue up (PostgreSQL; SQLite serialises anyway).
        """
        statement = select(Member).where(Member.telegram_id == telegram_id)
        if for_update and self._lock_rows:
            statement = statement.with_for_update()
        return (await self._session.execute(statement)).scalar_one_or_none()

    async def get_many_with_state(
        self, telegram_ids: Collection[int], *, for_update: bool = False
    ) -> dict[int, tuple[Member, ConversationState | None]]:
        """Return members by Telegram id, each with their open conversation, in one query.

        Args:
            telegram_ids: The people's Telegram user ids; those who are not members are left out.
            for_update: Lock the member rows until the transaction ends (PostgreSQL), in id
                order so that two instances queue instead of deadlocking.
        """
        if not telegram_ids:
            return {}
        statement = (
            select(Member)
            .where(Member.telegram_id.in_(sorted(set(telegram_ids))))
            .order_by(Member.id)
        )
        if for_update and self._lock_rows:
            statement = statement.with_for_update()
        members = (await self._session.scalars(statement)).all()
        if not members:
            return {}
        # The states are read after the members are locked, not joined to them: a query that
        # waited for a lock sees the rows it joins as they were when it started (PostgreSQL),
        # so a state the lock holder had just committed would be missed.
        states = await self._session.scalars(
            select(ConversationState).where(
                ConversationState.member_id.in_([member.id for member in members])
            )
        )
        by_member = {state.member_id: state for state in states}
        return {
            member.telegram_id: (member, by_member.get(member.id))
            for member in members
            if member.telegram_id is not None
        }

    async def get_by_username(self, username: str) -> Member | None:
        """Return the consented member with this @username (without the @), or None."""
        statement = select(Member).where(func.lower(Member.username) == username.lower())
        return (await self._session.execute(statement.limit(1))).scalar_one_or_none()

    async def add(self, member: Member) -> Member:
        """Add a new member and give it an id."""
        self._session.add(member)
        await self._session.flush()
        return member

    async def delete(self, member: Member) -> None:
        """Delete a member row and everything that hangs off it (used before consent)."""
        await self._session.delete(member)
        await self._session.flush()

    async def with_roles(self, roles: Sequence[Role]) -> Sequence[Member]:
        """Return reachable members holding any of `roles`."""
        statement = (
            select(Member)
            .where(Member.role.in_(list(roles)), Member.telegram_id.is_not(None))
            .order_by(Member.id)
        )
        return (await self._session.execute(statement)).scalars().all()

    async def erase(self, member: Member, at: datetime) -> None:
        """Erase a member's personal data; the bare row stays so anonymous aggregates still add up.

        Everything that links the row to the person goes: Telegram id, names, languages, role,
        the topics and areas followed, group memberships and conversation state.
        """
        await self._session.execute(delete(Follow).where(Follow.member_id == member.id))
        await self._session.execute(
            delete(ChatMembership).where(ChatMembership.member_id == member.id)
        )
        member.telegram_id = None
        member.first_name = None
        member.last_name = None
        member.username = None
        member.language = None
        member.telegram_language = None
        member.role = Role.RESIDENT
        member.status = MemberStatus.ERASED
        member.consent_at = None
        member.broadcasts_stopped_at = None
        member.created_at = at
        member.updated_at = at
        member.erased_at = at
        await self._session.flush()

    async def audience(self, followable_id: int | None = None) -> Sequence[Member]:
        """Return who may receive announcements: consented, reachable, not stopped.

        Args:
            followable_id: Only followers of this topic or area; None for everyone.
        """
        statement = _in_audience(select(Member), followable_id)
        return (await self._session.execute(statement.order_by(Member.id))).scalars().all()

    async def audience_size(self, followable_id: int | None = None) -> int:
        """Return how many people `audience` returns, counted by the database."""
        statement = _in_audience(select(func.count(Member.id)), followable_id)
        return int((await self._session.execute(statement)).scalar_one())


def _in_audience(statement: Select[_Row], followable_id: int | None) -> Select[_Row]:
    """`statement` narrowed to the announcements' audience (see `audience`)."""
    statement = statement.where(
        Member.status == MemberStatus.ACTIVE,
        Member.broadcasts_stopped_at.is_(None),
        Member.telegram_id.is_not(None),
    )
    if followable_id is not None:
        statement = statement.join(Follow, Follow.member_id == Member.id).where(
            Follow.followable_id == followable_id
        )
    return statement
