"""Survey responses, their answers and who took part: what residents write when they answer."""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    ResponseStatus,
    Survey,
    SurveyAnswer,
    SurveyContact,
    SurveyResponse,
)
from storage.repositories.dialect import MAX_ID, insert_for


@dataclass(frozen=True, slots=True)
class AnswerValue:
    """One stored value of an answer (a row of `survey_answers` without its keys)."""

    choice: str | None = None
    number: float | None = None
    text: str | None = None
    language: str | None = None


Answers = dict[str, list[AnswerValue]]
"""A response's answers: question id -> its values, in position order."""

# The statements of the answering path, built once: building a statement costs more than
# SQLite takes to run it, and every press of every respondent runs these.
_RESPONSES_WITH_ANSWERS = select(
    SurveyResponse,
    SurveyAnswer.question_id,
    SurveyAnswer.choice,
    SurveyAnswer.number,
    SurveyAnswer.text,
    SurveyAnswer.language,
).outerjoin(SurveyAnswer, SurveyAnswer.response_id == SurveyResponse.id)
_WITH_ANSWERS = _RESPONSES_WITH_ANSWERS.where(
    SurveyResponse.survey_id == bindparam("survey_id"),
    SurveyResponse.respondent == bindparam("respondent"),
).order_by(SurveyAnswer.question_id, SurveyAnswer.position)
_MANY_WITH_ANSWERS = _RESPONSES_WITH_ANSWERS.where(
    SurveyResponse.survey_id == bindparam("survey_id"),
    SurveyResponse.respondent.in_(bindparam("respondents", expanding=True)),
).order_by(SurveyAnswer.question_id, SurveyAnswer.position)
# On the table, not the mapped class: plain Core statements skip the ORM's bulk machinery
# (no answer is ever loaded as an object, so there is nothing in the session to keep in step).
_ANSWERS = cast(Table, SurveyAnswer.__table__)
# Writes of a response or a contact go to the tables, not through the mapped classes: an
# ORM statement would first flush every pending change of the batch, and the ORM would
# inspect each value; nothing these statements touch is pending in the session.
_RESPONSES = cast(Table, SurveyResponse.__table__)
_CONTACTS = cast(Table, SurveyContact.__table__)
_DELETE_ANSWER = delete(_ANSWERS).where(
    _ANSWERS.c.response_id == bindparam("response_id"),
    _ANSWERS.c.question_id == bindparam("question_id"),
)
_INSERT_ANSWERS = insert(_ANSWERS)

# Random ids of anonymous responses: a draw hits a taken id with the chance (responses / 2^31),
# so five misses in a row do not happen in practice.
ID_DRAWS = 5


