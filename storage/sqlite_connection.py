"""SQLite connections that run each call on the event loop's own thread.

aiosqlite hands every call (open a cursor, execute, fetch, close the cursor) to a worker thread
and waits for the answer. For SQLite on a local disk a call takes microseconds, while the two
thread switches around it cost far more, and each one makes the event loop wait for the GIL: a
survey answer spent about a third of its time on them (`bench/surveys.py`). So each call runs
at once, in the thread that asks.

This is safe because nothing waits on SQLite's own locks inside a call: a process's units of
work already take turns on an asyncio lock (`storage.db.Database`), so `BEGIN IMMEDIATE` never
waits for another connection of the same process. It can wait for another process (the command
line writing while the bot runs), and then the loop pauses for that process's transaction,
which is milliseconds. A long read, such as an export of 100,000 responses, pauses the loop for
its length (under a second); on PostgreSQL nothing pauses.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Generator
from functools import partial
from typing import Any

import aiosqlite
from aiosqlite.core import _STOP_RUNNING_SENTINEL


class _RunAtOnce:
    """Stands in for the queue to aiosqlite's worker thread: runs each call as it is queued.

    aiosqlite (and SQLAlchemy's adapter, for the isolation level) queue `(future, function)`
    pairs; the future gets the function's result or error, as the worker thread would set it.
    """

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as error:  # the caller gets it through the future, as before
            if future is None:
                raise
            future.set_exception(error)
            return
        if future is not None:
            future.set_result(None if result is _STOP_RUNNING_SENTINEL else result)


class InlineConnection(aiosqlite.Connection):
    """aiosqlite's connection without its worker thread (see the module's docstring)."""

    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        """Prepare the connection; `connector` opens the sqlite3 connection when awaited."""
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _RunAtOnce()  # type: ignore[assignment]

    def __await__(self) -> Generator[Any, None, aiosqlite.Connection]:
        return self._connect().__await__()  # no thread to start


async def connect_inline(path: str, *, busy_seconds: float) -> InlineConnection:
    """Open `path` for SQLAlchemy's `async_creator`, waiting up to `busy_seconds` for locks.

    `check_same_thread` is off because the connection may be closed by the garbage collector
    in another thread; it is only ever used by one task at a time.
    """
    connector = partial(sqlite3.connect, path, timeout=busy_seconds, check_same_thread=False)
    connection = InlineConnection(connector)
    await connection
    return connection
