"""Fresh, migrated databases for tests: SQLite always, PostgreSQL when TEST_DATABASE_URL is set.

PostgreSQL tests get a database of their own, cloned from a migrated template (fast, and safe with
pytest-xdist workers running side by side).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from storage.migrate import upgrade

ENGINES = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
_templates: dict[str, str] = {}


def _asyncpg_dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def _admin_execute(url: str, sql: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def _template(url: str) -> str:
    """Create (once per process) a migrated template database and return its name."""
    if url not in _templates:
        name = f"ts_tpl_{uuid.uuid4().hex[:12]}"
        await _admin_execute(url, f'CREATE DATABASE "{name}"')
        migrated = make_url(url).set(database=name).render_as_string(hide_password=False)
        await upgrade(migrated)
        _templates[url] = name
    return _templates[url]


async def fresh_database_url(engine: str, tmp_path: Path) -> str:
    """Return the URL of a new, fully migrated database of the given engine."""
    if engine == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'townsquare.db'}"
        await upgrade(url)
        return url
    base = os.environ["TEST_DATABASE_URL"]
    template = await _template(base)
    name = f"ts_{uuid.uuid4().hex[:12]}"
    await _admin_execute(base, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return make_url(base).set(database=name).render_as_string(hide_password=False)


async def drop_database(engine: str, url: str) -> None:
    """Drop a PostgreSQL test database (SQLite files go with tmp_path)."""
    if engine == "postgresql":
        name = make_url(url).database
        await _admin_execute(
            os.environ["TEST_DATABASE_URL"], f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        )


async def drop_templates() -> None:
    """Drop the template databases this process made."""
    base = os.environ.get("TEST_DATABASE_URL")
    for name in _templates.values():
        if base:
            await _admin_execute(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _templates.clear()
