"""Survey responses, their answers and who took part: what residents write when they answer."""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Connection, Table, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.deferred import connection_after_deferred
from storage.models import (
    ResponseStatus,
    Survey,
    SurveyAnswer,
    SurveyContact,
    SurveyResponse,
)
from storage.repositories.dialect import MAX_ID, insert_on
from storage.repositories.response_records import COLUMNS, ResponseRecord, ResponseRecords


class AnswerValue(NamedTuple):
    """One stored value of an answer (a row of `survey_answers` without its keys).

    A named tuple rather than a frozen dataclass: every step of answering rebuilds a response's
    answers from their rows, and a tuple is several times cheaper to make.
    """

    choice: str | None = None
    number: float | None = None
    text: str | None = None
    language: str | None = None


Answers = dict[str, list[AnswerValue]]
"""A response's answers: question id -> its values, in position order."""

# The statements of the answering path, built once: building a statement costs more than
# SQLite takes to run it, and every press of every respondent runs these.
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
_RESPONSES_OF = select(*COLUMNS).where(
    _RESPONSES.c.survey_id == bindparam("survey_id"),
    _RESPONSES.c.respondent.in_(bindparam("respondents", expanding=True)),
)
_ANSWERS_OF = (
    select(
        _ANSWERS.c.response_id,
        _ANSWERS.c.question_id,
        _ANSWERS.c.choice,
        _ANSWERS.c.number,
        _ANSWERS.c.text,
        _ANSWERS.c.language,
    )
    .where(_ANSWERS.c.response_id.in_(bindparam("responses", expanding=True)))
    .order_by(_ANSWERS.c.response_id, _ANSWERS.c.question_id, _ANSWERS.c.position)
)


def _upsert_contacts(dialect_name: str) -> Any:
    """Record contacts' flags, keeping any flag already set (several rows at once)."""
    statement = insert_on(dialect_name, _CONTACTS)
    return statement.on_conflict_do_update(
        index_elements=["survey_id", "member_id"],
        set_={
            "started": or_(_CONTACTS.c.started, statement.excluded.started),
            "finished": or_(_CONTACTS.c.finished, statement.excluded.finished),
        },
    )


_UPSERT_CONTACTS = {name: _upsert_contacts(name) for name in ("sqlite", "postgresql")}


def _start(dialect_name: str, *, anonymous: bool) -> Any:
    """Insert a response unless the respondent has one; the new row comes back, else nothing.

    An anonymous response brings its own random id, so any conflict (the pair, or an id
    already taken) means nothing was inserted.
    """
    statement = insert_on(dialect_name, _RESPONSES)
    if anonymous:
        statement = statement.on_conflict_do_nothing()
    else:
        statement = statement.on_conflict_do_nothing(index_elements=["survey_id", "respondent"])
    return statement.returning(*COLUMNS)


