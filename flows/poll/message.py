"""The poll message in a group: the question, the results as text bars, the vote buttons."""

from __future__ import annotations

from flows.codec import payload
from flows.config import CommunityConfig
from flows.effects import Button, Keyboard
from flows.i18n import Translator
from flows.poll.facts import KIND_NAMES, is_one_tap, kind_of, option_labels
from flows.poll.kinds import PollKind
from flows.poll.suggestions import SUGGESTIBLE, suggest_link
from flows.poll.tally import OptionResult, Tally
from storage.models import Poll, PollStatus, PollVisibility

BAR_WIDTH = 10
VOTE = "pl.v"  # one tap on an option under the group message: poll id, option id
VOTE_PRIVATELY = "pl.go"  # Vote under a poll voted in the private chat: poll id


def deep_link(poll: Poll) -> str:
    """The /start payload that opens the private ballot of a poll."""
    return f"poll-{poll.id}"


def results_shown(poll: Poll) -> bool:
    """Whether the group message shows the results now (per the visibility setting)."""
    return poll.status is PollStatus.CLOSED or poll.visibility is PollVisibility.ALWAYS


def bar(share: float) -> str:
    """A text bar for a share between 0 and 1."""
    filled = round(max(0.0, min(1.0, share)) * BAR_WIDTH)
    return "█" * filled + "░" * (BAR_WIDTH - filled)


def result_lines(poll: Poll, tally: Tally, t: Translator) -> list[str]:
    """One or two lines per option: its text, then a bar and its figures."""
    labels = option_labels(poll, t)
    kind = kind_of(poll)
    top = max((_weight(kind, o) for o in tally.options), default=0) or 1
    lines: list[str] = []
    for result in tally.options:
        lines.append(labels.get(result.option, result.option))
        share = result.percent / 100 if _by_voters(kind) else _weight(kind, result) / top
        lines.append(f"{bar(share)} {_figures(kind, result, t)}")
    return lines


def _by_voters(kind: PollKind) -> bool:
    return kind in (
        PollKind.SINGLE,
        PollKind.MULTIPLE,
        PollKind.APPROVAL,
        PollKind.YES_NO,
        PollKind.SENSE_CHECK,
    )


def _weight(kind: PollKind, result: OptionResult) -> float:
    """What the bar of an option measures."""
    if kind in (PollKind.SCORE, PollKind.DOT_VOTE, PollKind.RANKED):
        return result.total
    return result.count


def _figures(kind: PollKind, result: OptionResult, t: Translator) -> str:
    if kind is PollKind.SCORE:
        mean = f"{result.mean:.1f}" if result.mean is not None else "–"
        return t.plural(
            "{count} point, mean {mean}", "{count} points, mean {mean}", result.total, mean=mean
        )
    if kind is PollKind.DOT_VOTE:
        return t.plural("{count} point", "{count} points", result.total)
    if kind is PollKind.RANKED:
        first = t.plural("{count} first choice", "{count} first choices", result.count)
        return first + ", " + t.plural("{count} Borda point", "{count} Borda points", result.total)
    if kind is PollKind.MEETING_TIME:
        return t(
            "yes {yes} · maybe {maybe} · no {no}",
            yes=result.count,
            maybe=result.maybe,
            no=result.no,
        )
    return f"{result.count} ({result.percent:.0f}%)"


def poll_text(poll: Poll, tally: Tally, t: Translator, config: CommunityConfig) -> str:
    """The text of the poll message in a group, as it should read now."""
    lines = [f"📊 {poll.question}", subtitle(poll, t), ""]
    if results_shown(poll):
        lines += result_lines(poll, tally, t)
        lines.append("")
    lines.append(t.plural("{count} vote", "{count} votes", tally.voters))
    if poll.status is PollStatus.CLOSED:
        lines.append(t("Voting has closed."))
    elif poll.closes_at is not None:
        closes = poll.closes_at.astimezone(config.timezone).strftime("%Y-%m-%d %H:%M")
        lines.append(t("Voting closes {time}.", time=closes))
    if poll.status is not PollStatus.CLOSED and poll.visibility is PollVisibility.AFTER_CLOSE:
        lines.append(t("Results are shown when voting closes."))
    elif poll.status is not PollStatus.CLOSED and poll.visibility is PollVisibility.AFTER_VOTE:
        lines.append(t("You see the results when you vote."))
    return "\n".join(lines)


def subtitle(poll: Poll, t: Translator) -> str:
    """The line under the question: the kind, its limits, whether names are kept."""
    parts = [t(KIND_NAMES[kind_of(poll)])]
    if kind_of(poll) is PollKind.MULTIPLE and poll.max_choices:
        parts.append(t("up to {count}", count=poll.max_choices))
    if kind_of(poll) is PollKind.DOT_VOTE and poll.points:
        parts.append(t.plural("{count} point to share", "{count} points to share", poll.points))
    parts.append(t("anonymous") if poll.anonymous else t("names visible to organisers"))
    return " · ".join(parts)


def poll_buttons(poll: Poll, t: Translator, config: CommunityConfig) -> Keyboard:
    """The buttons under the group message: one per option, or a link to vote privately."""
    if poll.status is PollStatus.CLOSED:
        return ()
    if not is_one_tap(poll):
        # Vote is a press, not a link, so the bot learns the voter is in this group; the link
        # is for people who have not started the bot yet.
        return (
            (Button(t("Vote"), payload(VOTE_PRIVATELY, poll.id)),),
            (Button(t("Open the private chat"), url=config.deep_link(deep_link(poll))),),
        )
    labels = option_labels(poll, t)
    rows = tuple(
        (Button(labels[option["id"]], payload(VOTE, poll.id, option["id"])),)
        for option in poll.options
    )
    if poll.suggestions and kind_of(poll) in SUGGESTIBLE:
        # A link: the suggestion is typed in the private chat (after /start for newcomers).
        link = config.deep_link(suggest_link(poll))
        rows += ((Button(t("💡 Suggest an option"), url=link),),)
    return rows
