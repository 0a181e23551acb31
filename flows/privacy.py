"""Personal data: what `/mydata` exports and what `/forget` erases.

Each capability that stores personal data registers a section here (its export and its erase),
so that both commands always cover everything the bot keeps.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.models import Member
from storage.uow import UnitOfWork

Exporter = Callable[[UnitOfWork, Member], Awaitable[Any]]
Eraser = Callable[[UnitOfWork, Member, datetime], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Section:
    """One part of a person's data: how to export it and how to erase it."""

    name: str
    export: Exporter
    erase: Eraser | None = None


_sections: dict[str, Section] = {}


def register_section(section: Section) -> None:
    """Add a section (a capability's personal data) to /mydata and /forget."""
    _sections[section.name] = section


async def export_member(uow: UnitOfWork, member: Member) -> dict[str, Any]:
    """Return everything stored about `member`, section by section."""
    return {name: await section.export(uow, member) for name, section in _sections.items()}


async def erase_member(uow: UnitOfWork, member: Member, at: datetime) -> None:
    """Erase everything personal about `member`; the bare row stays for anonymous totals."""
    for section in _sections.values():
        if section.erase is not None:
            await section.erase(uow, member, at)
    await uow.states.clear(member.id)
    await uow.members.erase(member, at)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def _profile(uow: UnitOfWork, member: Member) -> dict[str, Any]:
    return {
        "telegram_id": member.telegram_id,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "username": member.username,
        "language": member.language,
        "telegram_language": member.telegram_language,
        "status": str(member.status),
        "role": str(member.role),
        "consent_at": _iso(member.consent_at),
        "broadcasts_stopped_at": _iso(member.broadcasts_stopped_at),
        "first_seen_at": _iso(member.created_at),
    }


async def _follows(uow: UnitOfWork, member: Member) -> list[dict[str, Any]]:
    followed = await uow.followables.followed_by(member.id)
    return [
        {"kind": str(item.kind), "slug": item.slug, "names": item.names}
        for item in await uow.followables.listed(include_archived=True)
        if item.id in followed
    ]


async def _groups(uow: UnitOfWork, member: Member) -> list[dict[str, Any]]:
    chats = []
    for chat_id in await uow.chats.member_chat_ids(member.id):
        chat = await uow.chats.get(chat_id)
        if chat is not None:
            chats.append({"chat_id": chat.chat_id, "title": chat.title})
    return chats


async def _conversation(uow: UnitOfWork, member: Member) -> dict[str, Any] | None:
    state = await uow.states.get(member.id)
    if state is None:
        return None
    return {"flow": state.flow, "step": state.step, "data": state.data}


async def _admin_actions(uow: UnitOfWork, member: Member) -> list[dict[str, Any]]:
    return [
        {"action": entry.action, "target": entry.target, "at": _iso(entry.at)}
        for entry in await uow.audit.by_actor(member.id)
    ]


async def _queued_messages(uow: UnitOfWork, member: Member) -> int:
    return sum((await uow.outbox.pending_for(member.id)).values())


async def _forget_queued_messages(uow: UnitOfWork, member: Member, at: datetime) -> None:
    await uow.outbox.forget_member(member.id)


register_section(Section("profile", _profile))
register_section(Section("follows", _follows))
register_section(Section("groups", _groups))
register_section(Section("conversation", _conversation))
register_section(Section("admin_actions", _admin_actions))
register_section(Section("queued_messages", _queued_messages, _forget_queued_messages))
