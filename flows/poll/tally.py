"""Counting a poll's ballots, the way peers count each kind (Loomio, Ultimate Poll Bot, OpaVote).

- SINGLE, YES_NO, SENSE_CHECK, MULTIPLE, APPROVAL: `count` is the ballots that include the
  option; the leaders have the highest count.
- SCORE: `total` is the sum of scores and `mean` the mean score over all ballots; `count` is
  the ballots that gave it more than 0; the leaders have the highest total.
- DOT_VOTE: `total` is the points given; `count` is the ballots that gave it any point; the
  leaders have the highest total.
- MEETING_TIME: `count` is the "yes" answers, `maybe` and `no` the others; the leaders have the
  most "yes", and among those the most "yes" + "maybe".
- RANKED: `count` is the first preferences and `total` the Borda points (n-1 for a first place
  among n options, n-2 for a second..., 0 for an option a ballot leaves out); the leaders are
  the instant-runoff winner(s), with the rounds in `Tally.rounds`.

Instant runoff: each round counts every ballot for its highest-ranked continuing option. An
option with more than half of the ballots that still count (the others are exhausted) wins. If
every continuing option has the same count, they are all leaders. Otherwise the option with
the fewest ballots is eliminated; a tie for last goes to the one with fewer first preferences,
then to the one with fewer Borda points, and options still tied after that are eliminated
together (never all of them: they would have the same count, which ends the count above).

`percent` is of voters, 0 to 100 (0 when nobody voted). Every ballot is checked with
`normalise` first, so a stored ballot that no longer fits the poll raises `InvalidBallot`
instead of being counted wrongly. The work is linear in the ballots (the runoff only moves the
ballots of eliminated options), so thousands of ballots count in milliseconds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import cast

from flows.poll.ballots import BallotRules, Choices, normalise
from flows.poll.kinds import PollKind

_LIST_KINDS = frozenset(
    {PollKind.SINGLE, PollKind.YES_NO, PollKind.SENSE_CHECK, PollKind.MULTIPLE, PollKind.APPROVAL}
)


@dataclass(frozen=True)
class OptionResult:
    """One option's result.

    Attributes:
        option: The option id.
        count: Ballots that chose it (RANKED: ranked it first; SCORE: scored it above 0;
            DOT_VOTE: gave it any point; MEETING_TIME: answered yes).
        percent: `count` as a percentage of voters, 0 to 100 (0 when nobody voted).
        total: SCORE: sum of scores; DOT_VOTE: points; RANKED: Borda points; otherwise 0.
        mean: SCORE: the mean score over all ballots (None when nobody voted); otherwise None.
        maybe: MEETING_TIME: "maybe" answers.
        no: MEETING_TIME: "no" answers.
    """

    option: str
    count: int
    percent: float
    total: int = 0
    mean: float | None = None
    maybe: int = 0
    no: int = 0


@dataclass(frozen=True)
class RunoffRound:
    """One round of an instant runoff.

    Attributes:
        counts: Each continuing option (in display order) -> ballots counting for it.
        eliminated: The options eliminated after this round (none in the last round).
        exhausted: Ballots that rank no continuing option any more.
    """

    counts: dict[str, int]
    eliminated: tuple[str, ...]
    exhausted: int


@dataclass(frozen=True)
class Tally:
    """A poll's result.

    Attributes:
        kind: The poll's kind.
        voters: The number of ballots.
        options: One result per option, in display order.
        leaders: The winning option(s) in display order: several on a tie, none without votes.
        rounds: RANKED only: the instant-runoff rounds, first to last.
    """

    kind: PollKind
    voters: int
    options: tuple[OptionResult, ...]
    leaders: tuple[str, ...]
    rounds: tuple[RunoffRound, ...] = ()


def tally(rules: BallotRules, ballots: Iterable[Mapping[str, object] | Sequence[str]]) -> Tally:
    """Count a poll's ballots.

    Args:
        rules: The poll's rules.
        ballots: Every ballot's choices (normal form, as stored; each is checked again).

    Returns:
        The result: per option counts and totals, leaders, and the runoff rounds for RANKED.

    Raises:
        InvalidBallot: A ballot does not fit the rules.
    """
    normal = [normalise(rules, ballot) for ballot in ballots]
    kind = rules.kind
    if kind in _LIST_KINDS:
        return _chosen(rules, normal)
    if kind is PollKind.SCORE:
        return _scores(rules, normal)
    if kind is PollKind.DOT_VOTE:
        return _dots(rules, normal)
    if kind is PollKind.MEETING_TIME:
        return _availability(rules, normal)
    return _ranked(rules, normal)


def _chosen(rules: BallotRules, ballots: list[Choices]) -> Tally:
    counts = Counter(option for ballot in ballots for option in ballot)
    voters = len(ballots)
    results = tuple(_result(o, counts[o], voters) for o in rules.options)
    leaders = _best(rules.options, counts.__getitem__) if voters else ()
    return Tally(rules.kind, voters, results, leaders)


def _scores(rules: BallotRules, ballots: list[Choices]) -> Tally:
    voters = len(ballots)
    results = []
    totals: dict[str, int] = {}
    for option, column in zip(rules.options, _columns(rules, ballots), strict=True):
        scores = cast(tuple[int, ...], column)
        totals[option] = total = sum(scores)
        mean = total / voters if voters else None
        count = voters - scores.count(0)
        results.append(_result(option, count, voters, total=total, mean=mean))
    leaders = _best(rules.options, totals.__getitem__) if voters else ()
    return Tally(rules.kind, voters, tuple(results), leaders)


def _dots(rules: BallotRules, ballots: list[Choices]) -> Tally:
    voters = len(ballots)
    counts = Counter(chain.from_iterable(ballots))  # normal form drops options given 0 points
    totals = dict.fromkeys(rules.options, 0)
    for ballot in cast(list[dict[str, int]], ballots):
        for option, points in ballot.items():
            totals[option] += points
    results = tuple(
        _result(option, counts[option], voters, total=totals[option]) for option in rules.options
    )
    leaders = _best(rules.options, totals.__getitem__) if voters else ()
    return Tally(rules.kind, voters, results, leaders)


def _availability(rules: BallotRules, ballots: list[Choices]) -> Tally:
    voters = len(ballots)
    results = []
    answers: dict[str, tuple[int, int]] = {}
    for option, column in zip(rules.options, _columns(rules, ballots), strict=True):
        yes, maybe = column.count("yes"), column.count("maybe")
        answers[option] = (yes, maybe)
        results.append(_result(option, yes, voters, maybe=maybe, no=voters - yes - maybe))
    leaders: tuple[str, ...] = ()
    if voters:
        most_yes = _best(rules.options, lambda o: answers[o][0])
        leaders = _best(most_yes, lambda o: sum(answers[o]))
    return Tally(rules.kind, voters, tuple(results), leaders)


def _columns(rules: BallotRules, ballots: list[Choices]) -> list[tuple[object, ...]]:
    # Normal SCORE and MEETING_TIME ballots hold every option in option order, so turning the
    # ballots into one column per option is one zip, and each column is counted in C.
    if not ballots:
        return [() for _ in rules.options]
    rows = (cast(dict[str, object], ballot).values() for ballot in ballots)
    return list(zip(*rows, strict=True))


def _ranked(rules: BallotRules, ballots: list[Choices]) -> Tally:
    # Identical rankings are counted once with a weight: polls have few options, so many
    # ballots repeat, and every later step works per distinct ranking.
    groups = list(Counter(tuple(ballot) for ballot in ballots).items())
    voters = len(ballots)
    last = len(rules.options) - 1
    first: Counter[str] = Counter()
    borda: Counter[str] = Counter()
    for ranking, weight in groups:
        first[ranking[0]] += weight
        for place, option in enumerate(ranking):
            borda[option] += weight * (last - place)
    results = tuple(_result(o, first[o], voters, total=borda[o]) for o in rules.options)
    rounds, leaders = _instant_runoff(rules.options, groups, voters, first, borda)
    return Tally(rules.kind, voters, results, leaders, rounds)


def _instant_runoff(
    options: tuple[str, ...],
    groups: list[tuple[tuple[str, ...], int]],
    voters: int,
    first: Counter[str],
    borda: Counter[str],
) -> tuple[tuple[RunoffRound, ...], tuple[str, ...]]:
    if not voters:
        return (), ()
    continuing = set(options)
    counts = {option: first[option] for option in options}
    # Each option's pile holds the groups that count for it now, and `at` where each group
    # has got to in its ranking: an elimination moves only the eliminated option's piles.
    piles: dict[str, list[int]] = {option: [] for option in options}
    at = [0] * len(groups)
    for index, (ranking, _) in enumerate(groups):
        piles[ranking[0]].append(index)
    exhausted = 0
    rounds: list[RunoffRound] = []
    while True:
        standing = {option: counts[option] for option in options if option in continuing}
        top = max(standing.values())
        low = min(standing.values())
        if 2 * top > voters - exhausted or top == low:
            rounds.append(RunoffRound(standing, (), exhausted))
            leaders = tuple(option for option, count in standing.items() if count == top)
            return tuple(rounds), leaders
        out = [option for option, count in standing.items() if count == low]
        # Ties for last: fewer first preferences, then fewer Borda points, else all together.
        for points in (first, borda):
            fewest = min(points[option] for option in out)
            out = [option for option in out if points[option] == fewest]
        rounds.append(RunoffRound(standing, tuple(out), exhausted))
        continuing.difference_update(out)
        for option in out:
            for index in piles.pop(option):
                ranking, weight = groups[index]
                place = at[index] + 1
                while place < len(ranking) and ranking[place] not in continuing:
                    place += 1
                at[index] = place
                if place < len(ranking):
                    piles[ranking[place]].append(index)
                    counts[ranking[place]] += weight
                else:
                    exhausted += weight
            del counts[option]


def _result(
    option: str,
    count: int,
    voters: int,
    *,
    total: int = 0,
    mean: float | None = None,
    maybe: int = 0,
    no: int = 0,
) -> OptionResult:
    percent = 100 * count / voters if voters else 0.0
    return OptionResult(option, count, percent, total=total, mean=mean, maybe=maybe, no=no)


def _best(options: Iterable[str], value: Callable[[str], int]) -> tuple[str, ...]:
    # Every option with the highest value, in display order: a tie gives several leaders.
    values = {option: value(option) for option in options}
    if not values:
        return ()
    top = max(values.values())
    return tuple(option for option, found in values.items() if found == top)
