"""A survey as data: the definition organisers write in YAML or JSON, validated by pydantic.

A definition holds everything about a survey: its texts (each either one string or a mapping of
language code to string), its settings and its questions. It is stored as JSON beside the
survey and read back through `SurveyDefinition.model_validate`.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

SLUG = r"^[a-z0-9][a-z0-9_-]{0,39}$"
"""Ids of surveys, questions and options: short, lower-case, safe in button data and links."""
MAX_QUESTIONS = 50
MAX_OPTIONS = 20
MAX_TEXT = 1000  # a question's or option's text, per language
SHORT_TEXT_LIMIT = 200
LONG_TEXT_LIMIT = 2000
MAX_FREE_TEXT = 4000


def _one_language(value: object) -> object:
    # A text written as one string is in the survey's default language.
    return {"": value} if isinstance(value, str) else value


def _localized(texts: dict[str, str]) -> dict[str, str]:
    for language, text in texts.items():
        if language and not re.fullmatch(r"[a-z]{2,3}(_[A-Za-z]{2,4})?", language):
            raise ValueError(f"{language!r} is not a language code (like en or zh_Hans)")
        if not text.strip():
            raise ValueError("a text may not be empty")
        if len(text) > MAX_TEXT:
            raise ValueError(f"a text may have at most {MAX_TEXT} characters")
    if not texts:
        raise ValueError("give at least one text")
    return texts


def _compact(texts: dict[str, str]) -> str | dict[str, str]:
    # A text written as one string is written back as one string.
    return texts[""] if list(texts) == [""] else texts


Text = Annotated[
    dict[str, str],
    BeforeValidator(_one_language),
    AfterValidator(_localized),
    PlainSerializer(_compact, return_type=Any),
]
"""A text in one language ("Parks") or several ({"en": "Parks", "zh_Hans": "公园"}).

After validation it is always a mapping; the key "" means "the survey's default language".
"""
Slug = Annotated[str, Field(pattern=SLUG)]


class Strict(BaseModel):
    """A part of a definition: unknown fields are errors, so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class QuestionType(StrEnum):
    """The kinds of question a survey can ask."""

    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    SCALE = "scale"
    NPS = "nps"
    YES_NO = "yes_no"
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    NUMBER = "number"
    DATE = "date"
    RANKING = "ranking"
    PHOTO = "photo"


CHOICE_TYPES = frozenset(
    {QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE, QuestionType.RANKING}
)
TEXT_TYPES = frozenset({QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT})
NUMERIC_TYPES = frozenset({QuestionType.SCALE, QuestionType.NPS, QuestionType.NUMBER})
OTHER = "other"
"""The choice recorded for "Other, please specify" (the typed text goes with it)."""
YES, NO = "yes", "no"


class Option(Strict):
    """One option of a choice or ranking question."""

    id: Slug
    text: Text


class Condition(Strict):
    """Show a question only if an earlier answer matches. Give exactly one test.

    Attributes:
        question: The id of an earlier question.
        equals: Its answer is this option (or "yes"/"no", or a number for scales).
        differs: Its answer was given and is not this option.
        includes: Its answer (a multiple choice or ranking) includes this option.
        answered: True: it was answered; False: it was skipped or not shown.
    """

    question: Slug
    equals: str | int | None = None
    differs: str | int | None = None
    includes: str | None = None
    answered: bool | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Self:
        tests = [self.equals, self.differs, self.includes, self.answered]
        if sum(test is not None for test in tests) != 1:
            raise ValueError("give exactly one of equals, differs, includes or answered")
        return self


