"""Sending a poll being written privately, to a segment: everyone, or one topic's followers.

The segments are /announce's: everyone who started the bot, or the followers of one topic or
area, leaving out whoever used /stop or blocked the bot. Only organisers may send privately;
Telegram's own polls are posted in groups only, because their answers are matched to the copy
they were given in and a copy per person would be a `poll_posts` row per person.

Whom a poll is sent to is who votes in it: sending to everyone makes its audience everyone,
sending to a topic's followers makes it a poll for them (in its groups too), so every
recipient can vote from their copy and nobody else gains a way in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from admin.poll_draft import is_native
from flows.codec import PayloadError, payload
from flows.context import Context
from flows.effects import Button
from flows.i18n import N_
from flows.onboarding.keyboards import followable_name
from storage.models import Member, Poll, PollAudience, Role

SEGMENT = "pw.seg"  # the wizard's segment button: 0 for everyone, else a topic's or area's id
EVERYONE = 0

NOBODY = N_(
    "Nobody would receive it: there is nobody I may write to among those people yet. "
    "Please choose a group too, or other people."
)
ONLY_ORGANISERS = N_("Only organisers may send a poll privately.")
NATIVE_IN_GROUPS = N_(
    "Telegram's own polls are posted in groups only. To send this poll privately, go back "
    "and switch to buttons in the settings."
)


def may_send_privately(ctx: Context, data: dict[str, Any]) -> bool:
    """Whether the poll being written may be sent privately by the sender."""
    return ctx.has_role(Role.ORGANISER) and not is_native(data)


async def check_segment(ctx: Context, data: dict[str, Any], segment: int) -> None:
    """Refuse a segment that the sender may not use or that is not on offer.

    Raises:
        PayloadError: a forged or stale segment button.
    """
    if not may_send_privately(ctx, data):
        raise PayloadError("this poll may not be sent privately by this sender")
    if segment != EVERYONE:
        item = await ctx.uow.followables.get(segment)
        if item is None or item.archived:
            raise PayloadError("no such topic or area on offer")


async def recipients(ctx: Context, segment: int) -> Sequence[Member]:
    """The people a segment reaches now: consented, reachable, not stopped."""
    return await ctx.uow.members.audience(segment or None)


def with_segment(data: dict[str, Any], segment: int | None) -> dict[str, Any]:
    """The poll being written with its audience set by the segment it is sent to, if any."""
    if segment is None:
        return data
    if segment == EVERYONE:
        return {**data, "audience": PollAudience.EVERYONE.value, "followable": None}
    return {**data, "audience": PollAudience.FOLLOWERS.value, "followable": segment}


async def segment_name(ctx: Context, segment: int) -> str:
    """A segment's name in the sender's language."""
    if segment == EVERYONE:
        return ctx.t("everyone who started the bot")
    item = await ctx.uow.followables.get(segment)
    name = followable_name(item, ctx.t.language) if item is not None else "?"
    return ctx.t("the followers of {name}", name=name)


async def segment_rows(ctx: Context, data: dict[str, Any]) -> list[tuple[Button, ...]]:
    """One button per segment, the chosen one ticked, each with how many it reaches."""
    chosen = data.get("segment")
    rows: list[tuple[Button, ...]] = []
    segments = [EVERYONE, *(item.id for item in await ctx.uow.followables.listed())]
    for segment in segments:
        count = await ctx.uow.members.audience_size(segment or None)
        label = ctx.t(
            "🔒 Privately to {segment} ({count})",
            segment=await segment_name(ctx, segment),
            count=count,
        )
        rows.append(
            (Button(("✅ " if segment == chosen else "") + label, payload(SEGMENT, segment)),)
        )
    return rows


async def segment_note(ctx: Context, data: dict[str, Any]) -> str:
    """What sending privately means, and who votes with the choice made so far."""
    note = ctx.t(
        "Or send it privately, as a message from me: whoever gets it votes from their own "
        "copy. The people you send it to are the poll's voters."
    )
    segment = data.get("segment")
    if segment is None:
        return note
    if segment == EVERYONE:
        return note + "\n" + ctx.t("Who votes: {value}", value=ctx.t("everyone"))
    item = await ctx.uow.followables.get(segment)
    topic = followable_name(item, ctx.t.language) if item is not None else "?"
    return note + "\n" + ctx.t("Who votes: followers of {topic}", topic=topic)


async def sent_privately_note(ctx: Context, poll: Poll, segment: int, count: int) -> str:
    """The publishing confirmation's line about the private copies."""
    return ctx.t.plural(
        "Poll {id} is being sent privately to {segment}: {count} person. It goes out at "
        "Telegram's pace; people in quiet hours get it when those end.",
        "Poll {id} is being sent privately to {segment}: {count} people. It goes out at "
        "Telegram's pace; people in quiet hours get it when those end.",
        count,
        id=poll.id,
        segment=await segment_name(ctx, segment),
    )
