"""Ballots are checked and put in normal form; forged ones are refused; taps toggle; CSV export."""

from __future__ import annotations

import csv
import io

import pytest

from flows.poll.ballots import BallotRules, InvalidBallot, normalise, toggle
from flows.poll.csv_export import ballots_csv
from flows.poll.kinds import FIXED_OPTIONS, ONE_TAP, PollKind

ABC = ("a", "b", "c")
SINGLE = BallotRules(PollKind.SINGLE, ABC)
MULTIPLE = BallotRules(PollKind.MULTIPLE, ABC, max_choices=2)
APPROVAL = BallotRules(PollKind.APPROVAL, ABC)
YES_NO = BallotRules(PollKind.YES_NO, FIXED_OPTIONS[PollKind.YES_NO])
SENSE = BallotRules(PollKind.SENSE_CHECK, FIXED_OPTIONS[PollKind.SENSE_CHECK])
SCORE = BallotRules(PollKind.SCORE, ABC)
DOTS = BallotRules(PollKind.DOT_VOTE, ABC, points=5)
RANKED = BallotRules(PollKind.RANKED, ABC)
MEETING = BallotRules(PollKind.MEETING_TIME, ABC)
ALL_RULES = [SINGLE, MULTIPLE, APPROVAL, YES_NO, SENSE, SCORE, DOTS, RANKED, MEETING]


def test_kinds_fixed_options_and_one_tap() -> None:
    assert FIXED_OPTIONS == {
        PollKind.YES_NO: ("yes", "no", "abstain"),
        PollKind.SENSE_CHECK: ("agree", "unsure", "concerned"),
    }
    assert {
        PollKind.SINGLE,
        PollKind.MULTIPLE,
        PollKind.APPROVAL,
        PollKind.YES_NO,
        PollKind.SENSE_CHECK,
    } == ONE_TAP
    assert {rules.kind for rules in ALL_RULES} == set(PollKind)
    assert PollKind("ranked") is PollKind.RANKED  # stored values read back


@pytest.mark.parametrize(
    ("rules", "choices", "normal"),
    [
        (SINGLE, ["b"], ["b"]),
        (SINGLE, ("b",), ["b"]),
        (YES_NO, ["abstain"], ["abstain"]),
        (SENSE, ["concerned"], ["concerned"]),
        (MULTIPLE, ["c", "a"], ["a", "c"]),
        (MULTIPLE, ["b"], ["b"]),
        (APPROVAL, ["c", "b", "a"], ["a", "b", "c"]),
        (SCORE, {"c": 5, "a": 0, "b": 3}, {"a": 0, "b": 3, "c": 5}),
        (DOTS, {"c": 2, "a": 0, "b": 3}, {"b": 3, "c": 2}),
        (DOTS, {"a": 1}, {"a": 1}),
        (RANKED, ["c", "a"], ["c", "a"]),
        (RANKED, ["b", "c", "a"], ["b", "c", "a"]),
        (MEETING, {"b": "maybe", "a": "yes", "c": "no"}, {"a": "yes", "b": "maybe", "c": "no"}),
    ],
)
def test_valid_ballots_take_their_normal_form(
    rules: BallotRules, choices: object, normal: object
) -> None:
    result = normalise(rules, choices)
    assert result == normal
    assert list(result) == list(normal)  # option order (the voter's order for ranked)
    assert normalise(rules, result) == result  # the normal form is a fixed point


def test_normal_form_is_a_copy() -> None:
    stored = {"a": 1, "b": 2, "c": 3}
    result = normalise(SCORE, stored)
    assert result == stored
    assert result is not stored


