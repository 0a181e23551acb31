"""The kinds of poll, and which of them keep fixed options or are voted with one tap."""

from __future__ import annotations

from enum import StrEnum


class PollKind(StrEnum):
    """How a poll is voted and counted (the values are stored, so never change them)."""

    SINGLE = "single"  # one option
    MULTIPLE = "multiple"  # up to max_choices options
    APPROVAL = "approval"  # any number of options
    YES_NO = "yes_no"  # fixed options yes / no / abstain
    SENSE_CHECK = "sense_check"  # fixed options agree ("looks good") / unsure / concerned
    SCORE = "score"  # 0..5 per option
    DOT_VOTE = "dot_vote"  # distribute up to `points` points over options
    RANKED = "ranked"  # order options (a prefix is allowed); instant runoff + Borda
    MEETING_TIME = "meeting_time"  # yes / maybe / no per option (a time slot)


FIXED_OPTIONS: dict[PollKind, tuple[str, ...]] = {
    PollKind.YES_NO: ("yes", "no", "abstain"),
    PollKind.SENSE_CHECK: ("agree", "unsure", "concerned"),
}
"""The option ids of the kinds whose options the organiser does not write."""

ONE_TAP: frozenset[PollKind] = frozenset(
    {PollKind.SINGLE, PollKind.MULTIPLE, PollKind.APPROVAL, PollKind.YES_NO, PollKind.SENSE_CHECK}
)
"""Kinds voted with one tap per option under the group message; the others need a private chat."""
