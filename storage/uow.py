"""The unit of work: one transaction and the repositories that share it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import TracebackType

from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.deferred import attach, detach, write_deferred_first
from storage.repositories.audit import AuditRepository
from storage.repositories.ballots import BallotRepository
from storage.repositories.chats import ChatRepository
from storage.repositories.followables import FollowableRepository
from storage.repositories.jobs import JobRepository
from storage.repositories.members import MemberRepository
from storage.repositories.outbox import OutboxRepository
from storage.repositories.poll_suggestions import PollSuggestionRepository
from storage.repositories.polls import PollRepository
from storage.repositories.states import StateRepository
from storage.repositories.survey_contacts import SurveyContactRepository
from storage.repositories.survey_responses import SurveyResponseRepository
from storage.repositories.survey_results import SurveyResultsRepository
from storage.repositories.surveys import SurveyRepository
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
    surveys: SurveyRepository
    survey_results: SurveyResultsRepository
    contacts: SurveyContactRepository
    responses: SurveyResponseRepository
    polls: PollRepository
    ballots: BallotRepository
    suggestions: PollSuggestionRepository

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        lock_rows: bool,
        serialise: asyncio.Lock | None = None,
    ) -> None:
        """Prepare a unit of work; the session opens on entry.

        Args:
            sessions: Factory for the session this unit of work owns.
            lock_rows: Take row locks (SELECT ... FOR UPDATE) where a repository asks for them;
                only meaningful on PostgreSQL, SQLite already serialises writers.
            serialise: A lock held from entry to exit, so that units of work of this process
                run one at a time (SQLite). Units of work must then not be nested.
        """
        self._sessions = sessions
        self._lock_rows = lock_rows
        self._serialise = serialise
        self._session: AsyncSession | None = None
        self._after_commit: list[Callable[[], object]] = []

    async def __aenter__(self) -> UnitOfWork:
        if self._serialise is not None:
            await self._serialise.acquire()
        session = self._sessions()
        attach(session, self)
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
        self.surveys = SurveyRepository(session)
        self.survey_results = SurveyResultsRepository(session)
        self.contacts = SurveyContactRepository(session)
        self.responses = SurveyResponseRepository(session)
        self.polls = PollRepository(session)
        self.ballots = BallotRepository(session)
        self.suggestions = PollSuggestionRepository(session)
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
        try:
            detach(self._session)
            await self._session.close()
        finally:
            self._session = None
            if self._serialise is not None:
                self._serialise.release()

    @property
    def session(self) -> AsyncSession:
        """The session of this unit of work (for repositories added by later features)."""
        assert self._session is not None, "use the unit of work inside `async with`"
        return self._session

    @property
    def has_deferred_writes(self) -> bool:
        """Whether some rows are held back to be written together (see `storage.deferred`)."""
        return self.responses.has_deferred

    def write_deferred(self, connection: Connection) -> None:
        """Write the rows held back, on the transaction's (synchronous) connection."""
        self.responses.write_deferred(connection)

    async def _write_deferred_now(self) -> None:
        if self.has_deferred_writes:
            await self.session.run_sync(write_deferred_first)

    async def commit(self) -> None:
        """Commit everything done in this unit of work, then run the `after_commit` callbacks."""
        await self._write_deferred_now()
        await self.session.commit()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    def after_commit(self, callback: Callable[[], object]) -> None:
        """Call `callback` once this unit of work has committed (never if it rolls back).

        For telling other parts of the process about committed work, e.g. waking the outbox
        worker: woken before the commit, it would look for rows it cannot see yet.
        """
        self._after_commit.append(callback)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A nested transaction: `async with uow.savepoint():` undoes only its block on error."""
        await self._write_deferred_now()  # what came before the block is not undone with it
        try:
            async with self.session.begin_nested():
                yield
                await self._write_deferred_now()
        except BaseException:
            self.jobs.forget_scheduled()  # its jobs were undone with the block
            self.responses.drop_deferred()  # and so were the writes it held back
            raise

    async def flush(self) -> None:
        """Send pending changes to the database without committing (to get generated ids)."""
        await self._write_deferred_now()
        await self.session.flush()