class Question(Strict):
    """One question. Which fields apply depends on `type`."""

    id: Slug
    type: QuestionType
    text: Text
    hint: Text | None = None
    required: bool = True
    options: list[Option] = Field(default_factory=list, max_length=MAX_OPTIONS)
    other: bool = False  # single or multiple choice: add "Other, please specify"
    min_picks: int | None = Field(default=None, ge=1)  # multiple choice
    max_picks: int | None = Field(default=None, ge=1)  # multiple choice
    scale_min: int = Field(default=1, ge=0, le=1)  # scale: 0 or 1
    scale_max: int = Field(default=5, ge=2, le=10)  # scale: up to 10
    min_label: Text | None = None  # scale: what the lowest point means
    max_label: Text | None = None  # scale: what the highest point means
    max_length: int | None = Field(default=None, ge=1, le=MAX_FREE_TEXT)  # free text
    min: float | None = None  # number
    max: float | None = None  # number
    integer: bool = False  # number: whole numbers only
    show_if: Condition | None = None

    @model_validator(mode="after")
    def _fields_fit_the_type(self) -> Self:
        kind = self.type
        if kind in CHOICE_TYPES:
            if len(self.options) < 2:
                raise ValueError(f"a {kind} question needs at least two options")
            ids = [option.id for option in self.options]
            if len(set(ids)) != len(ids):
                raise ValueError("option ids must be different from each other")
            if OTHER in ids:
                raise ValueError(f"{OTHER!r} is kept for 'other, please specify'")
        elif self.options:
            raise ValueError(f"a {kind} question has no options")
        if self.other and kind not in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
            raise ValueError("only single and multiple choice questions can offer 'other'")
        if (self.min_picks or self.max_picks) and kind is not QuestionType.MULTIPLE_CHOICE:
            raise ValueError("min_picks and max_picks are for multiple choice questions")
        if kind is QuestionType.MULTIPLE_CHOICE:
            choices = len(self.options) + (1 if self.other else 0)
            low, high = self.min_picks or 1, self.max_picks or choices
            if not low <= high <= choices:
                raise ValueError(f"need min_picks <= max_picks <= {choices} (the choices offered)")
        if self.max_length is not None and kind not in TEXT_TYPES:
            raise ValueError("max_length is for short_text and long_text questions")
        if (self.min is not None or self.max is not None or self.integer) and (
            kind is not QuestionType.NUMBER
        ):
            raise ValueError("min, max and integer are for number questions")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min must not be above max")
        return self

    @property
    def picks(self) -> tuple[int, int]:
        """The fewest and most options a multiple choice answer may pick."""
        choices = len(self.options) + (1 if self.other else 0)
        return self.min_picks or 1, self.max_picks or choices

    @property
    def text_limit(self) -> int:
        """The longest free-text answer accepted (the "other" text of a choice included)."""
        if self.max_length is not None:
            return self.max_length
        return LONG_TEXT_LIMIT if self.type is QuestionType.LONG_TEXT else SHORT_TEXT_LIMIT

    @property
    def points(self) -> list[int]:
        """The points of a scale or NPS question, lowest first."""
        if self.type is QuestionType.NPS:
            return list(range(0, 11))
        return list(range(self.scale_min, self.scale_max + 1))

    def option_ids(self) -> list[str]:
        """The choices an answer may name, "other" included when offered."""
        ids = [option.id for option in self.options]
        return [*ids, OTHER] if self.other else ids


class AudienceKind(StrEnum):
    """Who may answer a survey."""

    EVERYONE = "everyone"  # every member who consented
    GROUP = "group"  # members seen in a linked community group
    FOLLOWERS = "followers"  # followers of a topic or area


class Audience(Strict):
    """Who may answer: everyone, members of a linked group, or followers of a topic or area."""

    kind: AudienceKind = AudienceKind.EVERYONE
    chat_id: int | None = None  # for "group": the group's Telegram chat id
    followable: Slug | None = None  # for "followers": the topic's or area's slug

    @model_validator(mode="after")
    def _target_given(self) -> Self:
        if self.kind is AudienceKind.GROUP and self.chat_id is None:
            raise ValueError("a group audience needs chat_id")
        if self.kind is AudienceKind.FOLLOWERS and self.followable is None:
            raise ValueError("a followers audience needs followable (a topic or area slug)")
        return self


