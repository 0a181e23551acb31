"""The unit of work: one transaction and the repositories that share it."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, AsyncSessionTransaction, async_sessionmaker

from storage.repositories.audit import AuditRepository
from storage.repositories.chats import ChatRepository
from storage.repositories.followables import FollowableRepository
from storage.repositories.jobs import JobRepository
from storage.repositories.members import MemberRepository
from storage.repositories.outbox import OutboxRepository
from storage.repositories.states import StateRepository
from storage.repositories.updates import UpdateLog


class UnitOfWork:
    """One transaction. Use as `async with db.unit_of_work() as uow: ...; await uow.commit()`.

    Leaving the block without `commit()` rolls everything back, so a failure half-way through a
    flow leaves no trace.
    """

    members: MemberRepository
    chats: ChatRepository
    followables: FollowableRepository
    states: StateRepository
    updates: UpdateLog
    audit: AuditRepository
    jobs: JobRepository
    outbox: OutboxRepository

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, lock_rows: bool) -> None:
        """Prepare a unit of work; the session opens on entry.

        Args:
            sessions: Factory for the session this unit of work owns.
            lock_rows: Take row locks (SELECT ... FOR UPDATE) where a repository asks for them;
                only meaningful on PostgreSQL, SQLite already serialises writers.
        """
        self._sessions = sessions
        self._lock_rows = lock_rows
        self._session: AsyncSession | None = None

    async def __aenter__(self) -> UnitOfWork:
        session = self._sessions()
        self._session = session
        lock = self._lock_rows
        self.members = MemberRepository(session, lock_rows=lock)
        self.chats = ChatRepository(session)
        self.followables = FollowableRepository(session)
        self.states = StateRepository(session)
        self.updates = UpdateLog(session)
        self.audit = AuditRepository(session)
        self.jobs = JobRepository(session, skip_locked=lock)
        self.outbox = OutboxRepository(session, skip_locked=lock)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._session is not None
        # Closing ends the transaction: whatever was not committed is rolled back. Objects
        # read here stay usable (detached, not expired) for the code that follows.
        await self._session.close()
        self._session = None

    @property
    def session(self) -> AsyncSession:
        """The session of this unit of work (for repositories added by later features)."""
        assert self._session is not None, "use the unit of work inside `async with`"
        return self._session

    async def commit(self) -> None:
        """Commit everything done in this unit of work."""
        await self.session.commit()

    def savepoint(self) -> AsyncSessionTransaction:
        """A nested transaction: `async with uow.savepoint():` undoes only its block on error."""
        return self.session.begin_nested()

    async def flush(self) -> None:
        """Send pending changes to the database without committing (to get generated ids)."""
        await self.session.flush()
