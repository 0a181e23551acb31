"""GET /healthz: database, scheduler and outbox, 200 when all is well and 503 otherwise."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.health import HealthCheck
from bot.scheduler import Scheduler
from bot.webhook import HEALTH_PATH, WebhookServer, build_app
from storage.db import Database
from storage.repositories.outbox import Recipient
from tests.conftest import FakeClock
from tests.operations.support import SECRET, BotProcess, free_port, webhook_settings


async def get_health(port: int) -> tuple[int, dict[str, Any]]:
    url = f"http://127.0.0.1:{port}{HEALTH_PATH}"
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        return answer.status, await answer.json()


class NothingDue:
    async def run_due_jobs(self) -> int:
        return 0

    async def prune_update_ids(self) -> int:
        return 0


@asynccontextmanager
async def serving(health: HealthCheck) -> AsyncIterator[int]:
    """Serve /healthz from `health` alone (no bot), on a free port."""

    async def no_updates(_data: dict[str, Any]) -> None:
        raise AssertionError("no update expected")

    port = free_port()
    app = build_app(path="/telegram", secret=SECRET, on_update=no_updates, health=health.report)
    server = WebhookServer(app, "127.0.0.1", port)
    await server.start()
    try:
        yield port
    finally:
        await server.stop()


async def test_a_running_bot_is_healthy(base_settings: Settings) -> None:
    bot = BotProcess(webhook_settings(base_settings, free_port()))
    await bot.start()
    try:
        status, body = await get_health(bot.port)
    finally:
        await bot.stop()
    assert status == 200
    assert body["status"] == "ok"
    assert body["database"] == {"ok": True}
    assert body["scheduler"]["ok"] and body["scheduler"]["running"]
    assert body["outbox"] == {"ok": True, "backlog": 0, "oldest_due_seconds": None}


async def test_an_unreachable_database_and_a_stopped_scheduler_are_unhealthy(
    clock: FakeClock,
) -> None:
    # Nothing listens on this port: connecting is refused, as when PostgreSQL is down.
    database = Database(f"postgresql+asyncpg://townsquare@127.0.0.1:{free_port()}/townsquare")
    scheduler = Scheduler(NothingDue(), tick_seconds=5, timezone=ZoneInfo("UTC"))
    try:
        async with serving(HealthCheck(database, scheduler, clock)) as port:
            status, body = await get_health(port)
    finally:
        await database.dispose()
    assert status == 503
    assert body["status"] == "unhealthy"
    assert body["database"]["ok"] is False and body["database"]["error"]
    assert body["scheduler"] == {"ok": False, "running": False, "seconds_since_tick": None}
    assert body["outbox"]["ok"] is False


async def test_an_outbox_that_stopped_draining_is_unhealthy(
    database: Database, clock: FakeClock
) -> None:
    async with database.unit_of_work() as uow:
        waiting = clock.now() - timedelta(minutes=20)
        await uow.outbox.enqueue("news:1", [Recipient(11), Recipient(12)], {}, waiting, waiting)
        await uow.commit()
    scheduler = Scheduler(NothingDue(), tick_seconds=5, timezone=ZoneInfo("UTC"))
    scheduler.start()
    try:
        async with serving(HealthCheck(database, scheduler, clock)) as port:
            status, body = await get_health(port)
    finally:
        await scheduler.stop()
    assert status == 503
    assert body["database"] == {"ok": True}
    assert body["scheduler"]["ok"] is True
    assert body["outbox"] == {"ok": False, "backlog": 2, "oldest_due_seconds": 1200.0}


async def set_connections_allowed(database_url: str, allowed: bool) -> None:
    """Let connections into the test's PostgreSQL database, or refuse them and end the open ones."""
    url = make_url(database_url)
    admin = make_url(os.environ["TEST_DATABASE_URL"]).set(drivername="postgresql")
    connection = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        await connection.execute(
            f'ALTER DATABASE "{url.database}" WITH ALLOW_CONNECTIONS {str(allowed).lower()}'
        )
        if not allowed:
            await connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                url.database,
            )
    finally:
        await connection.close()


async def test_a_running_bot_reports_losing_its_database_and_getting_it_back(
    db_engine: str, base_settings: Settings
) -> None:
    if db_engine == "sqlite":
        pytest.skip("a SQLite file cannot be taken away from a process that has it open")
    bot = BotProcess(webhook_settings(base_settings, free_port()))
    await bot.start()
    try:
        await set_connections_allowed(base_settings.database_url, False)
        try:
            status, body = await get_health(bot.port)
        finally:
            await set_connections_allowed(base_settings.database_url, True)
        assert status == 503
        assert body["database"]["ok"] is False
        status, body = await get_health(bot.port)
        assert status == 200, body
    finally:
        await bot.stop()
