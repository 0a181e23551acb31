"""Groups and reachability: who joins or leaves which group, and who blocks the bot."""

from __future__ import annotations

from flows.context import Context
from flows.effects import LeaveChat
from flows.events import (
    BotAddedToChat,
    BotBlocked,
    BotRemovedFromChat,
    BotUnblocked,
    MemberJoined,
    MemberLeft,
)
from flows.i18n import translator
from flows.router import Router
from storage.models import MemberStatus, Role


def register(router: Router) -> None:
    """Register the handlers of group and reachability events."""

    @router.on(BotAddedToChat)
    async def added(ctx: Context) -> None:
        event = ctx.event
        if not event.chat.is_group:
            return
        if not ctx.has_role(Role.ORGANISER):
            ctx.say(
                ctx.t(
                    "Hello! Only {community}'s organisers can add me to a group, so I am "
                    "leaving. Please ask them to add me.",
                    community=ctx.config.community_name,
                )
            )
            ctx.effects.append(LeaveChat(chat_id=ctx.chat_id))
            return
        known = await ctx.uow.chats.get(ctx.chat_id)
        already_served = known is not None and known.active
        await ctx.uow.chats.register(
            ctx.chat_id,
            event.chat.title or "",
            str(event.chat.kind),
            ctx.member.id if ctx.member else None,
            ctx.now,
        )
        await ctx.uow.audit.record(
            ctx.member.id if ctx.member else None, "chat.register", f"chat:{ctx.chat_id}", ctx.now
        )
        if already_served:
            return  # greet once: promoted to admin, or re-added while still registered
        t = translator(ctx.config.default_language)  # a group reads the community's language
        ctx.say(
            t(
                "Hello, {title}! I am {community}'s consultation bot. Organisers will post polls "
                "and announcements here through me; I stay quiet otherwise. Surveys, questions "
                "and your own settings are in a private chat with me.",
                title=event.chat.title or "",
                community=ctx.config.community_name,
            ),
            ((ctx.link_button(t("Open the private chat")),),),
        )

    @router.on(BotRemovedFromChat)
    async def removed(ctx: Context) -> None:
        if await ctx.uow.chats.deactivate(ctx.chat_id, ctx.now):
            await ctx.uow.audit.record(
                ctx.member.id if ctx.member else None,
                "chat.removed",
                f"chat:{ctx.chat_id}",
                ctx.now,
            )

    @router.on(MemberJoined)
    async def joined(ctx: Context) -> None:
        event = ctx.event
        assert isinstance(event, MemberJoined)
        chat = await ctx.uow.chats.get(ctx.chat_id)
        member = await ctx.uow.members.get_by_telegram_id(event.member.user_id)
        # Only people who started the bot and consented are recorded; others stay unknown.
        if chat is not None and chat.active and member is not None and _consented(member.status):
            await ctx.uow.chats.add_member(ctx.chat_id, member.id, ctx.now)

    @router.on(MemberLeft)
    async def left(ctx: Context) -> None:
        event = ctx.event
        assert isinstance(event, MemberLeft)
        member = await ctx.uow.members.get_by_telegram_id(event.member.user_id)
        if member is not None:
            await ctx.uow.chats.remove_member(ctx.chat_id, member.id)

    @router.on(BotBlocked)
    async def blocked(ctx: Context) -> None:
        if ctx.member is not None and ctx.member.status is MemberStatus.ACTIVE:
            ctx.member.status = MemberStatus.UNREACHABLE
            ctx.member.updated_at = ctx.now

    @router.on(BotUnblocked)
    async def unblocked(ctx: Context) -> None:
        if ctx.member is not None and ctx.member.status is MemberStatus.UNREACHABLE:
            ctx.member.status = MemberStatus.ACTIVE
            ctx.member.updated_at = ctx.now


def _consented(status: MemberStatus) -> bool:
    return status in (MemberStatus.ACTIVE, MemberStatus.UNREACHABLE)
