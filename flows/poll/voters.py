"""Who votes: the voter key and member behind a press, and whether they may vote."""

from __future__ import annotations

from dataclasses import dataclass

from flows.context import Context
from flows.poll.facts import voter_key
from storage.models import Member, MemberStatus, Poll, PollAudience


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
        member = await ctx.uow.members.add(
            Member(
                telegram_id=sender.user_id,
                telegram_language=(sender.language_code or "")[:16] or None,
                language=ctx.language_for(None),
                status=MemberStatus.ONBOARDING,
                created_at=ctx.now,
                updated_at=ctx.now,
            )
        )
        ctx.member = member
    key = voter_key(poll, member.id, sender.user_id, ctx.config.pseudonym_key)
    return Voter(key, member.id, new)


async def may_vote_privately(ctx: Context, poll: Poll) -> bool:
    """Whether the (consented) sender may vote in the private chat.

    For a poll meant for its groups' members, the bot must have seen them in one of those
    groups: joining it, or voting under one of its polls.
    """
    if poll.audience is PollAudience.EVERYONE:
        return True
    if ctx.member is None:
        return False
    posted = set(await ctx.uow.polls.chat_ids(poll.id))
    return bool(posted & set(await ctx.uow.chats.member_chat_ids(ctx.member.id)))
