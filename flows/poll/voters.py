"""Who votes: the voter key and member behind a press, and whether they may vote."""

from __future__ import annotations

from dataclasses import dataclass

from flows.context import Context
from flows.onboarding.start import add_bare_member
from flows.poll.audience import follows
from flows.poll.facts import voter_key
from storage.models import Poll, PollAudience


@dataclass(frozen=True, slots=True)
class Voter:
    """The key a ballot is stored under and its member (None for anonymous polls).

    `new` is true when the member row was made just now: such a voter has no ballot yet.
    """

    key: str
    member_id: int | None
    new: bool = False


async def voter_of(ctx: Context, poll: Poll) -> Voter:
    """Return the voter behind the event, adding a bare member row where one is needed.

    An anonymous ballot needs no member at all. An identified one names its member, and group
    members may vote without ever having started the bot: they get the row a person has before
    consent (Telegram id and language only), so the ballot can refer to them like every other
    table does, never by Telegram id.
    """
    sender = ctx.event.sender
    assert sender is not None
    if poll.anonymous:
        return Voter(voter_key(poll, None, sender.user_id, ctx.config.pseudonym_key), None)
    member, new = ctx.member, ctx.member is None
    if member is None:
        member = await add_bare_member(ctx)
    key = voter_key(poll, member.id, sender.user_id, ctx.config.pseudonym_key)
    return Voter(key, member.id, new)


async def may_vote_privately(ctx: Context, poll: Poll) -> bool:
    """Whether the (consented) sender may vote in the private chat.

    For a poll meant for its groups' members, the bot must have seen them in one of those
    groups: joining it, or voting under one of its polls. For a poll for the followers of a
    topic or area, they must follow it now.
    """
    if poll.audience is PollAudience.EVERYONE:
        return True
    if poll.audience is PollAudience.FOLLOWERS:
        return await follows(ctx.uow, poll, ctx.member)
    if ctx.member is None:
        return False
    posted = set(await ctx.uow.polls.chat_ids(poll.id))
    return bool(posted & set(await ctx.uow.chats.member_chat_ids(ctx.member.id)))
