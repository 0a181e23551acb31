"""Answers and survey contacts are held back and written together, yet every statement of the
transaction sees them, a rolled-back savepoint drops them, and only a commit keeps them.
"""

from __future__ import annotations

from contextlib import suppress

import pytest
from sqlalchemy import func, select

from storage.db import Database
from storage.models import (
    Member,
    MemberStatus,
    ResponseStatus,
    SurveyAnswer,
    SurveyContact,
)
from storage.repositories.response_records import ResponseRecord
from storage.repositories.survey_responses import AnswerValue
from storage.uow import UnitOfWork
from tests.storage.test_survey_results import NOW, open_survey


async def survey_and_member(database: Database) -> tuple[int, int]:
    async with database.unit_of_work() as uow:
        survey = await uow.surveys.add(open_survey("deferred"))
        member = await uow.members.add(
            Member(
                telegram_id=501,
                first_name="Ada",
                status=MemberStatus.ACTIVE,
                created_at=NOW,
                updated_at=NOW,
            )
        )
        await uow.commit()
        return survey.id, member.id


async def start(database: Database, survey_id: int, member_id: int) -> int:
    async with database.unit_of_work() as uow:
        response, created = await uow.responses.start(
            survey_id, f"m:{member_id}", member_id, "en", "q1", NOW
        )
        await uow.commit()
        assert created
        return response.id


@pytest.fixture
async def begun(database: Database) -> tuple[int, int, int]:
    """A survey, a member, and the member's response to it: (survey, member, response) ids."""
    survey_id, member_id = await survey_and_member(database)
    return survey_id, member_id, await start(database, survey_id, member_id)


async def response_of(uow: UnitOfWork, survey_id: int, member_id: int) -> ResponseRecord:
    response = await uow.responses.find(survey_id, f"m:{member_id}")
    assert response is not None
    return response


async def contacts(database: Database) -> list[SurveyContact]:
    async with database.unit_of_work() as uow:
        return list((await uow.session.scalars(select(SurveyContact))).all())


async def stored(database: Database, response_id: int) -> dict[str, list[AnswerValue]]:
    async with database.unit_of_work() as uow:
        return await uow.responses.answers(response_id)


async def test_a_statement_after_an_answer_sees_it(
    database: Database, begun: tuple[int, int, int]
) -> None:
    survey_id, member_id, response_id = begun
    async with database.unit_of_work() as uow:
        response = await response_of(uow, survey_id, member_id)
        uow.responses.replace_answer(
            response, "q1", [AnswerValue(choice="a"), AnswerValue(choice="b")], NOW
        )
        assert uow.has_deferred_writes
        # Another repository's query, by the session: the rows are there for it.
        count = select(func.count()).select_from(SurveyAnswer)
        assert await uow.session.scalar(count) == 2
        assert not uow.has_deferred_writes
        assert await uow.responses.answers(response_id) == {
            "q1": [AnswerValue(choice="a"), AnswerValue(choice="b")]
        }
        await uow.commit()
    assert (await stored(database, response_id))["q1"] == [
        AnswerValue(choice="a"),
        AnswerValue(choice="b"),
    ]


async def test_changing_an_answer_twice_before_a_statement_keeps_the_last(
    database: Database, begun: tuple[int, int, int]
) -> None:
    survey_id, member_id, response_id = begun
    async with database.unit_of_work() as uow:
        response = await response_of(uow, survey_id, member_id)
        uow.responses.replace_answer(response, "q1", [AnswerValue(number=1)], NOW)
        await uow.commit()
    async with database.unit_of_work() as uow:
        response = await response_of(uow, survey_id, member_id)
        uow.responses.replace_answer(response, "q1", [AnswerValue(number=2)], NOW)
        uow.responses.replace_answer(response, "q1", [AnswerValue(number=3)], NOW)
        uow.responses.replace_answer(response, "q2", [AnswerValue(text="hi")], NOW)
        uow.responses.replace_answer(response, "q2", [], NOW)  # skipped after all
        await uow.commit()
    assert await stored(database, response_id) == {"q1": [AnswerValue(number=3)]}


