"""Who may manage a poll: its creator or an organiser, checked on every press."""

from __future__ import annotations

from flows.codec import Payload, PayloadError
from flows.context import Context
from flows.i18n import N_
from storage.models import Poll, Role

NOT_YOURS = N_("Sorry, this is only for organisers and the poll's creator.")


def may_manage(ctx: Context, poll: Poll) -> bool:
    """Whether the sender may close, change or read the results of `poll`."""
    if ctx.has_role(Role.ORGANISER):
        return True
    return ctx.member is not None and poll.creator_id == ctx.member.id


async def managed_poll(ctx: Context, value: Payload, *, locked: bool = False) -> Poll | None:
    """The poll a management press names, or None after telling someone who may not manage it.

    Raises:
        PayloadError: there is no such poll (a forged or stale button), or the press came
            from a group, where results and management must never show.
    """
    if not ctx.event.chat.is_private:
        raise PayloadError("management buttons are for the private chat, never a group")
    poll_id = value.int_arg(0)
    poll = await (ctx.uow.polls.get_locked(poll_id) if locked else ctx.uow.polls.get(poll_id))
    if poll is None:
        raise PayloadError("no such poll")
    if not may_manage(ctx, poll):
        ctx.toast(ctx.t(NOT_YOURS), alert=True)
        return None
    return poll
