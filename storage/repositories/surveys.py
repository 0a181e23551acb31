"""Surveys: their definitions and status."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Survey, SurveyStatus
from storage.repositories.dialect import can_exist


class SurveyRepository:
    """Reads and writes surveys."""

    def __init__(self, session: AsyncSession) -> None:
        """Bind to the unit of work's session."""
        self._session = session
        # The session's identity map holds objects weakly, so a survey that no handler still
        # references would be read again by the next one. Keeping those read in this
        # transaction means a batch of answers to one survey reads it once.
        self._read: dict[int, Survey] = {}

    async def add(self, survey: Survey) -> Survey:
        """Add a new survey and give it an id."""
        self._session.add(survey)
        await self._session.flush()
        return survey

    async def get(self, survey_id: int) -> Survey | None:
        """Return the survey with this id, or None (also for an id no survey can have)."""
        if not can_exist(survey_id):
            return None
        survey = self._read.get(survey_id)
        if survey is None:
            survey = await self._session.get(Survey, survey_id)
            if survey is not None:
                self._read[survey_id] = survey
        return survey

    async def get_locked(self, survey_id: int) -> Survey | None:
        """Return the survey with its row locked until the transaction ends, re-read.

        For decisions on its status (open, close): two instances deciding at once queue up on
        PostgreSQL, and the second sees what the first did. SQLite admits one writer anyway.
        """
        if not can_exist(survey_id):
            return None
        survey = await self._session.get(
            Survey, survey_id, with_for_update=True, populate_existing=True
        )
        if survey is not None:
            self._read[survey_id] = survey
        return survey

    async def get_by_slug(self, slug: str) -> Survey | None:
        """Return the survey with this slug (the definition's `id`), or None."""
        statement = select(Survey).where(Survey.slug == slug)
        return (await self._session.execute(statement)).scalar_one_or_none()

    async def listed(self, statuses: Sequence[SurveyStatus] | None = None) -> Sequence[Survey]:
        """Return surveys, newest first, optionally only those in `statuses`."""
        statement = select(Survey).order_by(Survey.id.desc())
        if statuses is not None:
            statement = statement.where(Survey.status.in_(list(statuses)))
        return (await self._session.execute(statement)).scalars().all()
