"""Polls for the followers of a topic or area: who they are, and what a refused voter is told.

A poll's audience is the members of its groups, everyone, or the followers of one topic or
area (`Poll.followable_id`), like a survey's. Following is looked up on every tap and every
step of a private ballot, so someone who stops following cannot vote from then on (a ballot
already cast stays: it was cast while they followed). Only people who started the bot follow
anything, so a poll for followers is voted by them alone.
"""

from __future__ import annotations

from flows.context import Context
from flows.i18n import N_
from flows.onboarding.keyboards import followable_name
from storage.models import Member, MemberStatus, Poll, PollAudience
from storage.uow import UnitOfWork

FOR_GROUPS = N_("This poll is for members of the groups it was posted in.")
FOR_FOLLOWERS = N_(
    "This poll is for the followers of {topic}. If that is you, follow it with /topics in "
    "our private chat, then vote again."
)
FOR_FOLLOWERS_ARCHIVED = N_("This poll is for the followers of a topic that no longer exists.")


async def follows(uow: UnitOfWork, poll: Poll, member: Member | None) -> bool:
    """Whether `member` (consented) follows the topic or area of a poll for followers."""
    if member is None or member.status is not MemberStatus.ACTIVE or poll.followable_id is None:
        return False
    return poll.followable_id in await uow.followables.followed_by(member.id)


async def topic_of(uow: UnitOfWork, poll: Poll, language: str) -> str | None:
    """The name of a poll's topic or area in `language`, or None (not for followers, gone)."""
    if poll.audience is not PollAudience.FOLLOWERS or poll.followable_id is None:
        return None
    item = await uow.followables.get(poll.followable_id)
    return followable_name(item, language) if item is not None else None


async def refusal(ctx: Context, poll: Poll) -> str:
    """What someone who may not vote in the poll is told, in their language."""
    if poll.audience is not PollAudience.FOLLOWERS:
        return ctx.t(FOR_GROUPS)
    topic = await topic_of(ctx.uow, poll, ctx.language_for(ctx.member))
    if topic is None:
        return ctx.t(FOR_FOLLOWERS_ARCHIVED)
    return ctx.t(FOR_FOLLOWERS, topic=topic)
