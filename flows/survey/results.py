"""A survey's results as a value: counts, shares, averages, NPS, rankings, texts, the funnel.

Everything is computed from the database's aggregates (see
`storage.repositories.survey_results`) and the definition, so the cost does not grow with the
number of responses beyond what the database counts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace

from flows.survey.definition import (
    CHOICE_TYPES,
    NO,
    NUMERIC_TYPES,
    OTHER,
    TEXT_TYPES,
    YES,
    Question,
    QuestionType,
    SurveyDefinition,
)
from flows.survey.lifecycle import definition_of
from storage.models import ResponseStatus, Survey
from storage.repositories.survey_results import NumberSummary, Tally
from storage.uow import UnitOfWork

HISTOGRAM_LIMIT = 12
"""A number question with at most this many distinct values is shown value by value."""
DOCUMENT_TEXTS = 2000
"""Typed answers a report lists per question and language; the exports hold every one."""
PROMOTERS, DETRACTORS = 9, 6  # NPS: 9-10 promote, 0-6 detract, 7-8 are passive


@dataclass(frozen=True, slots=True)
class Share:
    """One answer's part of a question: an option, yes/no, or a point of a scale.

    Attributes:
        key: The option id ("other" included), "yes"/"no", or the number as text.
        count: How many answers gave it.
        percent: Of the responses that answered the question (0 when nobody did).
    """

    key: str
    count: int
    percent: float


@dataclass(frozen=True, slots=True)
class Ranked:
    """How an option of a ranking question fared.

    Attributes:
        option: The option id.
        average_rank: Its mean rank among those who ranked it (1 is first).
        points: Borda points: first place earns as many points as there are options, last one.
        first: How many put it first.
    """

    option: str
    average_rank: float
    points: int
    first: int


@dataclass(frozen=True, slots=True)
class Nps:
    """A Net Promoter Score: % promoters (9-10) minus % detractors (0-6)."""

    promoters: int
    passives: int
    detractors: int

    @property
    def total(self) -> int:
        """How many answered."""
        return self.promoters + self.passives + self.detractors

    @property
    def score(self) -> float:
        """The score, from -100 to +100 (0 with no answers)."""
        if not self.total:
            return 0.0
        return 100 * (self.promoters - self.detractors) / self.total


@dataclass(frozen=True, slots=True)
class QuestionResults:
    """The results of one question; which fields are filled depends on its type.

    Attributes:
        question: The question.
        answered: How many responses answered it.
        shares: Options (choice, yes/no) or points (scale, NPS, few-valued numbers), in order.
        ranking: Ranking questions: options by points, best first.
        mean: Scale, NPS and number questions.
        median: Scale, NPS and number questions (exact).
        low: Number questions: the lowest value.
        high: Number questions: the highest value.
        dates: Date questions: the earliest and latest date (ISO).
        nps: NPS questions.
        texts: Free texts, or "other" texts of a choice, by language, oldest first (as many
            as were asked for).
        text_counts: How many texts there are in each language (None: not detected).
        stopped: Unfinished responses that stopped at this question.
    """

    question: Question
    answered: int
    shares: tuple[Share, ...] = ()
    ranking: tuple[Ranked, ...] = ()
    mean: float | None = None
    median: float | None = None
    low: float | None = None
    high: float | None = None
    dates: tuple[str, str] | None = None
    nps: Nps | None = None
    texts: dict[str | None, list[str]] = field(default_factory=dict)
    text_counts: dict[str | None, int] = field(default_factory=dict)
    stopped: int = 0


@dataclass(frozen=True, slots=True)
class SurveyResults:
    """A survey's results.

    Attributes:
        survey: The survey.
        definition: Its definition (texts, questions).
        started: Responses begun, submitted or not.
        submitted: Responses submitted.
        at_summary: Unfinished responses that reached the summary but did not submit.
        questions: One entry per question, in the survey's order.
    """

    survey: Survey
    definition: SurveyDefinition
    started: int
    submitted: int
    at_summary: int
    questions: tuple[QuestionResults, ...]

    @property
    def completion_rate(self) -> float:
        """Submitted responses as a percentage of those started (0 when none started)."""
        return 100 * self.submitted / self.started if self.started else 0.0

    @property
    def unfinished(self) -> int:
        """Responses started and not submitted."""
        return self.started - self.submitted


async def survey_results(
    uow: UnitOfWork, survey: Survey, *, texts_per_language: int = DOCUMENT_TEXTS
) -> SurveyResults:
    """Count a survey's results.

    Args:
        uow: The open unit of work.
        survey: The survey.
        texts_per_language: Keep at most this many typed answers per question and language
            (0 for none: the counts by language remain).
    """
    definition = definition_of(survey)
    repository = uow.survey_results
    questions = definition.questions
    statuses = await repository.response_counts(survey.id)
    stopped = await repository.stopped_at(survey.id)
    numbers = await repository.number_summaries(
        survey.id, [q.id for q in questions if q.type is QuestionType.NUMBER]
    )
    # Numbers with many distinct values would make the tally long: they are summarised and
    # their median found by the database instead.
    many = [qid for qid, summary in numbers.items() if summary.distinct > HISTOGRAM_LIMIT]
    medians = {qid: await repository.median(survey.id, qid, numbers[qid].count) for qid in many}
    tallies: dict[str, list[Tally]] = defaultdict(list)
    for row in await repository.tally(survey.id, many):
        tallies[row.question_id].append(row)
    dates = await repository.text_ranges(
        survey.id, [q.id for q in questions if q.type is QuestionType.DATE]
    )
    results = []
    for question in questions:
        qid, kind, rows = question.id, question.type, tallies[question.id]
        answered = sum(row.count for row in rows if row.position == 0)
        text_counts = _text_counts(question, rows)
        texts = {
            language: await repository.texts(
                survey.id,
                qid,
                language,
                choice=OTHER if kind in CHOICE_TYPES else None,
                limit=texts_per_language,
            )
            for language in text_counts
            if texts_per_language
        }
        base = QuestionResults(
            question,
            numbers[qid].count if qid in many else answered,
            stopped=stopped.get(qid, 0),
            texts=texts,
            text_counts=text_counts,
        )
        many_values = (numbers[qid], medians[qid]) if qid in many else None
        results.append(_figures(base, rows, many_values, dates.get(qid)))
    return SurveyResults(
        survey=survey,
        definition=definition,
        started=sum(statuses.values()),
        submitted=statuses.get(ResponseStatus.COMPLETE, 0),
        at_summary=stopped.get(None, 0),
        questions=tuple(results),
    )


def _figures(
    base: QuestionResults,
    rows: list[Tally],
    many_values: tuple[NumberSummary, float | None] | None,
    dates: tuple[str, str] | None,
) -> QuestionResults:
    """Add what the question's type calls for to `base` (its counts and texts).

    Args:
        base: The question's results so far.
        rows: The question's tally.
        many_values: For a number question with too many values for a tally: the summary of
            its numbers and their median.
        dates: For a date question: the earliest and latest date.
    """
    question = base.question
    kind = question.type
    if kind is QuestionType.RANKING:
        return replace(base, ranking=_ranking(question, rows))
    if kind in CHOICE_TYPES or kind is QuestionType.YES_NO:
        keys = [YES, NO] if kind is QuestionType.YES_NO else question.option_ids()
        picked: dict[str, int] = defaultdict(int)
        for row in rows:
            if row.choice is not None:
                picked[row.choice] += row.count
        return replace(base, shares=_shares(keys, picked, base.answered))
    if many_values is not None:
        summary, median = many_values
        mean = summary.total / summary.count
        return replace(base, mean=mean, median=median, low=summary.low, high=summary.high)
    if kind in NUMERIC_TYPES:
        histogram = {row.number: row.count for row in rows if row.number is not None}
        points = sorted(histogram) if kind is QuestionType.NUMBER else question.points
        values = {number_text(point): histogram.get(point, 0) for point in points}
        base = replace(
            base,
            shares=_shares(list(values), values, base.answered),
            mean=_mean(histogram),
            median=_median(histogram),
            nps=_nps(histogram) if kind is QuestionType.NPS else None,
        )
        if histogram and kind is QuestionType.NUMBER:
            base = replace(base, low=min(histogram), high=max(histogram))
        return base
    if kind is QuestionType.DATE:
        return replace(base, dates=dates)
    return base


def _text_counts(question: Question, rows: list[Tally]) -> dict[str | None, int]:
    """Typed answers by language: free texts, or the texts of "other" for a choice."""
    counts: dict[str | None, int] = defaultdict(int)
    if question.type in TEXT_TYPES:
        for row in rows:
            counts[row.language] += row.count
    elif question.other:
        for row in rows:
            if row.choice == OTHER:
                counts[row.language] += row.count
    return dict(counts)


def _shares(keys: list[str], counts: dict[str, int], answered: int) -> tuple[Share, ...]:
    return tuple(
        Share(key, counts.get(key, 0), 100 * counts.get(key, 0) / answered if answered else 0.0)
        for key in keys
    )


def _ranking(question: Question, rows: list[Tally]) -> tuple[Ranked, ...]:
    size = len(question.options)
    ranks: dict[str, int] = defaultdict(int)  # sum of ranks
    times: dict[str, int] = defaultdict(int)
    points: dict[str, int] = defaultdict(int)
    first: dict[str, int] = defaultdict(int)
    for row in rows:
        if row.choice is None:
            continue
        ranks[row.choice] += (row.position + 1) * row.count
        times[row.choice] += row.count
        points[row.choice] += max(size - row.position, 0) * row.count
        if row.position == 0:
            first[row.choice] += row.count
    ranked = [
        Ranked(
            option.id,
            ranks[option.id] / times[option.id] if times[option.id] else 0.0,
            points[option.id],
            first[option.id],
        )
        for option in question.options
    ]
    return tuple(sorted(ranked, key=lambda r: -r.points))  # stable: ties keep the given order


def _mean(histogram: dict[float, int]) -> float | None:
    total = sum(histogram.values())
    return sum(value * count for value, count in histogram.items()) / total if total else None


def _median(histogram: dict[float, int]) -> float | None:
    """The median of the values a histogram counts (the mean of the middle two for even n)."""
    total = sum(histogram.values())
    if not total:
        return None
    wanted = [(total - 1) // 2, total // 2]  # 0-based positions of the middle value(s)
    found: list[float] = []
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        while wanted and wanted[0] < seen:
            found.append(value)
            wanted.pop(0)
    return sum(found) / len(found)


def _nps(histogram: dict[float, int]) -> Nps:
    promoters = sum(c for v, c in histogram.items() if v >= PROMOTERS)
    detractors = sum(c for v, c in histogram.items() if v <= DETRACTORS)
    passives = sum(histogram.values()) - promoters - detractors
    return Nps(promoters, passives, detractors)


def number_text(value: float) -> str:
    """A number as people write it: 4, not 4.0."""
    return str(int(value)) if value == int(value) else f"{value:g}"