FORGED: list[tuple[BallotRules, object]] = [
    # wrong container types
    *[(rules, None) for rules in ALL_RULES],
    *[(rules, "a") for rules in ALL_RULES],
    *[(rules, 1) for rules in ALL_RULES],
    *[(rules, True) for rules in ALL_RULES],
    *[(rules, 1.5) for rules in ALL_RULES],
    *[(rules, {"a", "b"}) for rules in ALL_RULES],
    (SINGLE, {"a": 1}),
    (RANKED, {"a": 1, "b": 2}),
    (SCORE, ["a", "b", "c"]),
    (MEETING, [["a", "yes"], ["b", "yes"], ["c", "yes"]]),
    (DOTS, ["a"]),
    # empty ballots
    *[(rules, []) for rules in ALL_RULES],
    *[(rules, {}) for rules in ALL_RULES],
    # unknown ids, wrong id types
    (SINGLE, ["d"]),
    (SINGLE, [""]),
    (SINGLE, [1]),
    (SINGLE, [None]),
    (SINGLE, [["a"]]),
    (YES_NO, ["maybe"]),
    (SENSE, ["yes"]),
    (MULTIPLE, ["a", "x"]),
    (APPROVAL, ["A"]),
    (RANKED, ["a", 2]),
    (SCORE, {"a": 1, "b": 1, "c": 1, "d": 1}),
    (SCORE, {"a": 1, "b": 1, 3: 1}),
    (DOTS, {"x": 1}),
    (MEETING, {"a": "yes", "b": "yes", "c": "yes", "z": "no"}),
    # duplicates and too many
    (SINGLE, ["a", "b"]),
    (SINGLE, ["a", "a"]),
    (YES_NO, ["yes", "no"]),
    (MULTIPLE, ["a", "b", "c"]),
    (MULTIPLE, ["a", "a"]),
    (APPROVAL, ["a", "b", "a"]),
    (RANKED, ["a", "b", "a"]),
    # missing options
    (SCORE, {"a": 1, "b": 1}),
    (MEETING, {"a": "yes"}),
    # out of range, wrong value types, bools posing as ints
    (SCORE, {"a": 6, "b": 0, "c": 0}),
    (SCORE, {"a": -1, "b": 0, "c": 0}),
    (SCORE, {"a": 2.0, "b": 0, "c": 0}),
    (SCORE, {"a": "3", "b": 0, "c": 0}),
    (SCORE, {"a": True, "b": 0, "c": 0}),
    (SCORE, {"a": None, "b": 0, "c": 0}),
    (SCORE, {"a": [1], "b": 0, "c": 0}),
    (DOTS, {"a": 6}),
    (DOTS, {"a": 3, "b": 3}),
    (DOTS, {"a": -1, "b": 2}),
    (DOTS, {"a": 0, "b": 0}),
    (DOTS, {"a": True}),
    (DOTS, {"a": 1.0}),
    (DOTS, {"a": "1"}),
    (MEETING, {"a": "yes", "b": "perhaps", "c": "no"}),
    (MEETING, {"a": "YES", "b": "no", "c": "no"}),
    (MEETING, {"a": 1, "b": "no", "c": "no"}),
    (MEETING, {"a": True, "b": "no", "c": "no"}),
    (MEETING, {"a": ["yes"], "b": "no", "c": "no"}),
    (MEETING, {"a": None, "b": "no", "c": "no"}),
]


@pytest.mark.parametrize(("rules", "choices"), FORGED)
def test_forged_ballots_are_refused(rules: BallotRules, choices: object) -> None:
    with pytest.raises(InvalidBallot):
        normalise(rules, choices)


def test_invalid_ballot_is_a_value_error_with_a_plain_message() -> None:
    with pytest.raises(ValueError, match="at most 2 options"):
        normalise(MULTIPLE, ["a", "b", "c"])


def test_multiple_without_a_useful_limit_allows_every_option() -> None:
    rules = BallotRules(PollKind.MULTIPLE, ABC, max_choices=10)
    assert normalise(rules, ["c", "b", "a"]) == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("kind", "options", "extra"),
    [
        (PollKind.SINGLE, (), {}),
        (PollKind.SINGLE, ("a", "a"), {}),
        (PollKind.SINGLE, ("a", ""), {}),
        (PollKind.SINGLE, "abc", {}),
        (PollKind.YES_NO, ("yes", "no"), {}),
        (PollKind.SENSE_CHECK, ABC, {}),
        (PollKind.MULTIPLE, ABC, {}),
        (PollKind.MULTIPLE, ABC, {"max_choices": 0}),
        (PollKind.MULTIPLE, ABC, {"max_choices": True}),
        (PollKind.DOT_VOTE, ABC, {}),
        (PollKind.DOT_VOTE, ABC, {"points": -3}),
        ("plurality", ABC, {}),
    ],
)
def test_wrong_rules_are_a_programming_error(
    kind: PollKind, options: tuple[str, ...], extra: dict[str, int]
) -> None:
    with pytest.raises(ValueError):  # any ValueError: wrong rules are the caller's bug
        BallotRules(kind, options, **extra)


def test_rules_accept_stored_values() -> None:
    rules = BallotRules("ranked", ["a", "b"])  # type: ignore[arg-type]
    assert rules.kind is PollKind.RANKED
    assert rules.options == ("a", "b")


# One tap per option under a group message


def test_single_tap_chooses_switches_and_withdraws() -> None:
    assert toggle(SINGLE, None, "b") == ["b"]
    assert toggle(SINGLE, [], "b") == ["b"]
    assert toggle(SINGLE, ["b"], "c") == ["c"]
    assert toggle(SINGLE, ["b"], "b") == []
    assert toggle(YES_NO, ["yes"], "no") == ["no"]
    assert toggle(SENSE, ["unsure"], "unsure") == []


def test_multiple_and_approval_taps_add_and_remove_in_option_order() -> None:
    assert toggle(APPROVAL, None, "c") == ["c"]
    assert toggle(APPROVAL, ["c"], "a") == ["a", "c"]
    assert toggle(APPROVAL, ["a", "c"], "b") == ["a", "b", "c"]
    assert toggle(APPROVAL, ["a", "b", "c"], "b") == ["a", "c"]
    assert toggle(APPROVAL, ["a"], "a") == []
    assert toggle(MULTIPLE, ["b"], "a") == ["a", "b"]
    assert toggle(MULTIPLE, ["a", "b"], "a") == ["b"]


