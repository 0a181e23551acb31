"""One question on screen: its text, its buttons, and what a typed answer means for its type.

Buttons carry `sv.<step>:<survey id>:<question id>:<mode>[:<value>]`; the mode is `n` while
answering in order and `e` while changing one answer from the summary. A choice is sent as the
option's index (`o` for "other"), a scale point as its number, yes/no as `yes`/`no`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from flows.codec import payload
from flows.effects import Button, Keyboard
from flows.i18n import N_, Translator
from flows.langdetect import detect_language
from flows.survey.definition import (
    NO,
    OTHER,
    TEXT_TYPES,
    YES,
    Question,
    QuestionType,
    SurveyDefinition,
)
from storage.repositories.survey_responses import AnswerValue

IN_ORDER, EDITING = "n", "e"
CHECK = "✓ "
OTHER_VALUE = "o"  # the button value of "Other, please specify"
RESTART_VALUE = "x"  # the ranking's "Start over"
TYPED_TYPES = TEXT_TYPES | {QuestionType.NUMBER, QuestionType.DATE}
SUMMARY_TEXT_LIMIT = 200  # a long free-text answer is shortened in the summary
THOUSANDS = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d+)?")  # 1,000 and 12,500.75
POINTS_PER_ROW = 6

YES_TEXT, NO_TEXT, OTHER_TEXT = N_("Yes"), N_("No"), N_("Other")
PHOTO_GIVEN = N_("📷 photo")
SEND_A_PHOTO = N_(
    "Send a photo: tap 📎 and choose a picture (as a photo, not as a file). A caption is not kept."
)
DATE_FORMATS = (
    re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"),
    re.compile(r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})"),
    re.compile(r"(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})"),
)


class InvalidAnswer(ValueError):
    """A typed answer that does not fit its question; the message is the hint to show."""


@dataclass(frozen=True, slots=True)
class Place:
    """Where a question stands for the respondent: its number among those shown, and mode."""

    survey_id: int
    number: int
    total: int
    mode: str


def number_text(value: float) -> str:
    """A number as people write it: 3, 2.5 (no trailing .0)."""
    return f"{value:g}"


def describe(
    question: Question, values: list[AnswerValue], definition: SurveyDefinition, t: Translator
) -> str:
    """An answer in words, for the summary and for "Your answer"."""
    kind = question.type
    if kind in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
        return ", ".join(_choice_text(question, value, definition, t) for value in values)
    if kind is QuestionType.RANKING:
        return ", ".join(
            f"{position}. {_choice_text(question, value, definition, t)}"
            for position, value in enumerate(values, start=1)
        )
    value = values[0]
    if kind is QuestionType.PHOTO:
        return t(PHOTO_GIVEN)  # the photo itself is in the chat, above
    if kind is QuestionType.YES_NO:
        return t(YES_TEXT) if value.choice == YES else t(NO_TEXT)
    if value.number is not None:
        return number_text(value.number)
    return value.text or ""


def _choice_text(
    question: Question, value: AnswerValue, definition: SurveyDefinition, t: Translator
) -> str:
    if value.choice == OTHER:
        return f"{t(OTHER_TEXT)}: {value.text or ''}"
    option = next((o for o in question.options if o.id == value.choice), None)
    return definition.text(option.text, t.language) if option else str(value.choice)


def is_complete(question: Question, values: list[AnswerValue]) -> bool:
    """Whether stored values are a whole answer (a ranking may be half done, picks too few)."""
    if not values:
        return False
    if question.type is QuestionType.RANKING:
        return len(values) == len(question.options)
    if question.type is QuestionType.MULTIPLE_CHOICE:
        low, high = question.picks
        return low <= len(values) <= high
    return True


def render(
    question: Question,
    values: list[AnswerValue],
    definition: SurveyDefinition,
    place: Place,
    t: Translator,
) -> tuple[str, Keyboard]:
    """The message that asks `question`, with its answer buttons and Back/Skip/Keep."""
    language = t.language
    lines = [
        t("Question {number} of {total}", number=place.number, total=place.total),
        "",
        definition.text(question.text, language),
    ]
    if question.hint is not None:
        lines.append(definition.text(question.hint, language))
    instruction = _instruction(question, definition, t)
    if instruction:
        lines += ["", instruction]
    if values and question.type is QuestionType.RANKING:
        lines += ["", t("Your order so far:")]
        lines += [
            f"{position}. {_choice_text(question, value, definition, t)}"
            for position, value in enumerate(values, start=1)
        ]
    elif values:
        lines += ["", t("Your answer: {answer}", answer=describe(question, values, definition, t))]
    rows = list(_answer_buttons(question, values, definition, place, t))
    rows.append(_navigation(question, values, place, t))
    return "\n".join(lines), tuple(row for row in rows if row)


def _instruction(question: Question, definition: SurveyDefinition, t: Translator) -> str:
    kind, language = question.type, t.language
    if kind is QuestionType.MULTIPLE_CHOICE:
        low, high = question.picks
        if low == high:
            return t("Pick {count}, then press Done.", count=low)
        return t("Pick {low} to {high}, then press Done.", low=low, high=high)
    if kind is QuestionType.RANKING:
        return t("Tap the options in order of preference, the most important first.")
    if kind in (QuestionType.SCALE, QuestionType.NPS):
        low, high = question.points[0], question.points[-1]
        low_label = (
            definition.text(question.min_label, language)
            if question.min_label
            else (t("not at all likely") if kind is QuestionType.NPS else "")
        )
        high_label = (
            definition.text(question.max_label, language)
            if question.max_label
            else (t("extremely likely") if kind is QuestionType.NPS else "")
        )
        if low_label or high_label:
            return f"{low} = {low_label}   …   {high} = {high_label}"
        return ""
    if kind in TEXT_TYPES:
        return t("Type your answer (at most {limit} characters).", limit=question.text_limit)
    if kind is QuestionType.NUMBER:
        return _number_rule(question, t)
    if kind is QuestionType.DATE:
        return t("Type a date, for example 2027-03-31.")
    if kind is QuestionType.PHOTO:
        return t(SEND_A_PHOTO)
    return ""


def _number_rule(question: Question, t: Translator) -> str:
    low, high = question.min, question.max
    if question.integer:
        if low is not None and high is not None:
            return t(
                "Type a whole number from {low} to {high}.",
                low=number_text(low),
                high=number_text(high),
            )
        if low is not None:
            return t("Type a whole number, at least {low}.", low=number_text(low))
        if high is not None:
            return t("Type a whole number, at most {high}.", high=number_text(high))
        return t("Type a whole number.")
    if low is not None and high is not None:
        return t(
            "Type a number from {low} to {high}.", low=number_text(low), high=number_text(high)
        )
    if low is not None:
        return t("Type a number, at least {low}.", low=number_text(low))
    if high is not None:
        return t("Type a number, at most {high}.", high=number_text(high))
    return t("Type a number.")


def _answer_buttons(
    question: Question,
    values: list[AnswerValue],
    definition: SurveyDefinition,
    place: Place,
    t: Translator,
) -> list[tuple[Button, ...]]:
    kind, language = question.type, t.language
    chosen = {value.choice for value in values}

    def button(action: str, text: str, value: str | int) -> Button:
        return Button(text, payload(action, place.survey_id, question.id, place.mode, value))

    if kind in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
        action = "sv.a" if kind is QuestionType.SINGLE_CHOICE else "sv.t"
        rows: list[tuple[Button, ...]] = [
            (
                button(
                    action,
                    (CHECK if option.id in chosen else "") + definition.text(option.text, language),
                    index,
                ),
            )
            for index, option in enumerate(question.options)
        ]
        if question.other:
            label = (CHECK if OTHER in chosen else "") + t("Other…")
            rows.append((button(action, label, OTHER_VALUE),))
        if kind is QuestionType.MULTIPLE_CHOICE:
            rows.append(
                (Button(t("Done"), payload("sv.d", place.survey_id, question.id, place.mode)),)
            )
        return rows
    if kind is QuestionType.RANKING:
        rows = [
            (button("sv.r", definition.text(option.text, language), index),)
            for index, option in enumerate(question.options)
            if option.id not in chosen
        ]
        if values:
            rows.append((button("sv.r", t("Start over"), RESTART_VALUE),))
        return rows
    if kind in (QuestionType.SCALE, QuestionType.NPS):
        current = values[0].number if values else None
        points = [
            button("sv.a", (CHECK if current == point else "") + str(point), point)
            for point in question.points
        ]
        return [
            tuple(points[i : i + POINTS_PER_ROW]) for i in range(0, len(points), POINTS_PER_ROW)
        ]
    if kind is QuestionType.YES_NO:
        return [
            (
                button("sv.a", (CHECK if YES in chosen else "") + t(YES_TEXT), YES),
                button("sv.a", (CHECK if NO in chosen else "") + t(NO_TEXT), NO),
            )
        ]
    return []


def _navigation(
    question: Question, values: list[AnswerValue], place: Place, t: Translator
) -> tuple[Button, ...]:
    def button(action: str, text: str) -> Button:
        return Button(text, payload(action, place.survey_id, question.id, place.mode))

    row: list[Button] = []
    if place.mode == EDITING:
        row.append(button("sv.b", t("‹ Summary")))
    elif place.number > 1:
        row.append(button("sv.b", t("‹ Back")))
    if not question.required:
        row.append(button("sv.s", t("Skip")))
    if question.type is not QuestionType.MULTIPLE_CHOICE and is_complete(question, values):
        row.append(button("sv.k", t("Keep ›")))
    return tuple(row)


def other_prompt(
    question: Question, definition: SurveyDefinition, place: Place, t: Translator
) -> tuple[str, Keyboard]:
    """The message asking for the text of "Other, please specify"."""
    text = (
        definition.text(question.text, t.language)
        + "\n\n"
        + t("Please type your answer (at most {limit} characters).", limit=question.text_limit)
    )
    back = Button(t("‹ Back"), payload("sv.q", place.survey_id, question.id, place.mode))
    return text, ((back,),)


def parse_text(question: Question, text: str, t: Translator) -> AnswerValue:
    """A free-text answer (or the text of "other"), tagged with its detected language.

    Raises:
        InvalidAnswer: empty, or longer than the question allows.
    """
    cleaned = text.strip()
    if not cleaned:
        raise InvalidAnswer(t("Please type an answer."))
    if len(cleaned) > question.text_limit:
        raise InvalidAnswer(
            t(
                "That is {length} characters; please keep it to {limit}.",
                length=len(cleaned),
                limit=question.text_limit,
            )
        )
    return AnswerValue(text=cleaned, language=detect_language(cleaned))


def photo_answer(file_id: str) -> AnswerValue:
    """The value stored for a photo: its file_id, as text (no language, no caption).

    Stored like a free-text answer (no choice, no number), so `/forget` erases it as it
    erases what people typed.
    """
    return AnswerValue(text=file_id)


def parse_typed(question: Question, text: str, t: Translator) -> AnswerValue:
    """Turn a typed answer to a text, number or date question into the value to store.

    Raises:
        InvalidAnswer: the text does not fit the question (the message says what would).
    """
    if question.type is QuestionType.NUMBER:
        return AnswerValue(number=_parse_number(question, text, t))
    if question.type is QuestionType.DATE:
        return AnswerValue(text=_parse_date(text, t))
    return parse_text(question, text, t)


def _parse_number(question: Question, text: str, t: Translator) -> float:
    try:
        value = float(_plain_number(text))
    except ValueError:
        raise InvalidAnswer(t("That is not a number.") + " " + _number_rule(question, t)) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidAnswer(t("That is not a number.") + " " + _number_rule(question, t))
    if question.integer and not value.is_integer():
        raise InvalidAnswer(_number_rule(question, t))
    if (question.min is not None and value < question.min) or (
        question.max is not None and value > question.max
    ):
        raise InvalidAnswer(_number_rule(question, t))
    return value


def _plain_number(text: str) -> str:
    """Read the ways people write numbers: 1 250, 1'250, 1,250.50, 1.250,50, 12,5.

    Spaces and apostrophes group digits. With both a comma and a point, the last one is the
    decimal mark. A lone comma is a thousands separator when groups of three digits follow it
    (1,000 is a thousand, as in English and Chinese), else a decimal mark (12,5).
    """
    cleaned = re.sub(r"[\s'’]", "", text)
    if "," in cleaned and "." in cleaned:
        decimal = "," if cleaned.rindex(",") > cleaned.rindex(".") else "."
        grouping = "." if decimal == "," else ","
        return cleaned.replace(grouping, "").replace(decimal, ".")
    if THOUSANDS.fullmatch(cleaned):
        return cleaned.replace(",", "")
    return cleaned.replace(",", ".")


def _parse_date(text: str, t: Translator) -> str:
    cleaned = text.strip()
    for pattern in DATE_FORMATS:
        match = pattern.fullmatch(cleaned)
        if match is not None:
            try:
                return date(int(match["y"]), int(match["m"]), int(match["d"])).isoformat()
            except ValueError:
                break
    raise InvalidAnswer(t("Please type a date like 2027-03-31 (or 31.03.2027)."))
