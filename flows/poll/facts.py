"""What flows need to know about a stored poll: its kind, rules, labels, voter keys, times."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from flows.i18n import N_, Translator
from flows.poll.ballots import BallotRules
from flows.poll.kinds import ONE_TAP, PollKind
from storage.models import Poll, PollStatus

FIXED_LABELS = {
    "yes": N_("Yes"),
    "no": N_("No"),
    "abstain": N_("Abstain"),
    "agree": N_("Looks good"),
    "unsure": N_("Not sure"),
    "concerned": N_("Concerned"),
}
"""The texts of the fixed options (yes/no/abstain, sense check), translated when shown."""

KIND_NAMES = {
    PollKind.SINGLE: N_("Single choice"),
    PollKind.MULTIPLE: N_("Multiple choice"),
    PollKind.APPROVAL: N_("Approval (pick all you accept)"),
    PollKind.YES_NO: N_("Yes / no / abstain"),
    PollKind.SENSE_CHECK: N_("Sense check"),
    PollKind.SCORE: N_("Score (0 to 5 per option)"),
    PollKind.DOT_VOTE: N_("Dot vote (share out points)"),
    PollKind.RANKED: N_("Ranked choice"),
    PollKind.MEETING_TIME: N_("Meeting time (yes / maybe / no per slot)"),
}


def kind_of(poll: Poll) -> PollKind:
    """The poll's kind."""
    return PollKind(poll.kind)


def is_one_tap(poll: Poll) -> bool:
    """Whether the poll is voted with one tap under the group message."""
    return kind_of(poll) in ONE_TAP


def rules_of(poll: Poll) -> BallotRules:
    """The ballot rules of a stored poll."""
    return BallotRules(
        kind=kind_of(poll),
        options=tuple(option["id"] for option in poll.options),
        max_choices=poll.max_choices,
        points=poll.points,
    )


def option_labels(poll: Poll, t: Translator) -> dict[str, str]:
    """Option id -> the text shown (fixed options translated, the organiser's as written)."""
    return {
        option["id"]: t(FIXED_LABELS[option["id"]])
        if option["id"] in FIXED_LABELS and not option.get("text")
        else option["text"]
        for option in poll.options
    }


def is_open(poll: Poll, now: datetime) -> bool:
    """Whether votes are taken now (open, and its closing time has not passed)."""
    return poll.status is PollStatus.OPEN and (poll.closes_at is None or now < poll.closes_at)


def voter_key(poll: Poll, member_id: int | None, telegram_id: int, secret: bytes) -> str:
    """The value that makes a ballot unique per person and poll.

    Identified: `m:<member id>`. Anonymous: a keyed hash of the poll and Telegram ids, so the
    database can refuse a second ballot without knowing whose the first one is. The `poll:`
    prefix keeps these pseudonyms apart from surveys' for the same person.
    """
    if not poll.anonymous:
        assert member_id is not None, "identified ballots belong to a member"
        return f"m:{member_id}"
    return pseudonym(secret, f"poll:{poll.id}:{telegram_id}")


def pseudonym(secret: bytes, source: str) -> str:
    """An anonymous voter key: a keyed hash the database cannot reverse without the secret."""
    return "a:" + hmac.new(secret, source.encode(), hashlib.sha256).hexdigest()[:40]


def stored_time(poll: Poll, moment: datetime) -> datetime:
    """The time to store on a ballot: only the day (UTC) for an anonymous poll."""
    if poll.anonymous:
        return day_of(moment)
    return moment


def day_of(moment: datetime) -> datetime:
    """The start of `moment`'s day in UTC: all an anonymous ballot keeps of a time."""
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