class SurveyResponseRepository:
    """Reads and writes responses, answers and survey contacts."""

    def __init__(self, session: AsyncSession) -> None:
        """Bind to the unit of work's session."""
        self._session = session
        # Read ahead for a batch (`read_ahead`): (survey, respondent) -> what
        # `find_with_answers` would return. Each entry serves one call, then the database does.
        self._ahead: dict[tuple[int, str], tuple[SurveyResponse, Answers] | None] = {}

    async def find(self, survey_id: int, respondent: str) -> SurveyResponse | None:
        """Return the response of `respondent` to a survey, or None."""
        statement = select(SurveyResponse).where(
            SurveyResponse.survey_id == survey_id, SurveyResponse.respondent == respondent
        )
        # Not flushed first: responses are written by plain statements, never left pending,
        # and a loaded one comes back as the object already in the session.
        with self._session.no_autoflush:
            return (await self._session.execute(statement)).scalar_one_or_none()

    async def start(
        self,
        survey_id: int,
        respondent: str,
        member_id: int | None,
        language: str,
        current: str | None,
        at: datetime,
    ) -> tuple[SurveyResponse, bool]:
        """Create the response unless the respondent has one; return it and whether it is new.

        The insert does nothing on a conflict with the unique (survey, respondent) pair, so two
        concurrent starts, even on two instances, end with one response. An anonymous response
        (no member) gets a random negative id instead of the next one, so that the order of
        the ids is not the order in which people started; an id already taken is drawn again.
        """
        values = {
            "survey_id": survey_id,
            "respondent": respondent,
            "member_id": member_id,
            "status": ResponseStatus.IN_PROGRESS,
            "current": current,
            "language": language,
            "started_at": at,
            "updated_at": at,
        }
        statement = insert_for(self._session, _RESPONSES)
        if member_id is not None:
            statement = statement.on_conflict_do_nothing(index_elements=["survey_id", "respondent"])
        else:  # the pair, or a random id already taken
            statement = statement.on_conflict_do_nothing()
        for _ in range(ID_DRAWS):
            if member_id is None:
                # Below zero, where the counting-up ids of identified responses never go.
                values["id"] = -1 - secrets.randbelow(MAX_ID)
            result = await self._session.execute(statement.values(**values))
            created = bool(result.rowcount)  # type: ignore[attr-defined]
            response = await self.find(survey_id, respondent)
            if response is not None:
                return response, created
        raise RuntimeError(f"no free response id in {ID_DRAWS} random draws")

    async def find_with_answers(
        self, survey_id: int, respondent: str
    ) -> tuple[SurveyResponse, Answers] | None:
        """Return the response of `respondent` to a survey with its answers, in one query.

        Every step of answering needs both, and this is the survey's hot path.
        """
        key = (survey_id, respondent)
        if key in self._ahead:
            return self._ahead.pop(key)
        # Not flushed first: this reads one respondent's rows, and only that respondent's own
        # update (never in the same batch as this one) can have changed them. Left pending,
        # the batch's changes go out together at commit.
        with self._session.no_autoflush:
            rows = await self._session.execute(
                _WITH_ANSWERS, {"survey_id": survey_id, "respondent": respondent}
            )
        return _by_respondent(rows).get(respondent)

    async def read_ahead(self, survey_id: int, respondents: Collection[str]) -> None:
        """Read these respondents' responses to a survey with their answers, in one query.

        The next `find_with_answers` of each is then answered from memory. For a batch of
        updates this saves a query per update on the answering path.
        """
        with self._session.no_autoflush:  # as in find_with_answers
            rows = await self._session.execute(
                _MANY_WITH_ANSWERS, {"survey_id": survey_id, "respondents": list(respondents)}
            )
        found = _by_respondent(rows)
        for respondent in respondents:
            self._ahead[(survey_id, respondent)] = found.get(respondent)

    async def answers(self, response_id: int) -> Answers:
        """Return a response's answers by question, each in position order."""
        statement = (
            select(
                SurveyAnswer.question_id,
                SurveyAnswer.choice,
                SurveyAnswer.number,
                SurveyAnswer.text,
                SurveyAnswer.language,
            )
            .where(SurveyAnswer.response_id == response_id)
            .order_by(SurveyAnswer.question_id, SurveyAnswer.position)
        )
        found: Answers = {}
        for question_id, choice, number, text, language in await self._session.execute(statement):
            found.setdefault(question_id, []).append(AnswerValue(choice, number, text, language))
        return found

    async def replace_answer(
        self,
        response: SurveyResponse,
        question_id: str,
        values: Sequence[AnswerValue],
        at: datetime,
        *,
        answered_before: bool = True,
    ) -> None:
        """Replace the answer to one question with `values` (positions 0..n-1).

        `answered_before=False` (the caller knows there is nothing to replace) saves a delete.
        """
        rows = [
            {
                "response_id": response.id,
                "question_id": question_id,
                "position": position,
                "survey_id": response.survey_id,
                "choice": value.choice,
                "number": value.number,
                "text": value.text,
                "language": value.language,
                "answered_at": at,
            }
            for position, value in enumerate(values)
        ]
        # Answer rows are written at once on the transaction's connection, past the ORM: the
        # response's own pending changes are not flushed before them (they go out with the
        # rest of the batch's at commit), and the session's execution machinery is skipped.
        connection = await self._session.connection()
        if answered_before:
            await connection.execute(
                _DELETE_ANSWER, {"response_id": response.id, "question_id": question_id}
            )
        if rows:
            await connection.execute(_INSERT_ANSWERS, rows)

    async def delete_answers(self, response_id: int, question_ids: Iterable[str]) -> None:
        """Delete a response's answers to these questions."""
        ids = list(question_ids)
        if ids:
            await self._session.execute(
                delete(SurveyAnswer).where(
                    SurveyAnswer.response_id == response_id, SurveyAnswer.question_id.in_(ids)
                )
            )

    async def count_complete(self, survey_id: int) -> int:
        """How many responses to a survey were submitted."""
        statement = select(func.count()).where(
            SurveyResponse.survey_id == survey_id,
            SurveyResponse.status == ResponseStatus.COMPLETE,
        )
        return int((await self._session.execute(statement)).scalar_one())

    async def mark_contact(
        self, survey_id: int, member_id: int, *, started: bool = False, finished: bool = False
    ) -> None:
        """Record that a member started (and perhaps finished) a survey; never unsets a flag."""
        values = {"started": True} if started else {}
        if finished:
            values["finished"] = True
        await self._session.execute(
            insert_for(self._session, _CONTACTS)
            .values(
                survey_id=survey_id,
                member_id=member_id,
                started=started,
                finished=finished,
                reminded=False,
            )
            .on_conflict_do_update(index_elements=["survey_id", "member_id"], set_=values)
        )

    async def of_member(self, member_id: int) -> Sequence[tuple[SurveyResponse, Survey, Answers]]:
        """Return a member's identified responses with their surveys and answers."""
        statement = (
            select(SurveyResponse, Survey)
            .join(Survey, Survey.id == SurveyResponse.survey_id)
            .where(SurveyResponse.member_id == member_id)
            .order_by(SurveyResponse.id)
        )
        rows = (await self._session.execute(statement)).all()
        return [(response, survey, await self.answers(response.id)) for response, survey in rows]

    async def contacts_of(self, member_id: int) -> Sequence[tuple[SurveyContact, Survey]]:
        """Return a member's survey contacts (invited, started, finished) with their surveys."""
        statement = (
            select(SurveyContact, Survey)
            .join(Survey, Survey.id == SurveyContact.survey_id)
            .where(SurveyContact.member_id == member_id)
            .order_by(Survey.id)
        )
        return [(contact, survey) for contact, survey in await self._session.execute(statement)]

    async def erase_member(self, member_id: int) -> None:
        """Erase what a member wrote in identified surveys and their survey contacts.

        Unfinished responses go entirely. Submitted ones keep their choices and numbers (so the
        totals stay right) but lose every free text: text answers and dates are deleted, the
        text of an "other" choice is cleared.
        """
        self._ahead.clear()  # what was read ahead may be what is erased here
        mine = select(SurveyResponse.id).where(SurveyResponse.member_id == member_id)
        submitted = mine.where(SurveyResponse.status == ResponseStatus.COMPLETE)
        await self._session.execute(
            delete(SurveyAnswer).where(
                SurveyAnswer.response_id.in_(submitted),
                SurveyAnswer.choice.is_(None),
                SurveyAnswer.text.is_not(None),
            )
        )
        await self._session.execute(
            update(SurveyAnswer)
            .where(and_(SurveyAnswer.response_id.in_(submitted), SurveyAnswer.text.is_not(None)))
            .values(text=None, language=None)
        )
        unfinished = mine.where(SurveyResponse.status == ResponseStatus.IN_PROGRESS)
        await self._session.execute(
            delete(SurveyAnswer).where(SurveyAnswer.response_id.in_(unfinished))
        )
        await self._session.execute(
            delete(SurveyResponse).where(
                SurveyResponse.member_id == member_id,
                SurveyResponse.status == ResponseStatus.IN_PROGRESS,
            )
        )
        await self._session.execute(
            delete(SurveyContact).where(SurveyContact.member_id == member_id)
        )


def _by_respondent(rows: Iterable[Any]) -> dict[str, tuple[SurveyResponse, Answers]]:
    """Group rows of responses joined with their answers (ordered by question and position)."""
    found: dict[str, tuple[SurveyResponse, Answers]] = {}
    for response, question_id, choice, number, text, language in rows:
        _, answers = found.setdefault(response.respondent, (response, {}))
        if question_id is not None:  # a response with no answer yet has one row of NULLs
            answers.setdefault(question_id, []).append(AnswerValue(choice, number, text, language))
    return found