class Settings(Strict):
    """How a survey runs.

    Attributes:
        opens_at: Residents can answer from then (at once if empty).
        closes_at: The survey closes itself then (kept open until closed by hand if empty).
        max_responses: The survey closes itself after this many submitted responses.
        audience: Who may answer.
        anonymous: Store answers without any link to the person (a keyed pseudonym only).
        editable: A resident may change their submitted answers until the survey closes.
        publish_results: Send a summary of the results to the participants when it closes.
        remind_after_hours: Remind people who started but did not finish, once, this long
            after they last answered (0: never). Invitees who never started are reminded
            the same time before the survey closes.
    """

    opens_at: datetime | None = None
    closes_at: datetime | None = None
    max_responses: int | None = Field(default=None, ge=1)
    audience: Audience = Field(default_factory=Audience)
    anonymous: bool = False
    editable: bool = False
    publish_results: bool = False
    remind_after_hours: float = Field(default=24, ge=0, le=24 * 30)

    @field_validator("opens_at", "closes_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give a time zone, e.g. 2027-01-31T18:00:00+00:00")
        return value

    @model_validator(mode="after")
    def _opens_before_closing(self) -> Self:
        if self.opens_at and self.closes_at and self.opens_at >= self.closes_at:
            raise ValueError("closes_at must be after opens_at")
        return self


class SurveyDefinition(Strict):
    """A whole survey: texts, settings and questions."""

    id: Slug
    default_language: str = "en"
    title: Text
    intro: Text | None = None
    thank_you: Text | None = None
    settings: Settings = Field(default_factory=Settings)
    questions: list[Question] = Field(min_length=1, max_length=MAX_QUESTIONS)

    @model_validator(mode="after")
    def _questions_fit_together(self) -> Self:
        seen: dict[str, Question] = {}
        for question in self.questions:
            if question.id in seen:
                raise ValueError(f"two questions have the id {question.id!r}")
            if question.show_if is not None:
                _check_condition(question, question.show_if, seen)
            seen[question.id] = question
        return self

    def question(self, question_id: str) -> Question | None:
        """Return the question with this id, or None."""
        return next((q for q in self.questions if q.id == question_id), None)

    def languages(self) -> set[str]:
        """Every language some text of the survey is written in (the default included)."""
        found = {self.default_language}
        for texts in _all_texts(self):
            found |= {language for language in texts if language}
        return found

    def text(self, texts: dict[str, str], language: str) -> str:
        """Pick `language` from a text, else the survey's default language, else any."""
        for key in (language, self.default_language, ""):
            if key in texts:
                return texts[key]
        return next(iter(texts.values()))


def _check_condition(
    question: Question, condition: Condition, earlier: dict[str, Question]
) -> None:
    target = earlier.get(condition.question)
    if target is None:
        raise ValueError(
            f"question {question.id!r}: show_if refers to {condition.question!r}, "
            "which is not an earlier question"
        )
    value = condition.equals if condition.equals is not None else condition.differs
    if condition.includes is not None:
        if target.type not in (QuestionType.MULTIPLE_CHOICE, QuestionType.RANKING):
            raise ValueError(
                f"question {question.id!r}: 'includes' needs a multiple choice or ranking question"
            )
        value = condition.includes
    if value is None:
        return
    allowed: list[str | int]
    if target.type in CHOICE_TYPES:
        allowed = list(target.option_ids())
    elif target.type is QuestionType.YES_NO:
        allowed = [YES, NO]
    elif target.type in (QuestionType.SCALE, QuestionType.NPS):
        allowed = list(target.points)
    else:
        raise ValueError(
            f"question {question.id!r}: show_if can only compare with a choice, yes/no, scale "
            "or NPS question; use 'answered' for the others"
        )
    if value not in allowed:
        raise ValueError(
            f"question {question.id!r}: {value!r} is not an answer of {target.id!r} "
            f"(one of {', '.join(map(str, allowed))})"
        )


def _all_texts(definition: SurveyDefinition) -> list[dict[str, str]]:
    texts: list[Any] = [definition.title, definition.intro, definition.thank_you]
    for question in definition.questions:
        texts += [question.text, question.hint, question.min_label, question.max_label]
        texts += [option.text for option in question.options]
    return [t for t in texts if t is not None]
