"""Telegram's own polls: a poll posted with sendPoll, counted from what Telegram reports.

Single and multiple choice may be posted as Telegram's native poll instead of a message with
our buttons. Telegram then draws the poll and its live counts; the bot learns:

- for an identified poll (`is_anonymous=false`), every answer as a `poll_answer` update
  (`PollAnswered`): Telegram's poll id, the person and the option indexes. Each becomes our
  ballot, under the same (poll, voter) key as a tap, so a person in two groups showing the
  poll still has one ballot: their latest answer in either copy (when changes are allowed;
  otherwise their first). An empty answer withdraws it.
- for an anonymous poll, only counts (`poll` updates, `PollCounted`): votes per option and
  people, per copy. They are kept on the copy and added up across copies; nobody is known,
  so someone who sees the poll in two groups can vote in both.

Answers name Telegram's poll id only (no chat, no message), which the outbox records for each
copy when it is sent (`PollPost.native_poll_id`). Closing stops every copy (stopPoll).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from flows.config import CommunityConfig
from flows.context import Context
from flows.effects import NativePoll, StopPoll
from flows.events import PollAnswered, PollCounted
from flows.i18n import Translator
from flows.poll.ballots import InvalidBallot, normalise
from flows.poll.facts import is_open, kind_of, option_labels, rules_of, stored_time
from flows.poll.kinds import PollKind
from flows.poll.tally import OptionResult, Tally
from flows.poll.voters import voter_of
from flows.router import Router
from storage.models import MemberStatus, NativeMode, Poll, PollPost, PollStatus, PollVisibility
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

NATIVE_KINDS = frozenset({PollKind.SINGLE, PollKind.MULTIPLE})
"""Kinds Telegram's own poll can carry: one option, or any number of them."""

# Telegram's limits in UTF-16 code units (ours count characters, which an emoji may exceed).
QUESTION_LIMIT = 300
OPTION_LIMIT = 100
OPTIONS_LIMIT = 12
DESCRIPTION_LIMIT = 1024


def utf16_length(text: str) -> int:
    """Length as Telegram counts it."""
    return len(text.encode("utf-16-le")) // 2


def fits_native(question: str, options: Sequence[str]) -> bool:
    """Whether Telegram accepts this question and these options in a native poll."""
    return (
        utf16_length(question) <= QUESTION_LIMIT
        and 1 <= len(options) <= OPTIONS_LIMIT
        and all(0 < utf16_length(option) <= OPTION_LIMIT for option in options)
    )


def native_poll(poll: Poll, t: Translator, config: CommunityConfig) -> NativePoll:
    """The native poll a copy of `poll` is posted as (texts in `t`'s language)."""
    labels = option_labels(poll, t)
    lines = []
    if poll.native is NativeMode.COUNTS:
        lines.append(t("Anonymous: nobody, not even the organisers, sees who voted what."))
    else:
        lines.append(t("Not anonymous: everyone can see who voted what."))
    if poll.closes_at is not None:
        closes = poll.closes_at.astimezone(config.timezone).strftime("%Y-%m-%d %H:%M")
        lines.append(t("Voting closes {time}.", time=closes))
    if poll.quorum:
        lines.append(t("Quorum: {quorum} voters.", quorum=poll.quorum))
    return NativePoll(
        question=poll.question,
        options=tuple(labels[option["id"]] for option in poll.options),
        anonymous=poll.native is NativeMode.COUNTS,
        multiple=kind_of(poll) is PollKind.MULTIPLE,
        changes_allowed=poll.changes_allowed,
        results_after_close=poll.visibility is PollVisibility.AFTER_CLOSE,
        description="\n".join(lines)[:DESCRIPTION_LIMIT],
    )


def native_preview(native: NativePoll) -> str:
    """A text picture of the native poll, for the organiser's preview before publishing."""
    marker = "☐" if native.multiple else "○"
    lines = [f"📊 {native.question}", *(f"{marker} {option}" for option in native.options)]
    if native.description:
        lines += ["", native.description]
    return "\n".join(lines)


