"""/announce: an organiser writes a message, picks who gets it, previews it, and sends it.

It goes out through the outbox at Telegram's pace, once per person, held back during quiet
hours; people who used /stop or blocked the bot are left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from flows.codec import Payload, PayloadError, payload
from flows.context import Context
from flows.effects import Broadcast, Button
from flows.i18n import N_, translator
from flows.onboarding.keyboards import followable_name
from flows.router import NOT_ALLOWED, Router
from storage.models import Member, Role

FLOW = "announce"
MAX_TEXT = 3800  # leaves room for the heading within Telegram's 4,096 characters
HEADING = N_("📣 Announcement from {community}")


def register(router: Router) -> None:
    """Register /announce, its conversation and its buttons."""

    @router.command("announce", N_("Send an announcement to members"), min_role=Role.ORGANISER)
    async def announce(ctx: Context, args: str) -> None:
        await ctx.set_state(FLOW, "text")
        ctx.say(
            ctx.t(
                "Send me the announcement as one message (up to {limit} characters). "
                "/cancel stops.",
                limit=MAX_TEXT,
            )
        )

    @router.conversation(FLOW)
    async def announcement_text(ctx: Context, text: str) -> None:
        if not ctx.has_role(Role.ORGANISER):  # demoted while writing
            await ctx.clear_state()
            ctx.say(ctx.t(NOT_ALLOWED))
            return
        if ctx.state is None or ctx.state.step != "text":
            ctx.say(ctx.t("Please use the buttons above, or /cancel."))
            return
        text = text.strip()
        if len(text) > MAX_TEXT:
            ctx.say(
                ctx.t(
                    "That is {length} characters; the limit is {limit}. Please shorten it.",
                    length=len(text),
                    limit=MAX_TEXT,
                )
            )
            return
        await ctx.set_state(FLOW, "audience", {"text": text})
        rows = [(Button(await _label(ctx, None), payload("ann.to", 0)),)]
        for item in await ctx.uow.followables.listed():
            rows.append((Button(await _label(ctx, item.id), payload("ann.to", item.id)),))
        rows.append((Button(ctx.t("Cancel"), payload("ann.cancel")),))
        ctx.say(ctx.t("Who should get it?"), tuple(rows))

    @router.button("ann.to", min_role=Role.ORGANISER)
    async def choose_audience(ctx: Context, value: Payload) -> None:
        followable_id = value.int_arg(0) or None
        text = _draft(ctx)
        if followable_id is not None and await ctx.uow.followables.get(followable_id) is None:
            raise PayloadError("no such topic")
        people = await ctx.uow.members.audience(followable_id)
        await ctx.set_state(FLOW, "confirm", {"text": text, "to": followable_id or 0})
        preview = _heading(ctx.t.language, ctx.config.community_name) + "\n\n" + text
        ctx.show(
            ctx.t("Preview:")
            + "\n\n"
            + preview
            + "\n\n"
            + ctx.t("Send this to {count} people?", count=len(people)),
            (
                (Button(ctx.t("Send"), payload("ann.send")),),
                (Button(ctx.t("Cancel"), payload("ann.cancel")),),
            ),
        )

    @router.button("ann.send", min_role=Role.ORGANISER)
    async def send(ctx: Context, value: Payload) -> None:
        text = _draft(ctx, step="confirm")
        assert ctx.state is not None and ctx.member is not None
        followable_id = int(ctx.state.data.get("to") or 0) or None
        people = await ctx.uow.members.audience(followable_id)
        batch = f"announce:{ctx.member.id}:{ctx.event.update_id}"
        for language, members in _by_language(people, ctx.config.default_language).items():
            ctx.effects.append(
                Broadcast(
                    batch=batch,
                    recipients=tuple((m.telegram_id, m.id) for m in members if m.telegram_id),
                    text=_heading(language, ctx.config.community_name) + "\n\n" + text,
                )
            )
        await ctx.uow.audit.record(
            ctx.member.id, "announce.send", batch, ctx.now, {"recipients": len(people)}
        )
        await ctx.clear_state()
        ctx.show(
            ctx.t(
                "Queued for {count} people. It goes out at Telegram's pace; people in quiet "
                "hours get it when those end.",
                count=len(people),
            )
        )

    @router.button("ann.cancel", min_role=Role.ORGANISER)
    async def cancel(ctx: Context, value: Payload) -> None:
        if ctx.state is not None and ctx.state.flow == FLOW:
            await ctx.clear_state()
        ctx.show(ctx.t("Cancelled: nothing was sent."))


def _draft(ctx: Context, step: str = "audience") -> str:
    """The announcement being prepared; a button from another or an old draft is refused."""
    state = ctx.state
    if state is None or state.flow != FLOW or state.step != step:
        raise PayloadError("no announcement at this step")
    return str(state.data["text"])


async def _label(ctx: Context, followable_id: int | None) -> str:
    count = await ctx.uow.members.audience_size(followable_id)
    if followable_id is None:
        return ctx.t("Everyone ({count})", count=count)
    item = await ctx.uow.followables.get(followable_id)
    assert item is not None
    name = followable_name(item, ctx.t.language)
    return ctx.t("Followers of {name} ({count})", name=name, count=count)


def _heading(language: str, community: str) -> str:
    return translator(language)(HEADING, community=community)


def _by_language(people: Sequence[Member], default: str) -> dict[str, list[Member]]:
    groups: dict[str, list[Member]] = defaultdict(list)
    for member in people:
        groups[member.language or default].append(member)
    return groups