def test_multiple_tap_over_the_limit_is_refused() -> None:
    with pytest.raises(InvalidBallot, match="at most 2"):
        toggle(MULTIPLE, ["a", "b"], "c")


@pytest.mark.parametrize("option", ["d", "", "A", 1, None])
def test_tap_on_an_unknown_option_is_refused(option: object) -> None:
    with pytest.raises(InvalidBallot):
        toggle(SINGLE, None, option)  # type: ignore[arg-type]
    with pytest.raises(InvalidBallot):
        toggle(APPROVAL, ["a"], option)  # type: ignore[arg-type]


@pytest.mark.parametrize("rules", [SCORE, DOTS, RANKED, MEETING])
def test_kinds_not_voted_by_tap_refuse_taps(rules: BallotRules) -> None:
    with pytest.raises(InvalidBallot, match="not voted with one tap"):
        toggle(rules, None, "a")


def test_a_corrupt_current_ballot_is_not_carried_forward() -> None:
    with pytest.raises(InvalidBallot):
        toggle(APPROVAL, ["zzz"], "a")


# CSV export


def _read(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


LABELS = {"a": "Park", "b": "公园", "c": "Площадь, центр"}


def test_csv_round_trip_with_names_and_every_value() -> None:
    rows = [("Ann", ["c", "a"]), ("Bo 李", ["b"]), (None, ["a", "b", "c"])]
    table = _read(ballots_csv(APPROVAL, LABELS, rows))
    assert table == [
        ["name", "Park", "公园", "Площадь, центр"],
        ["Ann", "1", "", "1"],
        ["Bo 李", "", "1", ""],
        ["", "1", "1", "1"],
    ]


@pytest.mark.parametrize(
    ("rules", "choices", "cells"),
    [
        (SINGLE, ["b"], ["", "1", ""]),
        (MULTIPLE, ["a", "c"], ["1", "", "1"]),
        (SCORE, {"a": 0, "b": 5, "c": 2}, ["0", "5", "2"]),
        (DOTS, {"c": 4, "a": 1}, ["1", "", "4"]),
        (RANKED, ["c", "a"], ["2", "", "1"]),
        (MEETING, {"a": "yes", "b": "maybe", "c": "no"}, ["yes", "maybe", "no"]),
    ],
)
def test_csv_cells_per_kind(rules: BallotRules, choices: object, cells: list[str]) -> None:
    table = _read(ballots_csv(rules, LABELS, [("Ann", choices)]))  # type: ignore[list-item]
    assert table[1] == ["Ann", *cells]


def test_csv_fixed_options_fall_back_to_ids_for_headers() -> None:
    table = _read(ballots_csv(YES_NO, {}, [("Ann", ["no"])]))
    assert table == [["name", "yes", "no", "abstain"], ["Ann", "", "1", ""]]


def test_anonymous_csv_has_no_names_and_no_voting_order() -> None:
    votes = [["c"], ["a"], ["b"], ["a"]]
    forwards = ballots_csv(SINGLE, LABELS, [(None, v) for v in votes])
    backwards = ballots_csv(SINGLE, LABELS, [(None, v) for v in reversed(votes)])
    assert forwards == backwards  # the order people voted in cannot be read from the file
    table = _read(forwards)
    assert len(table) == 1 + len(votes)
    assert all(row[0] == "" for row in table[1:])
    assert sorted(row.index("1") for row in table[1:]) == [1, 1, 2, 3]


def test_identified_csv_keeps_the_given_order() -> None:
    table = _read(ballots_csv(SINGLE, LABELS, [("Zed", ["a"]), ("Amy", ["b"])]))
    assert [row[0] for row in table[1:]] == ["Zed", "Amy"]


def test_csv_defuses_formulas_in_names_and_labels() -> None:
    labels = {"a": '=HYPERLINK("http://x")', "b": "+1", "c": "-2"}
    rows = [("=cmd|' /C calc'!A0", ["a"]), ("@SUM(1)", ["b"]), ("\tTab", ["c"])]
    table = _read(ballots_csv(SINGLE, labels, rows))
    assert table[0] == ["name", '\'=HYPERLINK("http://x")', "'+1", "'-2"]
    assert [row[0] for row in table[1:]] == ["'=cmd|' /C calc'!A0", "'@SUM(1)", "'\tTab"]


def test_csv_refuses_a_ballot_that_does_not_fit() -> None:
    with pytest.raises(InvalidBallot):
        ballots_csv(SINGLE, LABELS, [("Ann", ["zzz"])])


def test_csv_of_no_ballots_is_just_the_header() -> None:
    assert _read(ballots_csv(RANKED, LABELS, [])) == [["name", "Park", "公园", "Площадь, центр"]]
