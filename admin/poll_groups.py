"""Which community groups someone writing a poll may post it in."""

from __future__ import annotations

from collections.abc import Sequence

from flows.context import Context
from storage.models import CommunityChat, Role


async def postable_groups(ctx: Context) -> Sequence[CommunityChat]:
    """The groups the sender may post a poll in, by title.

    Organisers (and owners) may post in every group the bot serves. Anyone else, moderators
    included, only in the groups where an organiser lets residents post polls and where the bot
    has seen them (a join, a vote, a command typed there): a resident speaks in their own
    groups, never in a neighbourhood they are not part of.
    """
    if ctx.has_role(Role.ORGANISER):
        return await ctx.uow.chats.active()
    if not ctx.consented or ctx.member is None:
        return []
    return await ctx.uow.chats.resident_poll_chats(ctx.member.id)
