"""/chats: the groups the bot serves, and where organisers let residents post polls."""

from __future__ import annotations

from collections.abc import Sequence

from flows.codec import Payload, PayloadError, payload
from flows.context import Context
from flows.effects import Button, Keyboard
from flows.i18n import N_
from flows.router import Router
from storage.models import CommunityChat, Role

TOGGLE = "ch.rp"  # ch.rp:<chat id>: switch residents' polls in that group
_TITLE = 40  # characters of a group's title on its button: a phone shows about that many


def register(router: Router) -> None:
    """Register /chats and its residents' polls switch."""

    @router.command("chats", N_("List the groups I serve"), min_role=Role.MODERATOR)
    async def chats(ctx: Context, args: str) -> None:
        active = await ctx.uow.chats.active()
        if not active:
            ctx.say(ctx.t("I am not in any community group yet. An organiser can add me to one."))
            return
        ctx.say(_listing(ctx, active), _switches(ctx, active))

    @router.button(TOGGLE, min_role=Role.ORGANISER)
    async def switch(ctx: Context, value: Payload) -> None:
        if not ctx.event.chat.is_private:
            raise PayloadError("group settings are changed in the private chat")
        chat = await ctx.uow.chats.get(value.int_arg(0))
        if chat is None or not chat.active:
            raise PayloadError("not a group the bot serves")
        allowed = not chat.resident_polls
        await ctx.uow.chats.set_resident_polls(chat.chat_id, allowed)
        await ctx.uow.audit.record(
            ctx.member.id if ctx.member else None,
            "chat.resident_polls",
            f"chat:{chat.chat_id}",
            ctx.now,
            {"on": allowed},
        )
        ctx.toast(
            ctx.t("Residents of {title} can now post polls there with /newpoll.", title=chat.title)
            if allowed
            else ctx.t(
                "Residents can no longer post new polls in {title}. Their open polls stay open.",
                title=chat.title,
            ),
            alert=True,
        )
        active = await ctx.uow.chats.active()
        ctx.show(_listing(ctx, active), _switches(ctx, active))


def _listing(ctx: Context, active: Sequence[CommunityChat]) -> str:
    """The groups, one a line, marking those where residents may post polls."""
    lines = [
        f"• {chat.title} ({chat.chat_id})"
        + (" — " + ctx.t("residents may post polls") if chat.resident_polls else "")
        for chat in active
    ]
    text = ctx.t("I serve these groups:") + "\n" + "\n".join(lines)
    if ctx.has_role(Role.ORGANISER):
        text += "\n\n" + ctx.t(
            "The buttons let residents post polls in a group, or stop them. Residents "
            "write them with /newpoll, for the groups they are in."
        )
    return text


def _switches(ctx: Context, active: Sequence[CommunityChat]) -> Keyboard:
    """One switch a group, for organisers; moderators see the list only."""
    if not ctx.has_role(Role.ORGANISER):
        return ()
    on, off = ctx.t("on"), ctx.t("off")
    return tuple(
        (
            Button(
                ctx.t(
                    "{title}: residents' polls {value}",
                    title=_short(chat.title),
                    value=on if chat.resident_polls else off,
                ),
                payload(TOGGLE, chat.chat_id),
            ),
        )
        for chat in active
    )


def _short(title: str) -> str:
    return title if len(title) <= _TITLE else title[: _TITLE - 1] + "…"