def counted_copies(poll: Poll, posts: Sequence[PollPost]) -> Tally:
    """The result of an anonymous native poll: Telegram's counts added up over its copies."""
    ids = [option["id"] for option in poll.options]
    counts = [0] * len(ids)
    voters = 0
    for post in posts:
        voters += post.native_voters or 0
        for index, count in enumerate((post.native_counts or [])[: len(ids)]):
            counts[index] += count
    results = tuple(
        OptionResult(option, count, 100 * count / voters if voters else 0.0)
        for option, count in zip(ids, counts, strict=True)
    )
    top = max(counts, default=0)
    leaders = tuple(option for option, count in zip(ids, counts, strict=True) if count == top)
    return Tally(kind_of(poll), voters, results, leaders if top else ())


def stop_copies(posts: Sequence[PollPost]) -> list[StopPoll]:
    """Stop every copy that has been sent (one still in the outbox is stopped once it is)."""
    return [
        StopPoll(chat_id=post.chat_id, message_id=post.message_id)
        for post in posts
        if post.message_id is not None
    ]


def choices_of(poll: Poll, option_ids: Sequence[int]) -> list[str]:
    """Our ballot for Telegram's option indexes ([] for a withdrawn answer).

    Raises:
        InvalidBallot: an index that is not one of the poll's options, or too many of them.
    """
    if not option_ids:
        return []
    ids = [option["id"] for option in poll.options]
    if any(not 0 <= index < len(ids) for index in option_ids):
        raise InvalidBallot(f"option index out of range: {list(option_ids)}")
    chosen = normalise(rules_of(poll), [ids[index] for index in sorted(set(option_ids))])
    assert isinstance(chosen, list)
    return chosen


async def _copy_of(uow: UnitOfWork, telegram_poll_id: str) -> tuple[Poll, PollPost] | None:
    post = await uow.polls.native_post(telegram_poll_id)
    if post is None:
        # Not a poll of ours (or a copy whose sending was not recorded): nothing to count.
        log.info("answer to unknown native poll %s ignored", telegram_poll_id)
        return None
    poll = await uow.polls.get(post.poll_id)
    if poll is None or poll.native is None:
        return None
    return poll, post


async def record_answer(ctx: Context, event: PollAnswered) -> None:
    """Turn a native poll answer into the person's ballot (or withdraw it)."""
    sender = event.sender
    if sender is None or sender.is_bot:
        return
    found = await _copy_of(ctx.uow, event.poll_id)
    if found is None:
        return
    poll, post = found
    if poll.native is not NativeMode.ANSWERS:
        return  # sent anonymous: Telegram sends no answers for it, and none is counted
    if not is_open(poll, ctx.now):
        # Between the deadline and stopPoll Telegram may still take a vote: it does not count.
        log.info("answer to closed poll %s ignored", poll.id)
        return
    try:
        chosen = choices_of(poll, event.option_ids)
    except InvalidBallot as exc:
        log.warning("answer to poll %s not counted: %s", poll.id, exc)
        return
    voter = await voter_of(ctx, poll)
    if ctx.member is not None and ctx.member.status is MemberStatus.ACTIVE:
        # Answering there shows they are in that group, as a tap does.
        await ctx.uow.chats.add_member(post.chat_id, ctx.member.id, ctx.now)
    if chosen:
        at = stored_time(poll, ctx.now)
        replace = poll.changes_allowed
        await ctx.uow.ballots.cast(poll.id, voter.key, voter.member_id, chosen, at, replace=replace)
    elif poll.changes_allowed:
        await ctx.uow.ballots.withdraw(poll.id, voter.key)


async def record_counts(ctx: Context, event: PollCounted) -> None:
    """Keep Telegram's counts of an anonymous native copy while the poll is open."""
    found = await _copy_of(ctx.uow, event.poll_id)
    if found is None:
        return
    poll, post = found
    if poll.native is not NativeMode.COUNTS or poll.status is not PollStatus.OPEN:
        # Identified polls are counted from their ballots; a closed poll's result is final.
        return
    post.native_counts = list(event.voter_counts)
    post.native_voters = event.total_voters


def register(router: Router) -> None:
    """Register the native poll answers and counts."""

    @router.on(PollAnswered)
    async def answered(ctx: Context) -> None:
        assert isinstance(ctx.event, PollAnswered)
        await record_answer(ctx, ctx.event)

    @router.on(PollCounted)
    async def counted(ctx: Context) -> None:
        assert isinstance(ctx.event, PollCounted)
        await record_counts(ctx, ctx.event)
