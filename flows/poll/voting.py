"""Voting with one tap on an option: under the poll message in a group, or in a private copy.

Every press is checked against the database: the poll must exist, be open and be posted in the
chat pressed in (or, in a private chat, have been sent there privately), and the option must be
one of its options. Anything else is a forged or stale payload and changes nothing. The ballot
is written with one upsert on (poll, voter), so double and concurrent taps, in any copies, end
with one ballot. The group messages are brought up to date by the coalesced refresh
(`flows/poll/live.py`); a private copy pressed is edited at once for its reader alone.
"""

from __future__ import annotations

from flows.codec import Payload, PayloadError
from flows.context import Context
from flows.events import ChatKind
from flows.i18n import N_
from flows.poll.audience import follows, refusal
from flows.poll.ballots import InvalidBallot, toggle
from flows.poll.facts import (
    is_one_tap,
    is_open,
    kind_of,
    option_labels,
    rules_of,
    stored_time,
)
from flows.poll.kinds import PollKind
from flows.poll.live import current_tally, schedule_refresh
from flows.poll.message import VOTE
from flows.poll.private_copies import copy_buttons, copy_text, results_after_tap
from flows.poll.voters import voter_of
from flows.router import Audience, Router
from storage.models import MemberStatus, Poll, PollAudience, PollStatus, PollVisibility

CLOSED = N_("This poll is closed.")
NO_CHANGES = N_("You have already voted, and this poll does not allow changing a vote.")
TOAST_LIMIT = 200  # Telegram cuts a callback answer at 200 characters


def register(router: Router) -> None:
    """Register the vote buttons."""

    @router.button(VOTE, audience=Audience.ANYONE)
    async def vote(ctx: Context, value: Payload) -> None:
        poll, option = await _checked(ctx, value)
        if not is_open(poll, ctx.now):
            ctx.toast(ctx.t(CLOSED))
            return
        if poll.audience is PollAudience.FOLLOWERS and not await follows(ctx.uow, poll, ctx.member):
            ctx.toast((await refusal(ctx, poll))[:TOAST_LIMIT], alert=True)
            return
        await _cast(ctx, poll, option)


async def _checked(ctx: Context, value: Payload) -> tuple[Poll, str]:
    """The poll and option a press asks for, if the press can be genuine."""
    poll_id, option = value.int_arg(0), value.str_arg(1)
    sender = ctx.event.sender
    if sender is None or sender.is_bot or ctx.event.chat.kind is ChatKind.CHANNEL:
        raise PayloadError("vote buttons are pressed by people, in groups or private chats")
    poll = await ctx.uow.polls.get(poll_id)
    if (
        poll is None
        or poll.status is PollStatus.DRAFT
        or not is_one_tap(poll)
        or poll.native is not None
    ):
        raise PayloadError("no such poll to tap on")
    if option not in rules_of(poll).options:
        raise PayloadError("no such option")
    if ctx.event.chat.is_group:
        if ctx.chat_id not in await ctx.uow.polls.chat_ids(poll.id):
            raise PayloadError("the poll is not posted in this chat")
    elif not await ctx.uow.polls.private_copy_sent(poll.id, ctx.chat_id):
        # A private copy (or a reminder beside it) was sent to this chat: it may vote here.
        raise PayloadError("the poll was not sent to this private chat")
    return poll, option


async def _cast(ctx: Context, poll: Poll, option: str) -> None:
    voter = await voter_of(ctx, poll)
    in_group = ctx.event.chat.is_group
    if in_group and ctx.member is not None and ctx.member.status is MemberStatus.ACTIVE:
        # Pressing here shows they are in this group, which a private ballot may need.
        await ctx.uow.chats.add_member(ctx.chat_id, ctx.member.id, ctx.now)
    stored = None if voter.new else await ctx.uow.ballots.choices_of(poll.id, voter.key)
    current: list[str] | None = list(stored) if stored is not None else None
    if current and not poll.changes_allowed and (option in current or not _adds_up(poll)):
        # Without changes a vote stays as given: a multiple-choice ballot may still grow.
        ctx.toast(ctx.t(NO_CHANGES), alert=True)
        return
    try:
        chosen = toggle(rules_of(poll), current, option)
    except InvalidBallot:
        ctx.toast(ctx.t("You can pick at most {count}.", count=poll.max_choices or 1), alert=True)
        return
    at = stored_time(poll, ctx.now)
    if chosen:
        await ctx.uow.ballots.cast(poll.id, voter.key, voter.member_id, chosen, at, replace=True)
        labels = option_labels(poll, ctx.t)
        text = ctx.t("You voted: {choices}", choices=", ".join(labels[o] for o in chosen))
    else:
        await ctx.uow.ballots.withdraw(poll.id, voter.key)
        text = ctx.t("Vote withdrawn.")
    if in_group and poll.visibility is PollVisibility.AFTER_VOTE and chosen:
        text += "\n" + await _glance(ctx, poll)
    ctx.toast(text[:TOAST_LIMIT])
    if not in_group:
        # Only the reader's own copy changes: thousands of others are not edited per tap.
        counted = await current_tally(ctx.uow, poll) if results_after_tap(poll, chosen) else None
        ctx.show(
            copy_text(poll, counted, ctx.t, ctx.config, chosen),
            copy_buttons(poll, ctx.t, ctx.config),
        )
    if await ctx.uow.polls.chat_ids(poll.id):
        schedule_refresh(ctx.effects, poll.id, ctx.now, ctx.config)


def _adds_up(poll: Poll) -> bool:
    """Whether a ballot of this poll collects several taps (multiple choice, approval)."""
    return kind_of(poll) in (PollKind.MULTIPLE, PollKind.APPROVAL)


async def _glance(ctx: Context, poll: Poll) -> str:
    """The results in one line, for a voter of a poll that shows them after voting."""
    counted = await current_tally(ctx.uow, poll)
    labels = option_labels(poll, ctx.t)
    return " · ".join(f"{labels[r.option]} {r.count}" for r in counted.options)
