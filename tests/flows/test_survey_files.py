"""Survey files: every kind of mistake is reported with where it is; good files round-trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from admin.survey_files import DefinitionError, Problem, dump_definition, parse_definition
from flows.survey.definition import QuestionType, SurveyDefinition

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"

GOOD = """\
id: benches
title:
  en: New benches
  zh_Hans: 新长椅
questions:
  - id: where
    type: single_choice
    text: Where should they go?
    options:
      - {id: lake, text: By the lake}
      - {id: yes, text: Yes}
  - id: more
    type: yes_no
    text: More than five?
    show_if: {question: where, equals: lake}
"""


def problems(text: str, filename: str = "survey.yaml") -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        parse_definition(text.encode(), filename)
    return [str(problem) for problem in caught.value.problems]


@pytest.mark.parametrize("name", ["park-renovation.yaml", "community-needs.json"])
def test_the_examples_are_valid_and_round_trip_through_the_yaml_dump(name: str) -> None:
    definition = parse_definition((EXAMPLES / name).read_bytes(), name)
    dumped = dump_definition(definition)
    assert parse_definition(dumped, "again.yaml") == definition
    assert dumped.decode().startswith(f"id: {definition.id}\n")


def test_the_park_example_is_identified_bilingual_and_uses_conditions() -> None:
    park = parse_definition((EXAMPLES / "park-renovation.yaml").read_bytes(), "p.yaml")
    assert park.languages() == {"en", "zh_Hans"}
    assert not park.settings.anonymous
    assert sum(q.show_if is not None for q in park.questions) >= 3
    assert len({q.type for q in park.questions}) >= 6


def test_the_community_example_is_anonymous_with_nps_ranking_and_free_text() -> None:
    needs = parse_definition((EXAMPLES / "community-needs.json").read_bytes(), "c.json")
    assert needs.settings.anonymous and needs.settings.closes_at is not None
    kinds = {q.type for q in needs.questions}
    assert {QuestionType.NPS, QuestionType.RANKING, QuestionType.LONG_TEXT} <= kinds


def test_yes_and_no_stay_words_and_texts_in_one_language_stay_plain() -> None:
    definition = parse_definition(GOOD.encode(), "benches.yml")
    assert definition.questions[0].option_ids() == ["lake", "yes"]  # not the boolean true
    dumped = dump_definition(definition).decode()
    assert "text: Where should they go?\n" in dumped
    assert "zh_Hans: 新长椅" in dumped  # unicode kept, not escaped
    assert "required" not in dumped  # defaults left out
    assert parse_definition(dumped.encode(), None) == definition


def test_a_json_file_is_read_as_json() -> None:
    data = {"id": "j", "title": "J", "questions": [{"id": "a", "type": "nps", "text": "NPS?"}]}
    definition = parse_definition(json.dumps(data).encode(), "j.json")
    assert definition == SurveyDefinition.model_validate(data)


def test_syntax_errors_name_the_line() -> None:
    assert problems("id: x\ntitle: [unclosed\nquestions: []\n") == [
        "line 3: not valid YAML: expected ',' or ']', but got ':'"
    ]
    assert problems('{"id": "x",\n "title": }', "x.json") == [
        "line 2, column 11: not valid JSON: Expecting value"
    ]
    assert problems("id: x\ntitle: A\ntitle: B\n") == [
        "line 3: not valid YAML: the key 'title' appears twice in the same mapping"
    ]


def test_the_file_must_be_small_utf8_and_a_mapping() -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_definition(b"#" * (256 * 1024 + 1), "big.yaml")
    assert caught.value.problems == [Problem("the file", "is 256 KB; the limit is 256 KB")]
    with pytest.raises(DefinitionError) as caught:
        parse_definition("id: x\ntitle: caf\xe9\n".encode("latin-1"), "x.yaml")
    assert caught.value.problems == [
        Problem("line 2", "the file is not UTF-8 text; save it as UTF-8")
    ]
    assert problems("- a list\n- not a survey\n") == [
        "the file: the top level must be a mapping of fields (id, title, questions, ...)"
    ]
    assert problems("") == [
        "the file: the top level must be a mapping of fields (id, title, questions, ...)"
    ]


def test_each_invalid_field_is_named_with_its_question_and_line() -> None:
    text = """\
id: Park Survey
title: 5
settings:
  closes_at: 2027-01-31
  max_responses: 0
  audience: {kind: group}
questions:
  - id: park_use
    type: single_choice
    text: How do you use the park?
    options:
      - {id: walk, text: Walking}
  - id: rating
    type: stars
    text: {en: Rate it, klingon: Qapla}
  - id: later
    type: yes_no
    texte: Typo
"""
    assert problems(text) == [
        "field id, line 1: use 1-40 lower-case letters, digits, - or _ (starting with a letter "
        "or digit)",
        "field title, line 2: give a text, or a mapping of language codes to texts "
        "(en: ..., zh_Hans: ...)",
        "settings, field closes_at, line 4: give a time zone, e.g. 2027-01-31T18:00:00+00:00",
        "settings, field max_responses, line 5: input should be greater than or equal to 1",
        "settings, field audience, line 6: a group audience needs chat_id",
        "question 1 (park_use), line 8: a single_choice question needs at least two options",
        "question 2 (rating), field type, line 14: must be one of 'single_choice', "
        "'multiple_choice', 'scale', 'nps', 'yes_no', 'short_text', 'long_text', 'number', "
        "'date', 'ranking' or 'photo'",
        "question 2 (rating), field text, line 15: 'klingon' is not a language code "
        "(like en or zh_Hans)",
        "question 3 (later), field text, line 16: this field is required",
        "question 3 (later), field texte, line 18: unknown field (check the spelling; see the "
        "documentation for the fields)",
    ]


def test_options_and_conditions_are_located_too() -> None:
    text = """\
id: x
title: X
questions:
  - id: a
    type: multiple_choice
    text: A?
    max_picks: 5
    options:
      - {id: one, text: One}
      - {id: Two!, text: Two}
  - id: b
    type: yes_no
    text: B?
  - id: c
    type: short_text
    text: C?
    show_if: {question: b, equals: maybe}
"""
    assert problems(text) == [
        "question 1 (a), option 2 (Two!), field id, line 10: use 1-40 lower-case letters, "
        "digits, - or _ (starting with a letter or digit)",
    ]
    fixed = text.replace("Two!", "two")
    assert problems(fixed) == [
        "question 1 (a), line 4: need min_picks <= max_picks <= 2 (the choices offered)"
    ]
    fixed = fixed.replace("max_picks: 5", "max_picks: 2")
    assert problems(fixed) == [
        "question 3 (c), field show_if, line 17: 'maybe' is not an answer of 'b' (one of yes, no)"
    ]
    assert problems(fixed.replace("equals: maybe", "equals: yes").replace("id: c", "id: b")) == [
        "field questions, line 3: two questions have the id 'b'"
    ]


def test_a_missing_field_points_at_the_part_that_lacks_it() -> None:
    assert problems("id: x\nquestions:\n  - {id: a, type: date, text: When}\n") == [
        "field title: this field is required"
    ]
    assert problems("id: x\ntitle: X\nquestions: []\n") == [
        "field questions, line 3: must have at least 1 item, not 0"
    ]
