"""Database engines: SQLite (WAL) as the embedded default, PostgreSQL (asyncpg) in production."""

from __future__ import annotations

import asyncio
import weakref
from contextlib import nullcontext
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.deferred import DeferringSession
from storage.sqlite_connection import connect_inline
from storage.uow import UnitOfWork

# SQLite's writers of one process, per event loop and database file (see `Database`).
_writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


class Database:
    """An async engine and the session factory built on it."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        """Create the engine for `url` (nothing is connected until first use).

        Args:
            url: A SQLAlchemy URL: `sqlite+aiosqlite:///path.db` or `postgresql+asyncpg://...`.
            echo: Log every SQL statement (debugging only).
        """
        self.url = url
        self.engine: AsyncEngine = _create_engine(url, echo=echo)
        self._sessions = async_sessionmaker(
            self.engine, expire_on_commit=False, sync_session_class=DeferringSession
        )
        # SQLite lets one writer in at a time and makes the others poll with sleeps; queueing
        # this process's transactions on an asyncio lock instead is fair and far faster. The
        # lock is shared by every `Database` of the file in this loop: statements run on the
        # loop's thread (`storage.sqlite_connection`), so two of them must never wait for each
        # other inside SQLite.
        self._file = None if self.is_postgresql else (make_url(url).database or ":memory:")

    @property
    def is_postgresql(self) -> bool:
        """Whether this is PostgreSQL (row locks and SKIP LOCKED are available)."""
        return self.engine.dialect.name == "postgresql"

    def unit_of_work(self) -> UnitOfWork:
        """Open a unit of work: one transaction, committed explicitly, rolled back otherwise."""
        return UnitOfWork(self._sessions, lock_rows=self.is_postgresql, serialise=self._writer())

    async def ping(self) -> None:
        """Run the cheapest query there is, for health checks.

        Raises:
            OSError: the database server cannot be reached.
            sqlalchemy.exc.DBAPIError: the database refused the connection or the query.
        """
        writer = self._writer()
        async with writer or nullcontext(), self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    def _writer(self) -> asyncio.Lock | None:
        """The lock this process's SQLite transactions on this file take turns on."""
        if self._file is None:
            return None
        locks = _writers.setdefault(asyncio.get_running_loop(), {})
        return locks.setdefault(self._file, asyncio.Lock())

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def _create_engine(url: str, *, echo: bool) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, echo=echo, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    connect = partial(connect_inline, parsed.database or ":memory:", busy_seconds=30)
    engine = create_async_engine(url, echo=echo, async_creator=connect)
    _make_sqlite_transactions_immediate(engine)
    return engine


def _make_sqlite_transactions_immediate(engine: AsyncEngine) -> None:
    """Take SQLite's write lock when a transaction begins.

    A deferred transaction that reads and later writes can fail at once with "database is locked"
    when another connection wrote in between; BEGIN IMMEDIATE makes writers queue instead (with the
    busy timeout), which is what a bot with concurrent updates needs. This is SQLAlchemy's
    documented recipe for the pysqlite/aiosqlite drivers.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let us emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


__all__ = ["AsyncSession", "Database"]
