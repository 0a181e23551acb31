"""/chats: the groups the bot serves."""

from __future__ import annotations

from flows.context import Context
from flows.i18n import N_
from flows.router import Router
from storage.models import Role


def register(router: Router) -> None:
    """Register /chats."""

    @router.command("chats", N_("List the groups I serve"), min_role=Role.MODERATOR)
    async def chats(ctx: Context, args: str) -> None:
        active = await ctx.uow.chats.active()
        if not active:
            ctx.say(ctx.t("I am not in any community group yet. An organiser can add me to one."))
            return
        lines = [f"• {chat.title} ({chat.chat_id})" for chat in active]
        ctx.say(ctx.t("I serve these groups:") + "\n" + "\n".join(lines))
