"""Survey contacts: who was invited to a survey, who started and finished it, who was reminded.

Also the few reads that running a survey needs beside them: response counts per survey, the
members of a linked group, and the survey conversations to end when a survey closes.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    ChatMembership,
    ConversationState,
    Member,
    MemberStatus,
    ResponseStatus,
    SurveyContact,
    SurveyResponse,
)
from storage.repositories.dialect import insert_for


class SurveyContactRepository:
    """Reads and writes survey contacts."""

    def __init__(self, session: AsyncSession) -> None:
        """Bind to the unit of work's session."""
        self._session = session

    async def get(self, survey_id: int, member_id: int) -> SurveyContact | None:
        """Return a member's contact with a survey, or None."""
        return await self._session.get(SurveyContact, (survey_id, member_id))

    async def midway(self, survey_id: int) -> Sequence[Member]:
        """Return the members who started the survey and have not finished it (any status)."""
        statement = (
            select(Member)
            .join(SurveyContact, SurveyContact.member_id == Member.id)
            .where(
                SurveyContact.survey_id == survey_id,
                SurveyContact.started.is_(True),
                SurveyContact.finished.is_(False),
            )
            .order_by(Member.id)
        )
        return (await self._session.execute(statement)).scalars().all()

    async def to_remind(
        self, survey_id: int, *, started: bool, member_id: int | None = None
    ) -> Sequence[Member]:
        """Return reachable members not yet reminded who have not finished the survey.

        Args:
            survey_id: The survey.
            started: True: people who started and stopped half-way. False: invitees who never
                started; those who used /stop since are left out, as for any unasked message.
            member_id: Only this member.
        """
        statement = (
            select(Member)
            .join(SurveyContact, SurveyContact.member_id == Member.id)
            .where(
                SurveyContact.survey_id == survey_id,
                SurveyContact.started.is_(started),
                SurveyContact.finished.is_(False),
                SurveyContact.reminded.is_(False),
                Member.status == MemberStatus.ACTIVE,
                Member.telegram_id.is_not(None),
            )
            .order_by(Member.id)
        )
        if not started:
            statement = statement.where(
                SurveyContact.invited_at.is_not(None), Member.broadcasts_stopped_at.is_(None)
            )
        if member_id is not None:
            statement = statement.where(Member.id == member_id)
        return (await self._session.execute(statement)).scalars().all()

    async def mark_reminded(self, survey_id: int, member_ids: Collection[int]) -> None:
        """Record that these members were reminded, so that nobody is reminded twice."""
        if not member_ids:
            return
        await self._session.execute(
            update(SurveyContact)
            .where(SurveyContact.survey_id == survey_id, SurveyContact.member_id.in_(member_ids))
            .values(reminded=True)
        )

    async def contacted(self, survey_id: int) -> set[int]:
        """Return the ids of members already invited to, or taking part in, the survey."""
        statement = select(SurveyContact.member_id).where(
            SurveyContact.survey_id == survey_id,
            (SurveyContact.invited_at.is_not(None)) | SurveyContact.started.is_(True),
        )
        return set((await self._session.execute(statement)).scalars().all())

    async def invite(self, survey_id: int, member_ids: Collection[int], at: datetime) -> None:
        """Record an invitation of each member (who has no contact with the survey yet)."""
        rows = [
            {
                "survey_id": survey_id,
                "member_id": member_id,
                "invited_at": at,
                "started": False,
                "finished": False,
                "reminded": False,
            }
            for member_id in member_ids
        ]
        for start in range(0, len(rows), 1000):  # stay under the drivers' parameter limits
            await self._session.execute(
                insert_for(self._session, SurveyContact)
                .values(rows[start : start + 1000])
                .on_conflict_do_nothing(index_elements=["survey_id", "member_id"])
            )

    async def response_counts(self, survey_ids: Collection[int]) -> dict[int, tuple[int, int]]:
        """Return (responses started, responses submitted) per survey; absent means none."""
        if not survey_ids:
            return {}
        submitted = func.sum(case((SurveyResponse.status == ResponseStatus.COMPLETE, 1), else_=0))
        statement = (
            select(SurveyResponse.survey_id, func.count(), submitted)
            .where(SurveyResponse.survey_id.in_(survey_ids))
            .group_by(SurveyResponse.survey_id)
        )
        rows = (await self._session.execute(statement)).all()
        return {survey_id: (int(started), int(done or 0)) for survey_id, started, done in rows}

    async def group_audience(self, chat_id: int) -> Sequence[Member]:
        """Return the members seen in a group who may receive messages (consented, not stopped)."""
        statement = (
            select(Member)
            .join(ChatMembership, ChatMembership.member_id == Member.id)
            .where(
                ChatMembership.chat_id == chat_id,
                Member.status == MemberStatus.ACTIVE,
                Member.broadcasts_stopped_at.is_(None),
                Member.telegram_id.is_not(None),
            )
            .order_by(Member.id)
        )
        return (await self._session.execute(statement)).scalars().all()

    async def end_conversations(
        self, member_ids: Collection[int], flow: str, survey_id: int
    ) -> None:
        """End the members' conversations in `flow` that are about this survey (data["survey"]).

        Deleted through the session, not with a bulk statement, so that a handler later in the
        same transaction does not see a conversation that no longer exists.
        """
        if not member_ids:
            return
        statement = select(ConversationState).where(
            ConversationState.member_id.in_(member_ids), ConversationState.flow == flow
        )
        for state in (await self._session.execute(statement)).scalars().all():
            if state.data.get("survey") == survey_id:
                await self._session.delete(state)
        await self._session.flush()
