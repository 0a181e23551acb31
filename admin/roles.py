"""Roles: owners (from settings) appoint organisers; organisers appoint moderators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flows.context import ROLE_RANK, Context
from flows.effects import RefreshCommands
from flows.i18n import N_, translator
from flows.router import Router
from storage.models import Member, MemberStatus, Role
from storage.uow import UnitOfWork

ASSIGNABLE = {Role.RESIDENT, Role.MODERATOR, Role.ORGANISER}
ROLE_NAMES = {
    Role.RESIDENT: N_("resident"),
    Role.MODERATOR: N_("moderator"),
    Role.ORGANISER: N_("organiser"),
    Role.OWNER: N_("owner"),
}

YOU_ARE_NOW = N_("Your role in {community} is now: {role}. /help shows your commands.")


class RoleError(ValueError):
    """A role change that is not allowed or names nobody we know."""


@dataclass(frozen=True, slots=True)
class RoleChange:
    """The outcome of a role change."""

    member: Member
    previous: Role


async def set_role(
    uow: UnitOfWork, target: int | str, role: Role, actor: Member | None, at: datetime
) -> RoleChange:
    """Give a member a role and record it in the audit log.

    Args:
        uow: The open unit of work.
        target: The member's Telegram id, or their @username.
        role: The new role (owners come from settings and cannot be assigned).
        actor: Who does it (None: the command line, with full rights).
        at: When.

    Raises:
        RoleError: the role cannot be assigned or the person has not joined the bot.
    """
    if role not in ASSIGNABLE:
        raise RoleError("owners are set with OWNER_IDS, not assigned")
    if isinstance(target, int):
        member = await uow.members.get_by_telegram_id(target, for_update=True)
    else:
        member = await uow.members.get_by_username(target.removeprefix("@"))
    if member is None or member.status not in (MemberStatus.ACTIVE, MemberStatus.UNREACHABLE):
        raise RoleError("that person has not joined the bot (they need to press /start first)")
    previous = Role(member.role)
    member.role = role
    member.updated_at = at
    await uow.audit.record(
        actor.id if actor else None,
        "role.set",
        f"member:{member.id}",
        at,
        {"from": str(previous), "to": str(role)},
    )
    return RoleChange(member, previous)


def register(router: Router) -> None:
    """Register /role."""

    @router.command(
        "role",
        N_("Give someone a role: /role <id or @username> <organiser|moderator|resident>"),
        min_role=Role.ORGANISER,
    )
    async def role_command(ctx: Context, args: str) -> None:
        parts = args.split()
        role = _parse_role(parts[1]) if len(parts) == 2 else None
        if role is None:
            ctx.say(ctx.t("Usage: /role <id or @username> <organiser|moderator|resident>"))
            return
        # Organisers appoint moderators; only owners appoint (or demote) organisers.
        if ROLE_RANK[role] >= ROLE_RANK[ctx.role] and ctx.role is not Role.OWNER:
            ctx.say(ctx.t("Only an owner can make someone an organiser."))
            return
        target = int(parts[0]) if parts[0].lstrip("-").isdigit() else parts[0]
        try:
            existing = await _current_role(ctx, target)
            if existing is not None and ROLE_RANK[existing] >= ROLE_RANK[ctx.role]:
                ctx.say(ctx.t("Only an owner can change an organiser's role."))
                return
            change = await set_role(ctx.uow, target, role, ctx.member, ctx.now)
        except RoleError:
            ctx.say(ctx.t("I don't know that person yet: they need to press /start first."))
            return
        member = change.member
        assert member.telegram_id is not None
        role_name = ctx.t(ROLE_NAMES[role])
        ctx.say(
            ctx.t("{name}'s role is now: {role}.", name=member.first_name or "?", role=role_name)
        )
        theirs = translator(member.language or ctx.config.default_language)
        ctx.say(
            theirs(
                YOU_ARE_NOW,
                role=theirs(ROLE_NAMES[role]),
                community=ctx.config.community_name,
            ),
            chat_id=member.telegram_id,
        )
        ctx.effects.append(RefreshCommands(user_id=member.telegram_id))


def _parse_role(text: str) -> Role | None:
    try:
        role = Role(text.lower())
    except ValueError:
        return None
    return role if role in ASSIGNABLE else None


async def _current_role(ctx: Context, target: int | str) -> Role | None:
    if isinstance(target, int):
        if target in ctx.config.owner_ids:
            return Role.OWNER
        member = await ctx.uow.members.get_by_telegram_id(target)
    else:
        member = await ctx.uow.members.get_by_username(target.removeprefix("@"))
    return Role(member.role) if member is not None else None
