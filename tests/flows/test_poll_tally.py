"""Every kind of poll is counted the way peers count it; ranked choice runs a correct runoff."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence

import pytest

from flows.poll import tally as tally_module
from flows.poll.ballots import BallotRules, InvalidBallot, normalise
from flows.poll.kinds import FIXED_OPTIONS, PollKind
from flows.poll.tally import OptionResult, RunoffRound, Tally, tally

ABC = ("a", "b", "c")
ABCD = ("a", "b", "c", "d")


def _by_option(result: Tally) -> dict[str, OptionResult]:
    return {option.option: option for option in result.options}


def _ranked(ballots: list[tuple[int, list[str]]], options: tuple[str, ...] = ABCD) -> Tally:
    rules = BallotRules(PollKind.RANKED, options)
    return tally(rules, [ranking for times, ranking in ballots for _ in range(times)])


@pytest.mark.parametrize("kind", list(PollKind))
def test_no_ballots_no_leaders(kind: PollKind) -> None:
    options = FIXED_OPTIONS.get(kind, ABC)
    rules = BallotRules(kind, options, max_choices=2, points=5)
    result = tally(rules, [])
    assert result == Tally(
        kind, 0, tuple(OptionResult(o, 0, 0.0) for o in options), leaders=(), rounds=()
    )


def test_single_counts_percent_and_leader() -> None:
    rules = BallotRules(PollKind.SINGLE, ABC)
    result = tally(rules, [["a"], ["b"], ["a"], ["a"]])
    assert result.voters == 4
    assert result.options == (
        OptionResult("a", 3, 75.0),
        OptionResult("b", 1, 25.0),
        OptionResult("c", 0, 0.0),
    )
    assert result.leaders == ("a",)
    assert result.rounds == ()


def test_a_tie_gives_several_leaders_in_display_order() -> None:
    rules = BallotRules(PollKind.SINGLE, ABC)
    assert tally(rules, [["c"], ["a"], ["b"], ["c"], ["a"]]).leaders == ("a", "c")


def test_yes_no_and_sense_check_count_like_single() -> None:
    yes_no = BallotRules(PollKind.YES_NO, FIXED_OPTIONS[PollKind.YES_NO])
    result = tally(yes_no, [["yes"], ["no"], ["abstain"], ["yes"]])
    assert [(o.option, o.count) for o in result.options] == [("yes", 2), ("no", 1), ("abstain", 1)]
    assert result.leaders == ("yes",)
    sense = BallotRules(PollKind.SENSE_CHECK, FIXED_OPTIONS[PollKind.SENSE_CHECK])
    result = tally(sense, [["concerned"], ["agree"], ["concerned"]])
    assert [o.count for o in result.options] == [1, 0, 2]
    assert result.leaders == ("concerned",)


@pytest.mark.parametrize("kind", [PollKind.MULTIPLE, PollKind.APPROVAL])
def test_multiple_and_approval_count_ballots_including_each_option(kind: PollKind) -> None:
    rules = BallotRules(kind, ABC, max_choices=2)
    result = tally(rules, [["a", "b"], ["b"], ["b", "c"], ["a", "c"]])
    by = _by_option(result)
    assert result.voters == 4
    assert [by[o].count for o in ABC] == [2, 3, 2]
    assert [by[o].percent for o in ABC] == [50.0, 75.0, 50.0]  # of voters: sums over 100
    assert result.leaders == ("b",)


def test_score_totals_means_and_leaders_by_total() -> None:
    rules = BallotRules(PollKind.SCORE, ABC)
    ballots = [{"a": 5, "b": 0, "c": 3}, {"a": 1, "b": 4, "c": 3}, {"a": 0, "b": 4, "c": 0}]
    result = tally(rules, ballots)
    by = _by_option(result)
    assert [by[o].total for o in ABC] == [6, 8, 6]
    assert [by[o].mean for o in ABC] == [2.0, 8 / 3, 2.0]
    assert [by[o].count for o in ABC] == [2, 2, 2]  # ballots scoring it above 0
    assert by["b"].percent == pytest.approx(200 / 3)
    assert result.leaders == ("b",)


def test_score_tie_on_total() -> None:
    rules = BallotRules(PollKind.SCORE, ABC)
    result = tally(rules, [{"a": 3, "b": 3, "c": 1}])
    assert result.leaders == ("a", "b")


def test_dot_vote_leads_by_points_not_by_ballots() -> None:
    rules = BallotRules(PollKind.DOT_VOTE, ABC, points=5)
    result = tally(rules, [{"a": 5}, {"b": 1, "c": 2}, {"b": 1}])
    by = _by_option(result)
    assert [by[o].total for o in ABC] == [5, 2, 2]
    assert [by[o].count for o in ABC] == [1, 2, 1]
    assert by["a"].mean is None
    assert result.leaders == ("a",)


def test_meeting_time_leads_by_yes_then_yes_and_maybe() -> None:
    rules = BallotRules(PollKind.MEETING_TIME, ABC)
    ballots = [
        {"a": "yes", "b": "yes", "c": "maybe"},
        {"a": "yes", "b": "yes", "c": "maybe"},
        {"a": "no", "b": "maybe", "c": "yes"},
        {"a": "no", "b": "no", "c": "maybe"},
    ]
    result = tally(rules, ballots)
    by = _by_option(result)
    assert [(by[o].count, by[o].maybe, by[o].no) for o in ABC] == [(2, 0, 2), (2, 1, 1), (1, 3, 0)]
    assert by["a"].percent == 50.0
    # c has the most yes + maybe, but a and b have more yes; b beats a on maybe.
    assert result.leaders == ("b",)


def test_meeting_time_full_tie() -> None:
    rules = BallotRules(PollKind.MEETING_TIME, ABC)
    result = tally(rules, [{"a": "yes", "b": "no", "c": "yes"}])
    assert result.leaders == ("a", "c")


# Ranked choice: instant runoff and Borda


TENNESSEE = [
    # Wikipedia's example: where Tennessee's capital goes, each city voting for itself first.
    (42, ["memphis", "nashville", "chattanooga", "knoxville"]),
    (26, ["nashville", "chattanooga", "knoxville", "memphis"]),
    (15, ["chattanooga", "knoxville", "nashville", "memphis"]),
    (17, ["knoxville", "chattanooga", "nashville", "memphis"]),
]
CITIES = ("memphis", "nashville", "chattanooga", "knoxville")


def test_tennessee_instant_runoff_rounds() -> None:
    result = _ranked(TENNESSEE, CITIES)
    assert result.voters == 100
    assert result.rounds == (
        RunoffRound(
            {"memphis": 42, "nashville": 26, "chattanooga": 15, "knoxville": 17},
            ("chattanooga",),
            0,
        ),
        RunoffRound({"memphis": 42, "nashville": 26, "knoxville": 32}, ("nashville",), 0),
        RunoffRound({"memphis": 42, "knoxville": 58}, (), 0),
    )
    assert result.leaders == ("knoxville",)


def test_tennessee_borda_and_first_preferences() -> None:
    by = _by_option(_ranked(TENNESSEE, CITIES))
    # 3 points for a first place, 2 for a second, 1 for a third: Nashville wins the Borda count.
    assert {c: by[c].total for c in CITIES} == {
        "memphis": 126,
        "nashville": 194,
        "chattanooga": 173,
        "knoxville": 107,
    }
    assert {c: by[c].count for c in CITIES} == {
        "memphis": 42,
        "nashville": 26,
        "chattanooga": 15,
        "knoxville": 17,
    }
    assert by["memphis"].percent == 42.0


def test_borda_gives_nothing_to_unranked_options() -> None:
    by = _by_option(_ranked([(1, ["b"]), (1, ["c", "a"])]))
    # Four options: 3 for first, 2 for second, 0 for anything left out.
    assert {o: by[o].total for o in ABCD} == {"a": 2, "b": 3, "c": 3, "d": 0}


def test_a_first_round_majority_wins_at_once() -> None:
    result = _ranked([(3, ["a", "b"]), (2, ["b"])], ABC)
    assert result.rounds == (RunoffRound({"a": 3, "b": 2, "c": 0}, (), 0),)
    assert result.leaders == ("a",)


def test_exhausted_ballots_stop_counting() -> None:
    # a has 5 of 10 ballots: no majority at first; once c's bullet vote is exhausted, 5 of the
    # 9 ballots still counting is a majority.
    result = _ranked([(5, ["a"]), (3, ["b"]), (1, ["c"]), (1, ["c", "b"])], ABC)
    assert result.rounds == (
        RunoffRound({"a": 5, "b": 3, "c": 2}, ("c",), 0),
        RunoffRound({"a": 5, "b": 4}, (), 1),
    )
    assert result.leaders == ("a",)


def test_all_remaining_tied_are_all_leaders() -> None:
    two = _ranked([(1, ["a"]), (1, ["b"])], ("a", "b"))
    assert two.rounds == (RunoffRound({"a": 1, "b": 1}, (), 0),)
    assert two.leaders == ("a", "b")
    cycle = _ranked([(1, ["a", "b"]), (1, ["b", "c"]), (1, ["c", "a"])], ABC)
    assert cycle.leaders == ("a", "b", "c")
    assert len(cycle.rounds) == 1


def test_tie_for_last_goes_to_fewer_first_preferences() -> None:
    result = _ranked(
        [(5, ["a"]), (4, ["b"]), (3, ["c", "b"]), (1, ["d", "c"]), (1, ["d"])],
    )
    assert result.rounds == (
        RunoffRound({"a": 5, "b": 4, "c": 3, "d": 2}, ("d",), 0),
        # b and c tie on 4; c had 3 first preferences to b's 4, so c goes.
        RunoffRound({"a": 5, "b": 4, "c": 4}, ("c",), 1),
        RunoffRound({"a": 5, "b": 7}, (), 2),
    )
    assert result.leaders == ("b",)


def test_tie_on_first_preferences_goes_to_fewer_borda_points() -> None:
    # b and c both have 2 first preferences; b has 4 Borda points to c's 6, so b goes.
    result = _ranked([(3, ["a"]), (2, ["b", "c"]), (2, ["c"])], ABC)
    assert result.rounds == (
        RunoffRound({"a": 3, "b": 2, "c": 2}, ("b",), 0),
        RunoffRound({"a": 3, "c": 4}, (), 0),
    )
    assert result.leaders == ("c",)


def test_a_complete_tie_for_last_is_eliminated_together() -> None:
    result = _ranked([(3, ["a"]), (2, ["b"]), (1, ["c"]), (1, ["d"])])
    assert result.rounds == (
        RunoffRound({"a": 3, "b": 2, "c": 1, "d": 1}, ("c", "d"), 0),
        RunoffRound({"a": 3, "b": 2}, (), 2),
    )
    assert result.leaders == ("a",)


def test_options_nobody_ranked_are_eliminated_first() -> None:
    result = _ranked([(2, ["a", "b"]), (2, ["b", "a"]), (1, ["c", "a"])])
    assert result.rounds[0] == RunoffRound({"a": 2, "b": 2, "c": 1, "d": 0}, ("d",), 0)
    assert result.rounds[1] == RunoffRound({"a": 2, "b": 2, "c": 1}, ("c",), 0)
    assert result.rounds[2] == RunoffRound({"a": 3, "b": 2}, (), 0)
    assert result.leaders == ("a",)


def _reference_runoff(
    options: tuple[str, ...], ballots: list[list[str]]
) -> tuple[list[RunoffRound], tuple[str, ...]]:
    """The same rules, written the slow and obvious way: recount every ballot each round."""
    n = len(options)
    first = Counter(b[0] for b in ballots)
    borda = Counter({o: 0 for o in options})
    for b in ballots:
        for place, o in enumerate(b):
            borda[o] += n - 1 - place
    continuing = list(options)
    rounds = []
    while True:
        counts = dict.fromkeys(continuing, 0)
        exhausted = 0
        for b in ballots:
            top = next((o for o in b if o in counts), None)
            if top is None:
                exhausted += 1
            else:
                counts[top] += 1
        most, least = max(counts.values()), min(counts.values())
        if most * 2 > len(ballots) - exhausted or most == least:
            rounds.append(RunoffRound(counts, (), exhausted))
            return rounds, tuple(o for o in continuing if counts[o] == most)
        out = min(
            (first[o], borda[o]) for o in continuing if counts[o] == least
        )  # the tie-break key of the options to eliminate
        gone = tuple(o for o in continuing if counts[o] == least and (first[o], borda[o]) == out)
        rounds.append(RunoffRound(counts, gone, exhausted))
        continuing = [o for o in continuing if o not in gone]


@pytest.mark.parametrize("seed", range(60))
def test_runoff_agrees_with_a_naive_recount(seed: int) -> None:
    rng = random.Random(seed)
    options = tuple("abcdefg"[: rng.randint(2, 7)])
    ballots = [rng.sample(options, rng.randint(1, len(options))) for _ in range(rng.randint(1, 60))]
    result = tally(BallotRules(PollKind.RANKED, options), ballots)
    rounds, leaders = _reference_runoff(options, ballots)
    assert list(result.rounds) == rounds
    assert result.leaders == leaders
    for runoff in result.rounds:
        assert sum(runoff.counts.values()) + runoff.exhausted == len(ballots)


def test_a_stored_ballot_that_no_longer_fits_is_not_counted_silently() -> None:
    rules = BallotRules(PollKind.SINGLE, ABC)
    with pytest.raises(InvalidBallot):
        tally(rules, [["a"], ["gone"]])


# Tallying is linear: each ballot is checked once, and 5,000 ballots count in one pass


def _random_ballots(rules: BallotRules, rng: random.Random, count: int) -> list[object]:
    options = rules.options
    kind = rules.kind
    ballots: list[object] = []
    for _ in range(count):
        if kind in {PollKind.SINGLE, PollKind.YES_NO, PollKind.SENSE_CHECK}:
            ballots.append([rng.choice(options)])
        elif kind in {PollKind.MULTIPLE, PollKind.APPROVAL}:
            ballots.append(rng.sample(options, rng.randint(1, rules.max_choices or 1)))
        elif kind is PollKind.SCORE:
            ballots.append({o: rng.randint(0, 5) for o in options})
        elif kind is PollKind.DOT_VOTE:
            ballots.append({o: 1 for o in rng.sample(options, rng.randint(1, 3))})
        elif kind is PollKind.RANKED:
            ballots.append(rng.sample(options, rng.randint(1, len(options))))
        else:
            ballots.append({o: rng.choice(("yes", "maybe", "no")) for o in options})
    return ballots


@pytest.mark.parametrize("kind", list(PollKind))
def test_five_thousand_ballots_are_each_checked_once(
    kind: PollKind, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = FIXED_OPTIONS.get(kind, tuple(f"o{i}" for i in range(8)))
    rules = BallotRules(kind, options, max_choices=3, points=3)
    ballots = _random_ballots(rules, random.Random(kind), 5000)
    calls = Counter[str]()

    def counting(rules: BallotRules, choices: object) -> object:
        calls["normalise"] += 1
        return normalise(rules, choices)

    monkeypatch.setattr(tally_module, "normalise", counting)
    result = tally(rules, ballots)  # type: ignore[arg-type]
    assert calls["normalise"] == 5000
    assert result.voters == 5000
    assert result.leaders
    by = _by_option(result)
    if kind is PollKind.SCORE:
        scores = [b for b in ballots if isinstance(b, dict)]
        assert len(scores) == 5000
        assert sum(o.total for o in result.options) == sum(sum(b.values()) for b in scores)
    elif kind is PollKind.MEETING_TIME:
        assert all(o.count + o.maybe + o.no == 5000 for o in result.options)
    elif kind is PollKind.RANKED:
        assert sum(o.count for o in result.options) == 5000
        for runoff in result.rounds:
            assert sum(runoff.counts.values()) + runoff.exhausted == 5000
    else:
        expected = Counter(o for b in ballots if isinstance(b, list | dict) for o in b)
        assert {o: by[o].count for o in options} == {o: expected[o] for o in options}


def test_tally_accepts_any_iterable_of_mappings_and_sequences() -> None:
    rules = BallotRules(PollKind.SCORE, ABC)
    stored: list[Mapping[str, object] | Sequence[str]] = [{"a": 1, "b": 2, "c": 3}]
    assert tally(rules, iter(stored)).voters == 1
