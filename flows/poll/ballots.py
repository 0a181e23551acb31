"""A poll's ballot rules, and the one place where a ballot is checked and put in normal form.

A ballot's `choices` is JSON-able and normalised (this is what is stored and counted):

- SINGLE, YES_NO, SENSE_CHECK: a list of exactly one option id.
- MULTIPLE, APPROVAL: a list of distinct option ids in option order (MULTIPLE: 1..max_choices;
  APPROVAL: at least one).
- SCORE: a dict of option id to 0..5, every option present, in option order.
- DOT_VOTE: a dict of option id to points, zero entries dropped, sum 1..points, in option order.
- RANKED: a list of distinct option ids, most preferred first, at least one.
- MEETING_TIME: a dict of option id to "yes" | "maybe" | "no", every option present.

An empty ballot is never valid: no ballot at all is how a voter withdraws (`toggle` returns []).
Anything else is refused with `InvalidBallot`, whatever a forged payload holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import cast

from flows.poll.kinds import FIXED_OPTIONS, ONE_TAP, PollKind

MAX_SCORE = 5
AVAILABILITY = ("yes", "maybe", "no")  # a meeting-time answer per slot
_AVAILABLE = frozenset(AVAILABILITY)
_SCORES = frozenset(range(MAX_SCORE + 1))
_VALUE_TYPES = frozenset({int, str})  # the types of a stored SCORE or MEETING_TIME value

Choices = list[str] | dict[str, int] | dict[str, str]

_LISTS = frozenset(
    {
        PollKind.SINGLE,
        PollKind.YES_NO,
        PollKind.SENSE_CHECK,
        PollKind.MULTIPLE,
        PollKind.APPROVAL,
        PollKind.RANKED,
    }
)
_ONE = frozenset({PollKind.SINGLE, PollKind.YES_NO, PollKind.SENSE_CHECK})


class InvalidBallot(ValueError):
    """A ballot that does not fit its poll (the message is plain English for logs)."""


@dataclass(frozen=True)
class BallotRules:
    """What a valid ballot of one poll looks like.

    Attributes:
        kind: The poll's kind.
        options: Option ids in display order (for YES_NO and SENSE_CHECK, `FIXED_OPTIONS`).
        max_choices: MULTIPLE only: how many options a ballot may choose (at least 1; more
            than there are options means no limit). Ignored for other kinds.
        points: DOT_VOTE only: how many points a voter may distribute (at least 1). Ignored
            for other kinds.

    Raises:
        ValueError: The rules themselves are wrong (a programming error, not a forged ballot).
    """

    kind: PollKind
    options: tuple[str, ...]
    max_choices: int | None = None
    points: int | None = None

    def __post_init__(self) -> None:
        kind = PollKind(self.kind)  # a stored string becomes the enum, or raises ValueError
        object.__setattr__(self, "kind", kind)
        if isinstance(self.options, str):
            raise ValueError("options is a sequence of option ids, not one string")
        options = tuple(self.options)
        object.__setattr__(self, "options", options)
        if not options or not all(isinstance(o, str) and o for o in options):
            raise ValueError("a poll needs at least one option, each a non-empty string id")
        if len(set(options)) != len(options):
            raise ValueError(f"option ids repeat: {options}")
        fixed = FIXED_OPTIONS.get(kind)
        if fixed is not None and options != fixed:
            raise ValueError(f"a {kind} poll has the options {fixed}, not {options}")
        if kind is PollKind.MULTIPLE and not _positive(self.max_choices):
            raise ValueError("a multiple-choice poll needs max_choices of at least 1")
        if kind is PollKind.DOT_VOTE and not _positive(self.points):
            raise ValueError("a dot vote needs points of at least 1")

    @cached_property
    def position(self) -> dict[str, int]:
        """Each option id's index in `options` (computed once: tallies look it up per ballot)."""
        return {option: index for index, option in enumerate(self.options)}


