"""Options residents suggested for polls, waiting for (or past) a moderator's decision."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Member, PollSuggestion, SuggestionStatus
from storage.repositories.dialect import can_exist, insert_for


class PollSuggestionRepository:
    """Reads and writes poll suggestions."""

    def __init__(self, session: AsyncSession) -> None:
        """Bind to the unit of work's session."""
        self._session = session

    async def add(
        self, poll_id: int, member_id: int, text: str, at: datetime
    ) -> PollSuggestion | None:
        """Queue a suggestion, unless the member already has one pending for this poll.

        One statement with `ON CONFLICT DO NOTHING` on the partial unique index, so two
        suggestions sent at once (even to two instances) still leave one pending.

        Returns:
            The new suggestion, or None when one of theirs is already pending.
        """
        statement = (
            insert_for(self._session, PollSuggestion)
            .values(
                poll_id=poll_id,
                member_id=member_id,
                text=text,
                status=SuggestionStatus.PENDING,
                created_at=at,
            )
            .on_conflict_do_nothing(
                index_elements=["poll_id", "member_id"],
                index_where=PollSuggestion.status == SuggestionStatus.PENDING,
            )
            .returning(PollSuggestion.id)
        )
        new_id = (await self._session.execute(statement)).scalar_one_or_none()
        return None if new_id is None else await self._session.get(PollSuggestion, new_id)

    async def pending_of(self, poll_id: int, member_id: int) -> PollSuggestion | None:
        """Return the member's pending suggestion for the poll, or None."""
        statement = select(PollSuggestion).where(
            PollSuggestion.poll_id == poll_id,
            PollSuggestion.member_id == member_id,
            PollSuggestion.status == SuggestionStatus.PENDING,
        )
        return (await self._session.execute(statement)).scalar_one_or_none()

    async def get_locked(self, suggestion_id: int) -> PollSuggestion | None:
        """Return the suggestion with its row locked until the transaction ends (for deciding).

        Two moderators pressing at once queue up on PostgreSQL and the second sees the decision.
        """
        if not can_exist(suggestion_id):
            return None
        return await self._session.get(
            PollSuggestion, suggestion_id, with_for_update=True, populate_existing=True
        )

    async def suggester(self, suggestion: PollSuggestion) -> Member | None:
        """Return the member who made the suggestion (None once they used /forget)."""
        if suggestion.member_id is None:
            return None
        return await self._session.get(Member, suggestion.member_id)

    async def of_poll(self, poll_id: int) -> Sequence[PollSuggestion]:
        """Return the poll's suggestions, oldest first."""
        statement = (
            select(PollSuggestion)
            .where(PollSuggestion.poll_id == poll_id)
            .order_by(PollSuggestion.id)
        )
        return (await self._session.execute(statement)).scalars().all()

    async def of_member(self, member_id: int) -> Sequence[PollSuggestion]:
        """Return the member's suggestions (for /mydata), oldest first."""
        statement = (
            select(PollSuggestion)
            .where(PollSuggestion.member_id == member_id)
            .order_by(PollSuggestion.id)
        )
        return (await self._session.execute(statement)).scalars().all()

    async def forget_member(self, member_id: int) -> None:
        """For /forget: drop their pending and rejected suggestions, unlink approved ones.

        An approved suggestion is an option of the poll now; it stays, naming nobody.
        """
        await self._session.execute(
            delete(PollSuggestion).where(
                PollSuggestion.member_id == member_id,
                PollSuggestion.status != SuggestionStatus.APPROVED,
            )
        )
        await self._session.execute(
            update(PollSuggestion)
            .where(PollSuggestion.member_id == member_id)
            .values(member_id=None)
        )
