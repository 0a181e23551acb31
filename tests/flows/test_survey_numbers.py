"""Numbers typed the way people write them are read as they meant them."""

from __future__ import annotations

import pytest

from flows.i18n import translator
from flows.survey.definition import Question, QuestionType
from flows.survey.questions import InvalidAnswer, parse_typed

RENT = Question.model_validate({"id": "rent", "type": QuestionType.NUMBER, "text": "Rent?"})


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("1250", 1250),
        ("1,000", 1000),
        ("12,500.75", 12500.75),
        ("1 250", 1250),
        ("1'250", 1250),
        ("1.250,50", 1250.5),
        ("12,5", 12.5),
        ("-3.5", -3.5),
        (" 42 ", 42),
    ],
)
def test_grouping_and_decimal_marks_are_understood(typed: str, meant: float) -> None:
    assert parse_typed(RENT, typed, translator("en")).number == meant


@pytest.mark.parametrize("typed", ["", "twelve", "1,2,3", "nan", "inf", "1..2"])
def test_what_is_not_a_number_is_refused_with_a_hint(typed: str) -> None:
    with pytest.raises(InvalidAnswer, match="not a number"):
        parse_typed(RENT, typed, translator("en"))
