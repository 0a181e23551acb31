"""Community chats: the groups the bot serves, and who of our members is in them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChatMembership, CommunityChat
from storage.repositories.dialect import insert_for


class ChatRepository:
    """Reads and writes community chats and memberships."""

    def __init__(self, session: AsyncSession) -> None:
        """Bind to the unit of work's session."""
        self._session = session

    async def get(self, chat_id: int) -> CommunityChat | None:
        """Return the chat, active or not, or None if the bot never served it."""
        return await self._session.get(CommunityChat, chat_id)

    async def register(
        self, chat_id: int, title: str, kind: str, added_by: int | None, at: datetime
    ) -> CommunityChat:
        """Register a group (or re-activate one the bot had left)."""
        chat = await self._session.get(CommunityChat, chat_id)
        if chat is None:
            chat = CommunityChat(chat_id=chat_id, added_at=at)
            self._session.add(chat)
        chat.title = title
        chat.kind = kind
        chat.added_by = added_by
        chat.active = True
        chat.removed_at = None
        await self._session.flush()
        return chat

    async def deactivate(self, chat_id: int, at: datetime) -> bool:
        """Mark a chat as no longer served. Returns False if it was not registered."""
        chat = await self._session.get(CommunityChat, chat_id)
        if chat is None:
            return False
        chat.active = False
        chat.removed_at = at
        await self._session.execute(delete(ChatMembership).where(ChatMembership.chat_id == chat_id))
        await self._session.flush()
        return True

    async def active(self) -> Sequence[CommunityChat]:
        """Return the chats the bot serves now, by title."""
        statement = (
            select(CommunityChat)
            .where(CommunityChat.active.is_(True))
            .order_by(CommunityChat.title)
        )
        return (await self._session.execute(statement)).scalars().all()

    async def set_resident_polls(self, chat_id: int, allowed: bool) -> CommunityChat | None:
        """Let residents post polls in an active chat, or stop them; None if it is not served."""
        chat = await self._session.get(CommunityChat, chat_id)
        if chat is None or not chat.active:
            return None
        chat.resident_polls = allowed
        await self._session.flush()
        return chat

    async def resident_poll_chats(self, member_id: int) -> Sequence[CommunityChat]:
        """Return the served chats that take residents' polls and the member was seen in."""
        statement = (
            select(CommunityChat)
            .join(ChatMembership, ChatMembership.chat_id == CommunityChat.chat_id)
            .where(
                ChatMembership.member_id == member_id,
                CommunityChat.active.is_(True),
                CommunityChat.resident_polls.is_(True),
            )
            .order_by(CommunityChat.title)
        )
        return (await self._session.execute(statement)).scalars().all()

    async def add_member(self, chat_id: int, member_id: int, at: datetime) -> None:
        """Record that a member is in a chat (idempotent)."""
        await self._session.execute(
            insert_for(self._session, ChatMembership)
            .values(chat_id=chat_id, member_id=member_id, joined_at=at)
            .on_conflict_do_nothing()
        )

    async def remove_member(self, chat_id: int, member_id: int) -> None:
        """Forget that a member is in a chat."""
        await self._session.execute(
            delete(ChatMembership).where(
                ChatMembership.chat_id == chat_id, ChatMembership.member_id == member_id
            )
        )

    async def member_chat_ids(self, member_id: int) -> Sequence[int]:
        """Return the ids of the community chats a member was seen in."""
        statement = select(ChatMembership.chat_id).where(ChatMembership.member_id == member_id)
        return (await self._session.execute(statement)).scalars().all()