def normalise(rules: BallotRules, choices: object) -> Choices:
    """Check a ballot against its poll's rules and return it in normal form.

    Args:
        rules: The poll's rules.
        choices: What the voter sent, possibly forged: any JSON value (or Python object).

    Returns:
        The ballot in the normal form of its kind (see the module's docstring).

    Raises:
        InvalidBallot: The ballot has the wrong shape or type, unknown or repeated option ids,
            values out of range, booleans posing as numbers, or is empty.
    """
    kind = rules.kind
    if kind in _LISTS:
        picked = _option_list(rules, choices)
        if kind in _ONE and len(picked) != 1:
            raise InvalidBallot(f"a {kind} ballot chooses exactly one option, not {len(picked)}")
        if kind is PollKind.RANKED:
            return picked  # the voter's order is the point
        if kind is PollKind.MULTIPLE:
            limit = rules.max_choices or 0
            if len(picked) > limit:
                raise InvalidBallot(f"at most {limit} options may be chosen, not {len(picked)}")
        position = rules.position
        return sorted(picked, key=position.__getitem__)
    # The dict kinds check all values at once (set and min/max run in C): tallies normalise
    # every stored ballot, so this is the hot path of counting.
    if kind is PollKind.SCORE:
        if _already_normal(rules, choices, _SCORES):
            return dict(cast(dict[str, int], choices))
        given = _option_map(rules, choices, complete=True)
        scores = _whole_numbers([given[o] for o in rules.options], 0, MAX_SCORE)
        if scores is None:
            raise InvalidBallot(f"scores are whole numbers 0..{MAX_SCORE}: {dict(given)!r}")
        return dict(zip(rules.options, scores, strict=True))
    if kind is PollKind.DOT_VOTE:
        budget = rules.points or 0
        if type(choices) is dict and choices and choices.keys() <= rules.position.keys():
            # The common case, a stored ballot: only positive whole numbers within the budget.
            spent = list(choices.values())
            if set(map(type, spent)) == {int} and min(spent) > 0 and sum(spent) <= budget:
                return {o: choices[o] for o in rules.options if o in choices}
        given = _option_map(rules, choices, complete=False)
        points = _whole_numbers([given.get(o, 0) for o in rules.options], 0, budget)
        if points is None:
            raise InvalidBallot(f"points are whole numbers 0..{budget}: {dict(given)!r}")
        if not 1 <= sum(points) <= budget:
            raise InvalidBallot(f"a dot vote spends 1..{budget} points, not {sum(points)}")
        return {o: spent for o, spent in zip(rules.options, points, strict=True) if spent}
    # MEETING_TIME
    if _already_normal(rules, choices, _AVAILABLE):
        return dict(cast(dict[str, str], choices))
    given = _option_map(rules, choices, complete=True)
    answers = [given[o] for o in rules.options]
    try:
        valid = set(answers) <= _AVAILABLE
    except TypeError:  # an unhashable value, such as a list
        valid = False
    if not valid:
        raise InvalidBallot(f"each answer is yes, maybe or no: {dict(given)!r}")
    return dict(zip(rules.options, cast(list[str], answers), strict=True))


def toggle(rules: BallotRules, current: list[str] | None, option: str) -> list[str]:
    """Apply one tap on `option` under a group message to the voter's current ballot.

    SINGLE, YES_NO and SENSE_CHECK choose the tapped option, and a tap on the option already
    chosen withdraws the vote. MULTIPLE and APPROVAL add or remove the tapped option.

    Args:
        rules: The poll's rules; its kind must be one of `ONE_TAP`.
        current: The voter's stored ballot, or None (or []) when they have not voted.
        option: The tapped option id, as decoded from the button (so possibly forged).

    Returns:
        The new ballot in normal form, or [] when the tap withdraws the vote.

    Raises:
        InvalidBallot: The kind is not voted by taps, the option is unknown, or a MULTIPLE
            ballot would go over max_choices.
    """
    if rules.kind not in ONE_TAP:
        raise InvalidBallot(f"a {rules.kind} poll is not voted with one tap")
    if not isinstance(option, str) or option not in rules.position:
        raise InvalidBallot(f"unknown option {option!r}")
    chosen = list(current or [])
    if rules.kind in _ONE:
        return [] if chosen == [option] else [option]
    if option in chosen:
        chosen.remove(option)
    else:
        chosen.append(option)
    # Normalising also checks max_choices and puts the options back in display order.
    return _as_list(normalise(rules, chosen)) if chosen else []


def _option_list(rules: BallotRules, choices: object) -> list[str]:
    # A str is a sequence too, so only real lists (and tuples, for Python callers) pass.
    if not isinstance(choices, list | tuple):
        raise InvalidBallot(f"a {rules.kind} ballot is a list, not {type(choices).__name__}")
    if not choices:
        raise InvalidBallot("an empty ballot is not a vote")
    position = rules.position
    for option in choices:
        if not isinstance(option, str) or option not in position:
            raise InvalidBallot(f"unknown option {option!r}")
    if len(set(choices)) != len(choices):
        raise InvalidBallot(f"an option is given twice: {list(choices)}")
    return list(choices)


def _option_map(rules: BallotRules, choices: object, *, complete: bool) -> Mapping[object, object]:
    if not isinstance(choices, Mapping):
        raise InvalidBallot(f"a {rules.kind} ballot is a mapping, not {type(choices).__name__}")
    # Set operations on the key views: this runs once per ballot in every tally.
    known = rules.position.keys()
    unknown = choices.keys() - known
    if unknown:
        raise InvalidBallot(f"unknown options {sorted(map(repr, unknown))}")
    if complete and len(choices) != len(known):
        missing = [o for o in rules.options if o not in choices]
        raise InvalidBallot(f"every option needs a value; missing {missing}")
    return choices


def _already_normal(rules: BallotRules, choices: object, allowed: frozenset[object]) -> bool:
    """Whether a complete-mapping ballot is already in normal form (the common, fast case).

    Stored ballots are normal, so a tally mostly takes this path; anything else goes the slow
    way, which finds the fault and names it.
    """
    if type(choices) is not dict or tuple(choices) != rules.options:
        return False
    values = choices.values()
    # bool is a subclass of int and True == 1, so the types are checked before the values.
    if not set(map(type, values)) <= _VALUE_TYPES:
        return False
    return set(values) <= allowed


def _whole_numbers(values: list[object], low: int, high: int) -> list[int] | None:
    # type() rather than isinstance: JSON true is an int to isinstance, and never a number here.
    if not set(map(type, values)) <= {int}:
        return None
    numbers = cast(list[int], values)
    return numbers if low <= min(numbers) and max(numbers) <= high else None


def _positive(value: object) -> bool:
    return type(value) is int and value > 0


def _as_list(choices: Choices) -> list[str]:
    assert isinstance(choices, list)  # list kinds normalise to lists
    return choices
