"""Survey results: aggregates counted by the database, and the rows of an export.

Every figure of `/results` comes from a GROUP BY here, over the index that holds exactly the
columns counted (`ix_survey_answers_tally`), so the results of a survey with 100,000 responses
come from a few hundred rows, counted without reading the table or sorting. Exports let the
database turn a response's answer rows into one row (a pivot), reading them through the
answers' primary key, in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import String, case, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.deferred import connection_after_deferred
from storage.models import (
    Member,
    MemberStatus,
    ResponseStatus,
    SurveyAnswer,
    SurveyContact,
    SurveyResponse,
)


@dataclass(frozen=True, slots=True)
class Tally:
    """How many answer rows of a question have these values.

    Attributes:
        question_id: The question.
        choice: The option, "yes"/"no", "other", or None (numbers, texts, dates).
        position: 0 for the first (or only) value of an answer; rank - 1 for rankings.
        number: The number, scale point or rank, if any.
        language: The detected language of a typed answer, if any.
        count: How many rows.
    """

    question_id: str
    choice: str | None
    position: int
    number: float | None
    language: str | None
    count: int


@dataclass(frozen=True, slots=True)
class NumberSummary:
    """The numbers given to one question: how many, their sum, extremes and distinct values."""

    count: int
    total: float
    low: float
    high: float
    distinct: int


class ExportLine(NamedTuple):
    """One response as an export writes it.

    Attributes:
        respondent: The respondent key (for ordering anonymous responses; never exported).
        own: The response's own cells as CSV text: status, submission time (ISO 8601, UTC; to
            the day for anonymous surveys) and language, then for identified surveys the
            member's name, username and Telegram id.
        cells: The stored line of answer cells.
    """

    respondent: str
    own: str
    cells: str


class SurveyResultsRepository:
    """Aggregate queries over one survey's responses and answers."""

    def __init__(self, session: AsyncSession) -> None:
        """Bind to the unit of work's session."""
        self._session = session

    async def response_counts(self, survey_id: int) -> dict[ResponseStatus, int]:
        """Return how many responses the survey has in each status."""
        statement = (
            select(SurveyResponse.status, func.count())
            .where(SurveyResponse.survey_id == survey_id)
            .group_by(SurveyResponse.status)
        )
        rows = (await self._session.execute(statement)).all()
        return {ResponseStatus(status): int(count) for status, count in rows}

    async def stopped_at(self, survey_id: int) -> dict[str | None, int]:
        """Return the unfinished responses by the question they stopped at (None: the summary)."""
        statement = (
            select(SurveyResponse.current, func.count())
            .where(
                SurveyResponse.survey_id == survey_id,
                SurveyResponse.status == ResponseStatus.IN_PROGRESS,
            )
            .group_by(SurveyResponse.current)
        )
        return {current: int(count) for current, count in await self._session.execute(statement)}

    async def tally(self, survey_id: int, leave_out: Sequence[str] = ()) -> list[Tally]:
        """Count the answer rows of every question by choice, position, number and language.

        One pass over the index that holds exactly these columns in this order, so the
        database counts without sorting or reading the table. Number questions with many
        distinct values are better `left out` and summarised with `number_summaries`.
        """
        answer = SurveyAnswer
        keys = (answer.question_id, answer.choice, answer.position, answer.number, answer.language)
        statement = select(*keys, func.count()).where(answer.survey_id == survey_id)
        if leave_out:
            statement = statement.where(answer.question_id.not_in(list(leave_out)))
        rows = await self._session.execute(statement.group_by(*keys))
        return [
            Tally(question, choice, int(position), number, language, int(count))
            for question, choice, position, number, language, count in rows
        ]

    async def number_summaries(
        self, survey_id: int, question_ids: Sequence[str]
    ) -> dict[str, NumberSummary]:
        """Return count, sum, extremes and number of distinct values of these questions' numbers."""
        if not question_ids:
            return {}
        number = SurveyAnswer.number
        statement = (
            select(
                SurveyAnswer.question_id,
                func.count(),
                func.sum(number),
                func.min(number),
                func.max(number),
                func.count(number.distinct()),
            )
            .where(
                SurveyAnswer.survey_id == survey_id,
                SurveyAnswer.question_id.in_(list(question_ids)),
                SurveyAnswer.choice.is_(None),
                SurveyAnswer.position == 0,
                number.is_not(None),
            )
            .group_by(SurveyAnswer.question_id)
        )
        found = {}
        for question, count, total, low, high, distinct in await self._session.execute(statement):
            # A group has at least one number, so its sum, minimum and maximum are not NULL.
            assert total is not None and low is not None and high is not None
            found[question] = NumberSummary(count, total, low, high, distinct)
        return found

    async def median(self, survey_id: int, question_id: str, count: int) -> float | None:
        """Return the exact median of a question's `count` numbers.

        For questions with too many distinct values for a histogram: the database sorts and
        skips to the middle, so only one or two values come back.
        """
        if count <= 0:
            return None
        statement = (
            select(SurveyAnswer.number)
            .where(
                SurveyAnswer.survey_id == survey_id,
                SurveyAnswer.question_id == question_id,
                SurveyAnswer.choice.is_(None),
                SurveyAnswer.position == 0,
                SurveyAnswer.number.is_not(None),
            )
            .order_by(SurveyAnswer.number)
            .offset((count - 1) // 2)
            .limit(1 if count % 2 else 2)
        )
        middle = [n for n in (await self._session.scalars(statement)).all() if n is not None]
        return sum(middle) / len(middle) if middle else None

    async def text_ranges(
        self, survey_id: int, question_ids: Sequence[str]
    ) -> dict[str, tuple[str, str]]:
        """Return the lowest and highest text of each question (the date range, for dates)."""
        if not question_ids:
            return {}
        statement = (
            select(
                SurveyAnswer.question_id, func.min(SurveyAnswer.text), func.max(SurveyAnswer.text)
            )
            .where(
                SurveyAnswer.survey_id == survey_id,
                SurveyAnswer.question_id.in_(list(question_ids)),
                SurveyAnswer.text.is_not(None),
            )
            .group_by(SurveyAnswer.question_id)
        )
        return {
            question: (str(low), str(high))
            for question, low, high in await self._session.execute(statement)
        }

    async def texts(
        self,
        survey_id: int,
        question_id: str,
        language: str | None,
        *,
        choice: str | None,
        limit: int,
    ) -> list[str]:
        """Return up to `limit` typed answers to a question in one detected language, oldest first.

        Args:
            survey_id: The survey.
            question_id: The question.
            language: The detected language (None: not detected).
            choice: None for free-text answers; "other" for the texts typed for that choice.
            limit: How many at most.
        """
        answer = SurveyAnswer
        statement = (
            select(answer.text)
            .where(
                answer.survey_id == survey_id,
                answer.question_id == question_id,
                *(
                    # A free-text answer is one row (position 0, no number): saying so lets
                    # the index hand the rows over in response order.
                    (answer.choice.is_(None), answer.position == 0, answer.number.is_(None))
                    if choice is None
                    else (answer.choice == choice,)
                ),
                answer.language.is_(None) if language is None else answer.language == language,
                answer.text.is_not(None),
            )
            .order_by(answer.response_id)
            .limit(limit)
        )
        return [str(text) for text in (await self._session.scalars(statement)).all()]

    async def photos(
        self, survey_id: int, question_id: str, *, by_respondent: bool, offset: int, limit: int
    ) -> tuple[int, list[str]]:
        """Return how many photos a question received and the file_ids of one page of them.

        Args:
            survey_id: The survey.
            question_id: The photo question.
            by_respondent: Order by the respondent key instead of the response (anonymous
                surveys: response ids grow with time, pseudonyms do not).
            offset: How many to pass over.
            limit: How many at most.
        """
        answer = SurveyAnswer
        # A photo is stored as one row with its file_id as text (no choice, no number).
        given = (
            answer.survey_id == survey_id,
            answer.question_id == question_id,
            answer.position == 0,
            answer.choice.is_(None),
            answer.text.is_not(None),
        )
        total = (await self._session.execute(select(func.count()).where(*given))).scalar_one()
        statement = select(answer.text).where(*given)
        if by_respondent:
            statement = statement.join(
                SurveyResponse, SurveyResponse.id == answer.response_id
            ).order_by(SurveyResponse.respondent)
        else:
            statement = statement.order_by(answer.response_id)
        page = (await self._session.scalars(statement.offset(offset).limit(limit))).all()
        return int(total), [str(file_id) for file_id in page]

    async def export_lines(
        self, survey_id: int, *, identified: bool, formula_starts: Sequence[str]
    ) -> list[ExportLine]:
        """Return every response of the survey, in id order, as lines of CSV text.

        The database writes the response's own cells (quoting names, turning times into text),
        so that 100,000 rows come back as three strings each with no work per row in Python.

        Args:
            survey_id: The survey.
            identified: Add the member's names and Telegram id (never for anonymous surveys).
            formula_starts: First characters a spreadsheet reads as a formula; a name starting
                with one gets an apostrophe, so that opening the file runs nothing.
        """
        response = SurveyResponse
        status = case((response.status == ResponseStatus.COMPLETE, "complete"), else_="incomplete")
        submitted = self._iso_text(response.submitted_at, day_only=not identified)
        own = status + "," + func.coalesce(submitted, "") + "," + response.language
        if identified:
            name = func.nullif(
                func.trim(
                    func.coalesce(Member.first_name, "") + " " + func.coalesce(Member.last_name, "")
                ),
                "",
            )
            telegram_id = func.coalesce(cast(Member.telegram_id, String), "")
            own = own + "," + _quoted(name, formula_starts) + ","
            own = own + _quoted(Member.username, formula_starts) + "," + telegram_id
        statement = select(response.respondent, own, response.cells)
        if identified:
            statement = statement.outerjoin(Member, Member.id == response.member_id)
        statement = statement.where(response.survey_id == survey_id).order_by(response.id)
        # Through the connection, not the ORM: plain rows are much faster to build. Answers
        # held back by this transaction (storage/deferred.py) are written first.
        connection = await connection_after_deferred(self._session)
        return [ExportLine._make(row) for row in await connection.execute(statement)]

    def _iso_text(self, moment: Any, *, day_only: bool) -> Any:
        """SQL for a stored UTC time as ISO 8601 text."""
        if self._session.get_bind().dialect.name == "postgresql":
            utc = func.timezone("UTC", moment)
            pattern = "YYYY-MM-DD" if day_only else 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'
            return func.to_char(utc, pattern)
        return func.strftime("%Y-%m-%d" if day_only else "%Y-%m-%dT%H:%M:%S+00:00", moment)

    async def finished_participants(self, survey_id: int) -> list[Member]:
        """Return the members who submitted the survey and can be messaged.

        Left out: people who erased themselves, blocked the bot, or used /stop (no
        announcements): results are sent like an announcement.
        """
        statement = (
            select(Member)
            .join(SurveyContact, SurveyContact.member_id == Member.id)
            .where(
                SurveyContact.survey_id == survey_id,
                SurveyContact.finished.is_(True),
                Member.status == MemberStatus.ACTIVE,
                Member.broadcasts_stopped_at.is_(None),
                Member.telegram_id.is_not(None),
            )
            .order_by(Member.id)
        )
        return list((await self._session.scalars(statement)).all())


def _quoted(text: Any, formula_starts: Sequence[str]) -> Any:
    """SQL for a CSV cell of free text: always quoted, quotes doubled, formulas defused."""
    starts = [literal(start) for start in formula_starts]
    safe = case((func.substr(text, 1, 1).in_(starts), "'" + text), else_=text)
    return case((text.is_(None), ""), else_='"' + func.replace(safe, '"', '""') + '"')
