"""Shared fixtures: databases on every engine under test, a controllable clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage.db import Database
from tests.databases import ENGINES, drop_database, drop_templates, fresh_database_url

pytest_plugins = ["tests.emulator_fixtures"]


class FakeClock:
    """A clock that tests move by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 29, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=ENGINES)
def db_engine(request: pytest.FixtureRequest) -> str:
    """The database engine a test runs on: sqlite, and postgresql with TEST_DATABASE_URL."""
    return str(request.param)


@pytest.fixture
async def database_url(db_engine: str, tmp_path: Path) -> AsyncIterator[str]:
    url = await fresh_database_url(db_engine, tmp_path)
    yield url
    await drop_database(db_engine, url)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    yield db
    await db.dispose()


@pytest.fixture(scope="session", autouse=True)
def _drop_postgres_templates() -> Iterator[None]:
    yield
    asyncio.run(drop_templates())