async def test_contact_flags_are_merged_and_never_unset(database: Database) -> None:
    survey_id, member_id = await survey_and_member(database)
    async with database.unit_of_work() as uow:
        uow.responses.mark_contact(survey_id, member_id, started=True)
        uow.responses.mark_contact(survey_id, member_id, finished=True)
        await uow.commit()
    async with database.unit_of_work() as uow:
        uow.responses.mark_contact(survey_id, member_id, started=True)  # again, later
        await uow.commit()
    [contact] = await contacts(database)
    assert (contact.started, contact.finished, contact.reminded) == (True, True, False)


async def test_a_rolled_back_savepoint_drops_what_it_held_back(
    database: Database, begun: tuple[int, int, int]
) -> None:
    survey_id, member_id, response_id = begun
    async with database.unit_of_work() as uow:
        response = await response_of(uow, survey_id, member_id)
        uow.responses.replace_answer(response, "q1", [AnswerValue(choice="kept")], NOW)
        with suppress(RuntimeError):
            async with uow.savepoint():
                uow.responses.replace_answer(response, "q2", [AnswerValue(choice="gone")], NOW)
                uow.responses.mark_contact(survey_id, member_id, started=True)
                raise RuntimeError("the block fails")
        await uow.commit()
    assert await stored(database, response_id) == {"q1": [AnswerValue(choice="kept")]}
    assert await contacts(database) == []


async def test_without_a_commit_nothing_held_back_is_written(
    database: Database, begun: tuple[int, int, int]
) -> None:
    survey_id, member_id, response_id = begun
    async with database.unit_of_work() as uow:
        response = await response_of(uow, survey_id, member_id)
        uow.responses.replace_answer(response, "q1", [AnswerValue(choice="a")], NOW)
        uow.responses.mark_contact(survey_id, member_id, started=True)
    assert await stored(database, response_id) == {}
    assert await contacts(database) == []


async def test_a_changed_response_is_seen_by_the_next_statement_and_kept_by_commit(
    database: Database, begun: tuple[int, int, int]
) -> None:
    survey_id, member_id, _ = begun
    async with database.unit_of_work() as uow:
        response = await response_of(uow, survey_id, member_id)
        assert await uow.responses.find(survey_id, f"m:{member_id}") is response  # one record
        response.status, response.current = ResponseStatus.COMPLETE, None
        assert uow.has_deferred_writes
        assert await uow.responses.count_complete(survey_id) == 1  # a query of the mapped class
        await uow.commit()
    async with database.unit_of_work() as uow:
        again = await response_of(uow, survey_id, member_id)
        assert (again.status, again.current) == (ResponseStatus.COMPLETE, None)


async def test_a_rolled_back_savepoint_undoes_a_response_change(
    database: Database, begun: tuple[int, int, int]
) -> None:
    survey_id, member_id, _ = begun
    async with database.unit_of_work() as uow:
        response = await response_of(uow, survey_id, member_id)
        response.current = "q2"
        with suppress(RuntimeError):
            async with uow.savepoint():
                response.current = "q3"
                raise RuntimeError("the block fails")
        assert response.current == "q2"
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert (await response_of(uow, survey_id, member_id)).current == "q2"


async def test_an_export_on_the_bare_connection_sees_what_was_held_back(
    database: Database, begun: tuple[int, int, int]
) -> None:
    survey_id, member_id, _ = begun
    async with database.unit_of_work() as uow:
        response = await response_of(uow, survey_id, member_id)
        response.cells = "bike,3"  # as answering a question rewrites the export line
        [line] = await uow.survey_results.export_lines(
            survey_id, identified=True, formula_starts=("=",)
        )
        assert line.cells == "bike,3"
