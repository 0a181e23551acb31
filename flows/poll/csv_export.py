"""A poll's ballots as CSV: a row a ballot, a column an option, for organisers' spreadsheets.

The cells are written like the survey export's, with the same function (`flows.csv_cells`):
quoted where needed, and text that a spreadsheet would run as a formula (starting with = + - @,
a tab or a carriage return) given a leading apostrophe. Names and option labels are written by
people, so both go through it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from flows.csv_cells import csv_cell
from flows.poll.ballots import BallotRules, Choices, normalise
from flows.poll.kinds import PollKind

NAME_COLUMN = "name"
_MARKED = frozenset(
    {PollKind.SINGLE, PollKind.YES_NO, PollKind.SENSE_CHECK, PollKind.MULTIPLE, PollKind.APPROVAL}
)


def ballots_csv(
    rules: BallotRules,
    option_labels: Mapping[str, str],
    rows: Iterable[tuple[str | None, Mapping[str, object] | Sequence[str]]],
) -> bytes:
    """Write a poll's ballots as CSV (UTF-8 with a byte-order mark, so Excel reads it right).

    The first column is the voter's name, empty when None; then one column per option, headed
    by its label, holding the ballot's value for it: 1 or empty for the kinds that choose
    options, the score (SCORE), the points or empty (DOT_VOTE), the rank from 1 or empty
    (RANKED), or yes / maybe / no (MEETING_TIME).

    When no row has a name (an anonymous poll), the rows are sorted by their cells, so that
    their order says nothing about when anyone voted.

    Args:
        rules: The poll's rules.
        option_labels: Option id -> the label for its column header (the id when missing).
        rows: (voter's name or None, the ballot's choices) per ballot.

    Returns:
        The CSV file's bytes, lines ending in CRLF.

    Raises:
        InvalidBallot: A ballot does not fit the rules.
    """
    header = [NAME_COLUMN, *(option_labels.get(o, o) for o in rules.options)]
    lines: list[str] = []
    named = False
    for name, choices in rows:
        named = named or name is not None
        cells = [name, *_cells(rules, normalise(rules, choices))]
        lines.append(",".join(map(csv_cell, cells)))
    if not named:
        lines.sort()
    text = "\r\n".join([",".join(map(csv_cell, header)), *lines]) + "\r\n"
    return text.encode("utf-8-sig")


def _cells(rules: BallotRules, ballot: Choices) -> list[str | int | None]:
    if rules.kind in _MARKED:
        chosen = set(ballot)
        return [1 if option in chosen else None for option in rules.options]
    if rules.kind is PollKind.RANKED:
        rank = {option: place for place, option in enumerate(ballot, 1)}
        return [rank.get(option) for option in rules.options]
    assert isinstance(ballot, dict)  # SCORE, DOT_VOTE, MEETING_TIME
    return [ballot.get(option) for option in rules.options]
