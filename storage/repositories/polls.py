"""Polls and their copies posted in groups."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    ChatMembership,
    Follow,
    Member,
    MemberStatus,
    OutboxMessage,
    OutboxStatus,
    Poll,
    PollAudience,
    PollPost,
    PollStatus,
)
from storage.repositories.dialect import can_exist, insert_for


def post_batch(poll_id: int) -> str:
    """The outbox batch a poll's group messages are sent in (one row per group)."""
    return f"poll:{poll_id}"


def private_batch(poll_id: int) -> str:
    """The outbox batch a poll's private copies are sent in (one row per person)."""
    return f"poll:{poll_id}:dm"


def private_end_batch(poll_id: int) -> str:
    """The outbox batch that edits each sent private copy to the final result on closing."""
    return f"poll:{poll_id}:dm:end"


@dataclass(frozen=True, slots=True)
class PrivateCopy:
    """A private copy of a poll that has gone out: whose chat, which message, what language."""

    chat_id: int
    member_id: int | None
    message_id: int
    language: str | None


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
        if not can_exist(poll_id):
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
        if not can_exist(poll_id):
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

    async def open_count(self, creator_id: int, now: datetime) -> int:
        """Return how many of `creator_id`'s polls take votes at `now` (see `facts.is_open`)."""
        statement = select(func.count(Poll.id)).where(
            Poll.creator_id == creator_id,
            Poll.status == PollStatus.OPEN,
            or_(Poll.closes_at.is_(None), Poll.closes_at > now),
        )
        return int((await self._session.execute(statement)).scalar_one())

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
            sent = select(
                OutboxMessage.chat_id, OutboxMessage.message_id, OutboxMessage.payload
            ).where(
                OutboxMessage.batch == post_batch(poll_id),
                OutboxMessage.status == OutboxStatus.SENT,
                OutboxMessage.message_id.is_not(None),
            )
            rows = {
                chat_id: (message_id, payload)
                for chat_id, message_id, payload in (await self._session.execute(sent)).all()
            }
            for post in missing:
                message_id, payload = rows.get(post.chat_id, (None, {}))
                post.message_id = message_id
                # A native poll's answers name only Telegram's poll id, kept as its receipt.
                receipt = payload.get("receipt") or {}
                post.native_poll_id = receipt.get("poll_id", post.native_poll_id)
        return posts

    async def native_post(self, native_poll_id: str) -> PollPost | None:
        """Return the copy Telegram knows as `native_poll_id`, or None.

        A copy sent moments ago may have its id only in the outbox yet: when none matches, the
        open native polls' unrecorded copies are looked up there, then the copies once more.
        """
        statement = select(PollPost).where(PollPost.native_poll_id == native_poll_id)
        post = (await self._session.execute(statement)).scalar_one_or_none()
        if post is not None:
            return post
        unrecorded = (
            select(PollPost.poll_id)
            .join(Poll, Poll.id == PollPost.poll_id)
            .where(
                Poll.native.is_not(None),
                Poll.status == PollStatus.OPEN,
                PollPost.message_id.is_(None),
            )
            .distinct()
        )
        for poll_id in (await self._session.execute(unrecorded)).scalars().all():
            for copy in await self.posts(poll_id):
                if copy.native_poll_id == native_poll_id:
                    return copy
        # Another transaction (an answer to the same copy) may have recorded the id between
        # the two lookups above: on PostgreSQL each statement sees the latest commit.
        return (await self._session.execute(statement)).scalar_one_or_none()

    async def chat_ids(self, poll_id: int) -> Sequence[int]:
        """Return the ids of the groups the poll is posted in."""
        if poll_id not in self._chats:
            statement = select(PollPost.chat_id).where(PollPost.poll_id == poll_id)
            self._chats[poll_id] = (await self._session.execute(statement)).scalars().all()
        return self._chats[poll_id]

    async def eligible_count(self, poll_id: int) -> int:
        """Return how many members the poll is meant for, to measure turnout against.

        For a poll for followers: the (consented) followers of its topic or area. Otherwise
        the members the bot knows in the groups the poll is posted in, with everyone it was
        sent to privately.

        Group members are the people who started the bot and were seen in one of the groups:
        the bot cannot know more without asking Telegram.
        """
        poll = await self.get(poll_id)
        if poll is not None and poll.audience is PollAudience.FOLLOWERS:
            # A poll for followers is meant for them, wherever they are.
            followers = (
                select(func.count())
                .select_from(Follow)
                .join(Member, Member.id == Follow.member_id)
                .where(
                    Follow.followable_id == poll.followable_id,
                    Member.status == MemberStatus.ACTIVE,
                )
            )
            return int((await self._session.execute(followers)).scalar_one())
        # The members seen in its groups, and the people it was sent to privately (a segment).
        in_groups = select(ChatMembership.member_id.label("member_id")).where(
            ChatMembership.chat_id.in_(select(PollPost.chat_id).where(PollPost.poll_id == poll_id))
        )
        sent_to = select(OutboxMessage.member_id.label("member_id")).where(
            OutboxMessage.batch == private_batch(poll_id), OutboxMessage.member_id.is_not(None)
        )
        people = union(in_groups, sent_to).subquery()
        statement = select(func.count()).select_from(people)
        return int((await self._session.execute(statement)).scalar_one())

    async def group_messages(self, poll_id: int) -> Sequence[tuple[int, int, datetime | None]]:
        """Return (chat id, message id, sent at) of each message the poll has in its groups.

        Its copies and the outcome posted on closing, as the outbox recorded them when sent.
        """
        statement = select(
            OutboxMessage.chat_id, OutboxMessage.message_id, OutboxMessage.sent_at
        ).where(
            OutboxMessage.batch.in_((post_batch(poll_id), f"{post_batch(poll_id)}:end")),
            OutboxMessage.status == OutboxStatus.SENT,
            OutboxMessage.message_id.is_not(None),
        )
        rows = (await self._session.execute(statement)).all()
        return [(chat_id, message_id, at) for chat_id, message_id, at in rows if message_id]

    async def delete(self, poll_id: int) -> None:
        """Delete the poll; its copies, ballots and suggestions go with it (ON DELETE CASCADE).

        Its private copies' outbox rows go too: an unsent copy is not sent, a kept button no
        longer votes, and SQLite may give the next poll this id, whose copies must not be
        skipped as if sent already.
        """
        await self._session.execute(delete(Poll).where(Poll.id == poll_id))
        await self._session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.batch.in_((private_batch(poll_id), private_end_batch(poll_id)))
            )
        )
        self._read.pop(poll_id, None)
        self._chats.pop(poll_id, None)

    async def reachable_in_groups(self, poll_id: int) -> Sequence[tuple[Member, int]]:
        """Return the members the bot may write to who were seen in the poll's groups.

        Consented and reachable (active), with a Telegram id, not stopped (/stop); each with
        a group of the poll they are in, once per group, in the order the copies were posted.
        """
        statement = (
            select(Member, PollPost.chat_id)
            .join(ChatMembership, ChatMembership.member_id == Member.id)
            .join(PollPost, PollPost.chat_id == ChatMembership.chat_id)
            .where(
                PollPost.poll_id == poll_id,
                Member.status == MemberStatus.ACTIVE,
                Member.telegram_id.is_not(None),
                Member.broadcasts_stopped_at.is_(None),
            )
            .order_by(Member.id, PollPost.id)
        )
        return [(member, chat_id) for member, chat_id in (await self._session.execute(statement))]

    async def private_copy_sent(self, poll_id: int, chat_id: int) -> bool:
        """Whether a private copy of the poll went (or is going) out to this private chat.

        A row being sent counts: the person may tap before its outcome is recorded.
        """
        statement = select(OutboxMessage.id).where(
            OutboxMessage.batch == private_batch(poll_id),
            OutboxMessage.chat_id == chat_id,
            OutboxMessage.status.in_((OutboxStatus.SENT, OutboxStatus.SENDING)),
        )
        return (await self._session.execute(statement)).first() is not None

    async def private_copies(self, poll_id: int) -> Sequence[PrivateCopy]:
        """Return the private copies the outbox has sent, with their readers' languages."""
        statement = (
            select(
                OutboxMessage.chat_id,
                OutboxMessage.member_id,
                OutboxMessage.message_id,
                Member.language,
            )
            .outerjoin(Member, Member.id == OutboxMessage.member_id)
            .where(
                OutboxMessage.batch == private_batch(poll_id),
                OutboxMessage.status == OutboxStatus.SENT,
                OutboxMessage.message_id.is_not(None),
            )
            .order_by(OutboxMessage.id)
        )
        rows = (await self._session.execute(statement)).all()
        return [
            PrivateCopy(chat, member, message, language)
            for chat, member, message, language in rows
            if message is not None
        ]

    async def private_copy_count(self, poll_id: int) -> int:
        """Return how many people the poll is sent (or being sent) to privately."""
        statement = select(func.count()).where(OutboxMessage.batch == private_batch(poll_id))
        return int((await self._session.execute(statement)).scalar_one())

    async def private_copies_sending(self, poll_id: int) -> bool:
        """Whether some private copy is being sent right now (claimed, outcome not recorded)."""
        statement = select(OutboxMessage.id).where(
            OutboxMessage.batch == private_batch(poll_id),
            OutboxMessage.status == OutboxStatus.SENDING,
        )
        return (await self._session.execute(statement)).first() is not None

    async def withdraw_private_copies(self, poll_id: int) -> int:
        """Delete the private copies still waiting in the outbox (a closed poll is not sent).

        Only rows no sender has claimed: on PostgreSQL a row claimed meanwhile is re-checked
        and kept, so a copy is either withdrawn or sent, never both.

        Returns:
            How many copies were withdrawn.
        """
        result = await self._session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.batch == private_batch(poll_id),
                OutboxMessage.status == OutboxStatus.PENDING,
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def private_recipients(self, poll_id: int) -> Sequence[Member]:
        """Return the people a private copy reached who may still be written to.

        Consented and reachable (active), with a Telegram id, not stopped (/stop).
        """
        statement = (
            select(Member)
            .join(OutboxMessage, OutboxMessage.member_id == Member.id)
            .where(
                OutboxMessage.batch == private_batch(poll_id),
                OutboxMessage.status == OutboxStatus.SENT,
                Member.status == MemberStatus.ACTIVE,
                Member.telegram_id.is_not(None),
                Member.broadcasts_stopped_at.is_(None),
            )
            .order_by(Member.id)
        )
        return (await self._session.execute(statement)).scalars().all()
