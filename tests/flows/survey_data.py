"""Surveys and responses stored directly, as the answering flow stores them (see the contract in
flows/survey: one SurveyAnswer row per value), for tests of results and exports."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, time
from typing import Any

from flows.survey.export import answer_line
from flows.survey.lifecycle import definition_of
from storage.db import Database
from storage.models import (
    Member,
    ResponseStatus,
    Survey,
    SurveyAnswer,
    SurveyContact,
    SurveyResponse,
    SurveyStatus,
)
from storage.repositories.survey_responses import Answers, AnswerValue

Rows = list[dict[str, Any]]


def picks(*values: str | tuple[str, str]) -> Rows:
    """A single or multiple choice, or yes/no: option ids, ("other", text) for "other"."""
    rows: Rows = []
    for value in values:
        if isinstance(value, tuple):
            rows.append({"choice": "other", "text": value[1], "language": "en"})
        else:
            rows.append({"choice": value})
    return rows


def ranks(*options: str) -> Rows:
    """A ranking, first place first."""
    return [{"choice": option, "number": rank} for rank, option in enumerate(options, 1)]


def number(value: float) -> Rows:
    """A scale point, an NPS score or a number."""
    return [{"number": value}]


def text(value: str, language: str | None) -> Rows:
    """A free-text answer with its detected language."""
    return [{"text": value, "language": language}]


def date(value: str) -> Rows:
    """A date answer (ISO)."""
    return [{"text": value}]


def as_answers(answers: dict[str, Rows]) -> Answers:
    """The rows as the answering flow holds them (for the response's export line)."""
    fields = ("choice", "number", "text", "language")
    return {
        question: [AnswerValue(*(row.get(name) for name in fields)) for row in rows]
        for question, rows in answers.items()
    }


async def add_survey(
    database: Database,
    definition: dict[str, Any],
    at: datetime,
    *,
    anonymous: bool = False,
    status: SurveyStatus = SurveyStatus.OPEN,
) -> Survey:
    """Store a survey with this definition."""
    async with database.unit_of_work() as uow:
        survey = Survey(
            slug=definition["id"],
            title=definition["title"]
            if isinstance(definition["title"], dict)
            else {"": definition["title"]},
            definition=definition,
            status=status,
            anonymous=anonymous,
            created_at=at,
            updated_at=at,
        )
        await uow.surveys.add(survey)
        await uow.commit()
        return survey


async def store_response(
    database: Database,
    survey: Survey,
    answers: dict[str, Rows],
    at: datetime,
    *,
    member: Member | None = None,
    telegram_id: int | None = None,
    complete: bool = True,
    current: str | None = None,
    language: str = "en",
) -> int:
    """Store one response with its answers, as the answering flow would; return its id.

    Identified surveys name the member; anonymous ones store only the keyed pseudonym of
    `telegram_id` (or of the member's) and keep times to the day.
    """
    person = telegram_id if telegram_id is not None else (member.telegram_id if member else 0)
    if survey.anonymous:
        digest = hmac.new(b"townsquare", f"{survey.id}:{person}".encode(), hashlib.sha256)
        respondent, member_id = "a:" + digest.hexdigest()[:40], None
        at = datetime.combine(at.date(), time(), at.tzinfo)
    else:
        assert member is not None
        respondent, member_id = f"m:{member.id}", member.id
    async with database.unit_of_work() as uow:
        response = SurveyResponse(
            survey_id=survey.id,
            respondent=respondent,
            member_id=member_id,
            status=ResponseStatus.COMPLETE if complete else ResponseStatus.IN_PROGRESS,
            current=None if complete else current,
            language=language,
            started_at=at,
            updated_at=at,
            submitted_at=at if complete else None,
            cells=answer_line(definition_of(survey), as_answers(answers)),
        )
        uow.session.add(response)
        await uow.flush()
        for question_id, rows in answers.items():
            for position, values in enumerate(rows):
                uow.session.add(
                    SurveyAnswer(
                        response_id=response.id,
                        question_id=question_id,
                        position=position,
                        survey_id=survey.id,
                        answered_at=at,
                        **values,
                    )
                )
        if member is not None:
            uow.session.add(
                SurveyContact(
                    survey_id=survey.id, member_id=member.id, started=True, finished=complete
                )
            )
        await uow.commit()
        return response.id


async def member_of(database: Database, telegram_id: int) -> Member:
    """The member row of someone who went through /start."""
    async with database.unit_of_work() as uow:
        member = await uow.members.get_by_telegram_id(telegram_id)
        assert member is not None
        return member
