"""Who may write a poll: organisers always, residents where an organiser lets them.

A resident (or moderator) may write a poll when at least one group they were seen in takes
residents' polls (`/chats`, `admin/chats.py`), and while they have fewer than
`MAX_OPEN_POLLS` open polls: a few neighbours with many questions should not bury a group's
chat in polls. Their polls are voted by the members of the groups they are posted in; sending
privately and choosing other voters are for organisers. `admin/poll_groups.py` says which
groups; this module says whether at all, and answers `/newpoll` typed in a group.
"""

from __future__ import annotations

import hmac

from admin.poll_groups import postable_groups
from flows.context import Context
from flows.i18n import N_
from flows.poll.facts import pseudonym
from storage.models import Role

MAX_OPEN_POLLS = 3
LINK = "newpoll"  # /start newpoll, or /start newpoll-<chat id>_<signature>
_SIGNATURE = 16  # hex digits: enough that a link cannot be guessed, short enough for /start
NO_GROUP = N_(
    "Residents can post polls only in groups where an organiser has allowed it, and I "
    "have not seen you in such a group. If you are in one, type /newpoll there and I'll "
    "bring you back here."
)
NOT_HERE = N_("Organisers have not enabled polls by residents in this group.")


async def refusal(ctx: Context) -> str | None:
    """Why the sender may not write a poll now (translated), or None if they may."""
    if ctx.has_role(Role.ORGANISER):
        return None
    if not await postable_groups(ctx):
        return ctx.t(NO_GROUP)
    count = await open_polls(ctx)
    if count >= MAX_OPEN_POLLS:
        return ctx.t.plural(
            "You have {count} open poll, as many as a resident may have at once. Close it "
            "in /polls first, then write a new one.",
            "You have {count} open polls, as many as a resident may have at once. Close one "
            "in /polls first, then write a new one.",
            count,
        )
    return None


async def open_polls(ctx: Context) -> int:
    """How many of the sender's own polls are open now."""
    if ctx.member is None:
        return 0
    return await ctx.uow.polls.open_count(ctx.member.id, ctx.now)


async def answer_in_group(ctx: Context) -> None:
    """Answer `/newpoll` typed in a group: a link to write it privately, or why not.

    A command typed in a group proves the sender is in it, so a consented member is recorded
    as in the group here. Someone who has not started the bot gets a link signed for them and
    this group, which records the same once they have.
    """
    chat = await ctx.uow.chats.get(ctx.chat_id)
    sender = ctx.event.sender
    if chat is None or not chat.active or sender is None:
        return  # not a group the bot serves: it stays quiet
    if not ctx.has_role(Role.ORGANISER) and not chat.resident_polls:
        ctx.say(ctx.t(NOT_HERE))
        return
    if ctx.consented and ctx.member is not None:
        await ctx.uow.chats.add_member(chat.chat_id, ctx.member.id, ctx.now)
        start = LINK
    else:
        start = f"{LINK}-{chat.chat_id}_{_signature(ctx, chat.chat_id, sender.user_id)}"
    ctx.say(
        ctx.t("{name}, let's write your poll in a private chat.", name=sender.first_name),
        ((ctx.link_button(ctx.t("Write a poll"), start),),),
    )


async def remember_group(ctx: Context, argument: str) -> None:
    """Record the group a signed `/start newpoll-…` link names, if it is the sender's own.

    A link without a valid signature for this sender (shared, forged, edited) is ignored:
    the wizard then says plainly whether any group lets them post.
    """
    chat_text, _, signature = argument.rpartition("_")
    sender = ctx.event.sender
    if sender is None or ctx.member is None or not ctx.consented:
        return
    if not chat_text.removeprefix("-").isdigit() or len(chat_text) > 20:
        return
    chat_id = int(chat_text)
    if not hmac.compare_digest(signature, _signature(ctx, chat_id, sender.user_id)):
        return
    chat = await ctx.uow.chats.get(chat_id)
    if chat is not None and chat.active:
        await ctx.uow.chats.add_member(chat_id, ctx.member.id, ctx.now)


def _signature(ctx: Context, chat_id: int, user_id: int) -> str:
    """A keyed hash binding a link to one person and one group."""
    return pseudonym(ctx.config.pseudonym_key, f"{LINK}:{chat_id}:{user_id}")[2:][:_SIGNATURE]
