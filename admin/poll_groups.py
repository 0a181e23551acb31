"""Which community groups someone writing a poll may post it in."""

from __future__ import annotations

from collections.abc import Sequence

from flows.context import Context
from storage.models import CommunityChat


async def postable_groups(ctx: Context) -> Sequence[CommunityChat]:
    """The groups the sender may post a poll in, by title: every group the bot serves."""
    return await ctx.uow.chats.active()
