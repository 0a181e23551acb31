"""Dialect-aware statements that SQLite and PostgreSQL both support with their own syntax."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

# Ids come from button payloads and links, which can be forged; PostgreSQL refuses a number
# beyond its INTEGER range with an error, where "no such row" is the right answer.
MAX_ID = 2**31 - 1


def can_exist(row_id: int) -> bool:
    """Whether a row of an integer-keyed table can have this id (on every engine)."""
    return 0 < row_id <= MAX_ID


def insert_for(session: AsyncSession, model: Any) -> Any:
    """Return an INSERT for `model` that supports `on_conflict_do_nothing` on this engine."""
    return insert_on(session.get_bind().dialect.name, model)


def insert_on(dialect_name: str, model: Any) -> Any:
    """Return an INSERT for `model` that supports `on_conflict_do_nothing` on this dialect."""
    if dialect_name == "postgresql":
        return pg_insert(model)
    return sqlite_insert(model)
