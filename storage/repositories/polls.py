"""Polls and their copies posted in groups."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChatMembership, OutboxMessage, OutboxStatus, Poll, PollPost
from storage.repositories.dialect import insert_for

# Ids come from button payloads, which can be forged; PostgreSQL refuses a number beyond its
# INTEGER range with an error, where "no such poll" is the right answer.
MAX_ID = 2**31 - 1


def post_batch(poll_id: int) -> str:
    """The outbox batch a poll's group messages are sent in (one row per group)."""
    return f"poll:{poll_id}"


class PollRepository:
    """Reads and writes polls and their posts."""

    def __init__(self, session: AsyncSession) -> None:
        """Bind to the unit of work's session."""
        self._session = session
        # A batch of votes in one transaction mostly names one poll: read it, and the groups it
        # is posted in, once. (The session's identity map holds objects only weakly.)
        self._read: dict[int, Poll] = {}
        self._chats: dict[int, Sequence[int]] = {}

    async def add(self, poll: Poll) -> Poll:
        """Add a new poll and give it an id."""
        self._session.add(poll)
        await self._session.flush()
        return poll

    async def get(self, poll_id: int) -> Poll | None:
        """Return the poll with this id, or None (also for an id no poll can have)."""
        if not 0 < poll_id <= MAX_ID:
            return None
        poll = self._read.get(poll_id)
        if poll is None:
            poll = await self._session.get(Poll, poll_id)
            if poll is not None:
                self._read[poll_id] = poll
        return poll

    async def get_locked(self, poll_id: int) -> Poll | None:
        """Return the poll re-read with its row locked until the transaction ends.

        For decisions on its status (closing, switching anonymity on): two instances deciding
        at once queue up on PostgreSQL and the second sees what the first did.
        """
        if not 0 < poll_id <= MAX_ID:
            return None
        poll = await self._session.get(Poll, poll_id, with_for_update=True, populate_existing=True)
        if poll is not None:
            self._read[poll_id] = poll
        return poll

    async def listed(self, *, creator_id: int | None = None, limit: int = 20) -> Sequence[Poll]:
        """Return the newest polls, all of them or only those `creator_id` created."""
        statement = select(Poll).order_by(Poll.id.desc()).limit(limit)
        if creator_id is not None:
            statement = statement.where(Poll.creator_id == creator_id)
        return (await self._session.execute(statement)).scalars().all()

    async def add_posts(self, poll_id: int, chat_ids: Collection[int], at: datetime) -> None:
        """Record that the poll is posted in these groups (idempotent per group)."""
        self._chats.pop(poll_id, None)
        for chat_id in chat_ids:
            await self._session.execute(
                insert_for(self._session, PollPost)
                .values(poll_id=poll_id, chat_id=chat_id, posted_at=at)
                .on_conflict_do_nothing(index_elements=["poll_id", "chat_id"])
            )

    async def posts(self, poll_id: int) -> Sequence[PollPost]:
        """Return the poll's copies, each with its message id once the outbox has sent it."""
        statement = select(PollPost).where(PollPost.poll_id == poll_id).order_by(PollPost.id)
        posts = (await self._session.execute(statement)).scalars().all()
        missing = [post for post in posts if post.message_id is None]
        if missing:
            sent = select(OutboxMessage.chat_id, OutboxMessage.message_id).where(
                OutboxMessage.batch == post_batch(poll_id),
                OutboxMessage.status == OutboxStatus.SENT,
                OutboxMessage.message_id.is_not(None),
            )
            message_ids = dict((await self._session.execute(sent)).all())
            for post in missing:
                post.message_id = message_ids.get(post.chat_id)
        return posts

    async def chat_ids(self, poll_id: int) -> Sequence[int]:
        """Return the ids of the groups the poll is posted in."""
        if poll_id not in self._chats:
            statement = select(PollPost.chat_id).where(PollPost.poll_id == poll_id)
            self._chats[poll_id] = (await self._session.execute(statement)).scalars().all()
        return self._chats[poll_id]

    async def eligible_count(self, poll_id: int) -> int:
        """Return how many members the bot knows in the groups the poll is posted in.

        These are the people who started the bot and were seen in one of the groups: the bot
        cannot know more without asking Telegram, so turnout is measured against them.
        """
        statement = select(func.count(func.distinct(ChatMembership.member_id))).where(
            ChatMembership.chat_id.in_(select(PollPost.chat_id).where(PollPost.poll_id == poll_id))
        )
        return int((await self._session.execute(statement)).scalar_one())
