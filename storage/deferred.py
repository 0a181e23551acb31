"""Writes held back for a batch, and the session that writes them before any statement.

Some writes of the answering path are held back by their repository and sent together (see
`SurveyResponseRepository.replace_answer`). So that no statement of the transaction, read or
write, ever sees the database without them, the unit of work's session writes them before the
next statement it executes, and code that runs statements on the bare connection asks for it
through `connection_after_deferred`. (The one statement that skips them on purpose is the insert
of a new response, which can neither read nor conflict with them: see
`SurveyResponseRepository.start`.)
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import Connection, event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session

# Where a session keeps what holds writes back (its unit of work).
_HOLDER = "townsquare.deferred_writes"


class DeferredWrites(Protocol):
    """What holds writes back: the unit of work."""

    @property
    def has_deferred_writes(self) -> bool:
        """Whether some rows are held back."""

    def write_deferred(self, connection: Connection) -> None:
        """Write the rows held back on the transaction's connection."""


class DeferringSession(Session):
    """The session under each unit of work: it writes the deferred rows before any statement."""


def attach(session: AsyncSession, holder: DeferredWrites) -> None:
    """Make `session` write what `holder` holds back before each statement."""
    session.sync_session.info[_HOLDER] = holder


def detach(session: AsyncSession) -> None:
    """Undo `attach` (so that no reference cycle outlives the unit of work)."""
    session.sync_session.info.pop(_HOLDER, None)


def write_deferred_first(session: Session) -> None:
    """Write what the session's holder holds back, if anything (synchronous, in a greenlet)."""
    holder: DeferredWrites | None = session.info.get(_HOLDER)
    if holder is not None and holder.has_deferred_writes:
        holder.write_deferred(session.connection())


@event.listens_for(DeferringSession, "do_orm_execute")
def _before_each_statement(execution: ORMExecuteState) -> None:
    write_deferred_first(execution.session)


async def connection_after_deferred(session: AsyncSession) -> AsyncConnection:
    """The transaction's connection, for plain statements, with what is held back written."""
    await session.run_sync(write_deferred_first)
    return await session.connection()