_START = {
    (name, anonymous): _start(name, anonymous=anonymous)
    for name in ("sqlite", "postgresql")
    for anonymous in (False, True)
}

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
        self._ahead: dict[tuple[int, str], tuple[ResponseRecord, Answers] | None] = {}
        # The responses read for answering, as records whose changes are written back
        # together with the writes below.
        self._records = ResponseRecords()
        # Writes held back until the transaction's next statement or its commit (see
        # `storage.deferred`), so that a batch of answers is written by a few
        # statements instead of one or two per answer:
        # (response, question) -> (rows to replace first, the answer's new rows) ...
        self._replaced: dict[tuple[int, str], tuple[bool, list[dict[str, Any]]]] = {}
        # ... and (survey, member) -> (started, finished), flags that are only ever set.
        self._contacts: dict[tuple[int, int], tuple[bool, bool]] = {}

    @property
    def has_deferred(self) -> bool:
        """Whether changed responses, answers or contacts are held back, to be written."""
        return bool(self._replaced or self._contacts or self._records.changed())

    def write_deferred(self, connection: Connection) -> None:
        """Write what is held back, a statement for each kind of row."""
        self._records.write(connection)
        replaced, self._replaced = self._replaced, {}
        contacts, self._contacts = self._contacts, {}
        stale = [
            {"response_id": response_id, "question_id": question_id}
            for (response_id, question_id), (answered_before, _) in replaced.items()
            if answered_before
        ]
        if stale:
            connection.execute(_DELETE_ANSWER, stale)
        rows = [row for _, answer in replaced.values() for row in answer]
        if rows:
            connection.execute(_INSERT_ANSWERS, rows)
        if contacts:
            flags = [
                {
                    "survey_id": survey_id,
                    "member_id": member_id,
                    "started": started,
                    "finished": finished,
                    "reminded": False,
                }
                for (survey_id, member_id), (started, finished) in contacts.items()
            ]
            connection.execute(_UPSERT_CONTACTS[connection.dialect.name], flags)

    def drop_deferred(self) -> None:
        """Forget the writes held back (their savepoint was rolled back)."""
        self._replaced.clear()
        self._contacts.clear()
        self._records.revert()

    async def find(self, survey_id: int, respondent: str) -> ResponseRecord | None:
        """Return the response of `respondent` to a survey, or None."""
        found = await self._responses(survey_id, [respondent])
        return found[0] if found else None

    async def _responses(
        self, survey_id: int, respondents: Collection[str]
    ) -> list[ResponseRecord]:
        # Not flushed first: nothing the ORM holds pending is a response (their changes are
        # records', written before any statement).
        with self._session.no_autoflush:
            rows = await self._session.execute(
                _RESPONSES_OF, {"survey_id": survey_id, "respondents": list(respondents)}
            )
        return [self._records.track(row) for row in rows.all()]

    async def start(
        self,
        survey_id: int,
        respondent: str,
        member_id: int | None,
        language: str,
        current: str | None,
        at: datetime,
    ) -> tuple[ResponseRecord, bool]:
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
        # On the bare connection, so what the batch holds back stays held back: a new response
        # neither reads those rows nor can conflict with them (they never create responses).
        connection = await self._session.connection()
        statement = _START[(connection.dialect.name, member_id is None)]
        for _ in range(ID_DRAWS):
            if member_id is None:
                # Below zero, where the counting-up ids of identified responses never go.
                values["id"] = -1 - secrets.randbelow(MAX_ID)
            # The new row comes back; a conflict returns nothing.
            inserted = (await connection.execute(statement, values)).first()
            if inserted is not None:
                return self._records.track(inserted), True
            response = await self.find(survey_id, respondent)
            if response is not None:
                return response, False
        raise RuntimeError(f"no free response id in {ID_DRAWS} random draws")

    async def find_with_answers(
        self, survey_id: int, respondent: str
    ) -> tuple[ResponseRecord, Answers] | None:
        """Return the response of `respondent` to a survey with its answers.

        Every step of answering needs both, and this is the survey's hot path.
        """
        key = (survey_id, respondent)
        if key in self._ahead:
            return self._ahead.pop(key)
        return (await self._with_answers(survey_id, [respondent])).get(respondent)

    async def read_ahead(self, survey_id: int, respondents: Collection[str]) -> None:
        """Read these respondents' responses to a survey with their answers, in two queries.

        The next `find_with_answers` of each is then answered from memory. For a batch of
        updates this saves two queries per update on the answering path.
        """
        found = await self._with_answers(survey_id, respondents)
        for respondent in respondents:
            self._ahead[(survey_id, respondent)] = found.get(respondent)

    async def _with_answers(
        self, survey_id: int, respondents: Collection[str]
    ) -> dict[str, tuple[ResponseRecord, Answers]]:
        """These respondents' responses to a survey with their answers, by respondent.

        Two queries, both by plain statements: the responses (as records) and their answers.
        Joined, each response would come back once per answer.
        """
        records = await self._responses(survey_id, respondents)
        if not records:
            return {}
        answers = await self._answers_of([record.id for record in records])
        return {record.respondent: (record, answers.get(record.id, {})) for record in records}

    async def _answers_of(self, response_ids: list[int]) -> dict[int, Answers]:
        """These responses' answers by response, each by question in position order."""
        connection = await connection_after_deferred(self._session)
        rows = await connection.execute(_ANSWERS_OF, {"responses": response_ids})
        found: dict[int, Answers] = {}
        for response_id, question_id, choice, number, text, language in rows.all():
            answers = found.setdefault(response_id, {})
            answers.setdefault(question_id, []).append(AnswerValue(choice, number, text, language))
        return found

    async def answers(self, response_id: int) -> Answers:
        """Return a response's answers by question, each in position order."""
        return (await self._answers_of([response_id])).get(response_id, {})

    def replace_answer(
        self,
        response: ResponseRecord,
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
        # Held back and written with the batch's other answers before the transaction's next
        # statement (see `write_deferred`); a second change to the same answer meanwhile
        # replaces the first, which never reached the database.
        key = (response.id, question_id)
        earlier = self._replaced.get(key)
        self._replaced[key] = (earlier[0] if earlier else answered_before, rows)

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

    def mark_contact(
        self, survey_id: int, member_id: int, *, started: bool = False, finished: bool = False
    ) -> None:
        """Record that a member started (and perhaps finished) a survey; never unsets a flag.

        Held back like answers, and written with the batch's others (see `write_deferred`).
        """
        was_started, was_finished = self._contacts.get((survey_id, member_id), (False, False))
        self._contacts[(survey_id, member_id)] = (started or was_started, finished or was_finished)

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
        self._records.forget()  # and so may the records (their changes are written first)
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
