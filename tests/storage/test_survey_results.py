"""The results queries count from the index; an export line keeps values in position order."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event

from flows.survey.definition import SurveyDefinition
from flows.survey.export import answer_line
from storage.db import Database
from storage.models import (
    Member,
    ResponseStatus,
    Survey,
    SurveyAnswer,
    SurveyResponse,
    SurveyStatus,
)
from storage.repositories.survey_results import SurveyResultsRepository

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
OPTIONS = [{"id": key, "text": key.upper()} for key in ("a", "b", "c")]


def open_survey(slug: str, *, anonymous: bool = False) -> Survey:
    """An open survey with no questions, for storage tests."""
    return Survey(
        slug=slug,
        title={"": slug},
        definition={},
        status=SurveyStatus.OPEN,
        anonymous=anonymous,
        created_at=NOW,
        updated_at=NOW,
    )


async def a_survey_with_one_response(database: Database) -> tuple[int, int]:
    """A survey whose one response's multiple rows were written last position first."""
    async with database.unit_of_work() as uow:
        survey = await uow.surveys.add(open_survey("order"))
        response = SurveyResponse(
            survey_id=survey.id,
            respondent="m:1",
            status=ResponseStatus.COMPLETE,
            language="en",
            started_at=NOW,
            updated_at=NOW,
            submitted_at=NOW,
        )
        uow.session.add(response)
        await uow.flush()
        rows = [("rank", 2, "c", 3.0), ("rank", 0, "a", 1.0), ("rank", 1, "b", 2.0)]
        rows += [("picks", 1, "other", None), ("picks", 0, "noise", None), ("score", 0, None, 7.0)]
        for question, position, choice, number in rows:
            uow.session.add(
                SurveyAnswer(
                    response_id=response.id,
                    question_id=question,
                    position=position,
                    survey_id=survey.id,
                    choice=choice,
                    number=number,
                    text="dogs" if choice == "other" else None,
                    answered_at=NOW,
                )
            )
            await uow.flush()  # one at a time, in this order
        await uow.commit()
        return survey.id, response.id


async def test_export_lines_join_values_in_position_order_whatever_the_writing_order(
    database: Database,
) -> None:
    _survey_id, response_id = await a_survey_with_one_response(database)
    definition = SurveyDefinition.model_validate(
        {
            "id": "order",
            "title": "Order",
            "questions": [
                {"id": "rank", "type": "ranking", "text": "Rank", "options": OPTIONS},
                {
                    "id": "picks",
                    "type": "multiple_choice",
                    "text": "Pick",
                    "other": True,
                    "options": [{"id": "noise", "text": "Noise"}, {"id": "dust", "text": "Dust"}],
                },
                {"id": "score", "type": "scale", "text": "Score", "scale_max": 10},
                {"id": "missing", "type": "short_text", "text": "Anything else?"},
            ],
        }
    )
    async with database.unit_of_work() as uow:
        answers = await uow.responses.answers(response_id)
    assert answer_line(definition, answers) == "a > b > c,noise; other: dogs,7,"


async def test_sqlite_counts_from_the_index_and_exports_through_the_primary_key(
    database: Database,
) -> None:
    if database.is_postgresql:
        pytest.skip("PostgreSQL plans by its statistics; these plans are SQLite's")
    survey_id, _ = await a_survey_with_one_response(database)
    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    async def plan_of(call: Callable[[SurveyResultsRepository], Awaitable[object]]) -> str:
        statements.clear()
        event.listen(database.engine.sync_engine, "before_cursor_execute", record)
        try:
            async with database.unit_of_work() as uow:
                await call(uow.survey_results)
        finally:
            event.remove(database.engine.sync_engine, "before_cursor_execute", record)
        statement, parameters = next(s for s in statements if s[0].lstrip().startswith("SELECT"))
        async with database.engine.connect() as connection:
            raw = await connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            return " | ".join(str(row[-1]) for row in raw)

    tally = await plan_of(lambda repository: repository.tally(survey_id, ["score"]))
    assert "COVERING INDEX ix_survey_answers_tally" in tally and "TEMP B-TREE" not in tally
    median = await plan_of(lambda repository: repository.median(survey_id, "score", 1))
    assert "COVERING INDEX ix_survey_answers_tally" in median and "TEMP B-TREE" not in median

    texts = await plan_of(
        lambda repository: repository.texts(survey_id, "idea", "en", choice=None, limit=3)
    )
    assert "USING INDEX ix_survey_answers_tally" in texts and "TEMP B-TREE" not in texts


async def test_anonymous_response_ids_do_not_tell_who_started_first(database: Database) -> None:
    async with database.unit_of_work() as uow:
        surveys = []
        for slug, anonymous in (("secret", True), ("named", False)):
            surveys.append((await uow.surveys.add(open_survey(slug, anonymous=anonymous))).id)
        await uow.commit()
    secret, named = surveys
    anonymous_ids, identified_ids = [], []
    async with database.unit_of_work() as uow:
        for n in range(30):  # people start one after the other
            response, created = await uow.responses.start(secret, f"p:{n}", None, "en", "q", NOW)
            assert created
            anonymous_ids.append(response.id)
            member = await uow.members.add(
                Member(telegram_id=900 + n, created_at=NOW, updated_at=NOW)
            )
            response, _ = await uow.responses.start(named, f"m:{n}", member.id, "en", "q", NOW)
            identified_ids.append(response.id)
        again, created = await uow.responses.start(secret, "p:0", None, "en", "q", NOW)
        assert not created and again.id == anonymous_ids[0]  # still one response each
        await uow.commit()
    assert identified_ids == sorted(identified_ids)  # identified ones simply count up
    assert all(i < 0 for i in anonymous_ids) and len(set(anonymous_ids)) == 30
    assert anonymous_ids != sorted(anonymous_ids) and anonymous_ids != sorted(anonymous_ids)[::-1]
