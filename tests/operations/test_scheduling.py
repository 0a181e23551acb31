"""The scheduler in the running bot: overdue jobs after a restart, two instances, quiet hours."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from admin import build_router
from bot.config import Settings
from bot.emulator import RunningEmulator
from flows.effects import Broadcast, SendMessage
from flows.jobs import JobContext
from flows.router import Router
from storage.db import Database
from storage.models import JobStatus, OutboxMessage, OutboxStatus, ScheduledJob
from tests.conftest import FakeClock
from tests.operations.support import WAIT_TIMEOUT, BotProcess, cluster

NOON = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def newsletter_router(ran: list[str]) -> Router:
    """The bot's router plus two test kinds: a reminder (stale after 30 min), a newsletter."""
    router = build_router()

    @router.job("test.reminder", max_lateness=timedelta(minutes=30))
    async def reminder(ctx: JobContext) -> None:
        ran.append(ctx.key)

    @router.job("test.newsletter", max_lateness=None)
    async def newsletter(ctx: JobContext) -> None:
        ran.append(ctx.key)
        ctx.effects.append(SendMessage(chat_id=ctx.data["chat"], text=f"newsletter {ctx.key}"))

    return router


async def schedule(
    database_url: str, jobs: list[tuple[str, str, datetime, dict[str, object]]]
) -> None:
    database = Database(database_url)
    try:
        async with database.unit_of_work() as uow:
            for kind, key, due_at, data in jobs:
                await uow.jobs.schedule(kind, key, due_at, data, NOON)
            await uow.commit()
    finally:
        await database.dispose()


async def job_statuses(database_url: str) -> dict[str, JobStatus]:
    database = Database(database_url)
    try:
        async with database.unit_of_work() as uow:
            jobs = (await uow.session.scalars(select(ScheduledJob))).all()
    finally:
        await database.dispose()
    return {job.key: job.status for job in jobs}


async def test_after_downtime_a_lasting_job_runs_late_once_and_a_stale_one_is_dropped(
    emulator: RunningEmulator,
    base_settings: Settings,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = emulator.world
    ada = world.user("Ada")
    ada.started = True
    # Due at noon; the bot was down all afternoon and comes back at six.
    await schedule(
        base_settings.database_url,
        [
            ("test.reminder", "stale", NOON, {}),
            ("test.newsletter", "weekly", NOON, {"chat": ada.id}),
            ("test.newsletter", "tomorrow", NOON + timedelta(days=1), {"chat": ada.id}),
        ],
    )
    clock.current = NOON + timedelta(hours=6)
    ran: list[str] = []
    bot = BotProcess(base_settings, clock=clock, router=newsletter_router(ran))
    await bot.start()
    try:
        [late] = await world.wait_for(ada)  # sent after the round's commit
    finally:
        await bot.stop()
    assert late.text == "newsletter weekly"
    assert await job_statuses(base_settings.database_url) == {
        "stale": JobStatus.DROPPED,
        "weekly": JobStatus.DONE,
        "tomorrow": JobStatus.PENDING,
    }
    assert "job test.reminder/stale was due at" in caplog.text
    assert "too late, dropped" in caplog.text

    # Restarted again: what ran does not run twice; a job that came due since does run.
    await schedule(
        base_settings.database_url, [("test.newsletter", "now", clock.now(), {"chat": ada.id})]
    )
    bot = BotProcess(base_settings, clock=clock, router=newsletter_router(ran))
    await bot.start()
    try:
        [now] = await world.wait_for(ada)
    finally:
        await bot.stop()
    assert now.text == "newsletter now"
    assert ran == ["weekly", "now"]


async def test_two_instances_tick_one_scheduler_and_run_every_job_once(
    db_engine: str, emulator: RunningEmulator, base_settings: Settings, clock: FakeClock
) -> None:
    if db_engine == "sqlite":
        pytest.skip(
            "SQLite admits one writer at a time, so two instances cannot run jobs at the same "
            "time; that they take turns is tests/flows/test_jobs.py"
        )
    jobs = 120  # more than one round claims (50), so both instances get a share at once
    ran: list[tuple[int, str]] = []
    inside = [asyncio.Event(), asyncio.Event()]
    all_ran = asyncio.Event()

    def router_of(instance: int) -> Router:
        router = build_router()

        @router.job("test.job", max_lateness=None)
        async def job(ctx: JobContext) -> None:
            ran.append((instance, ctx.key))
            # Hold the first round of each instance until the other is running jobs too: the
            # two claim at the same time, and SKIP LOCKED must keep their rounds apart.
            inside[instance].set()
            async with asyncio.timeout(WAIT_TIMEOUT):
                await inside[1 - instance].wait()
            if len(ran) == jobs:
                all_ran.set()

        return router

    await schedule(
        base_settings.database_url,
        [("test.job", f"j{n}", clock.now(), {}) for n in range(jobs)],
    )
    async with cluster(base_settings, routers=[router_of(0), router_of(1)], clock=clock):
        async with asyncio.timeout(WAIT_TIMEOUT):
            await all_ran.wait()
    # Stopping let the rounds under way commit.
    assert Counter(key for _, key in ran) == Counter(f"j{n}" for n in range(jobs))
    assert {instance for instance, _ in ran} == {0, 1}
    assert set((await job_statuses(base_settings.database_url)).values()) == {JobStatus.DONE}


async def test_quiet_hours_hold_back_a_broadcast_until_they_end(
    emulator: RunningEmulator, base_settings: Settings, clock: FakeClock
) -> None:
    world = emulator.world
    ada = world.user("Ada")
    ada.started = True
    shanghai = ZoneInfo("Asia/Shanghai")
    clock.current = datetime(2026, 11, 29, 23, 0, tzinfo=shanghai)
    settings = base_settings.model_copy(
        update={"community_timezone": shanghai, "quiet_hours": (time(22), time(7))}
    )
    router = build_router()

    @router.job("test.announce", max_lateness=None)
    async def announce(ctx: JobContext) -> None:
        ctx.effects.append(Broadcast(batch="news:1", recipients=((ada.id, None),), text="News"))
        ctx.effects.append(
            Broadcast(batch="flood:1", recipients=((ada.id, None),), text="Flood", urgent=True)
        )

    await schedule(settings.database_url, [("test.announce", "a", clock.now(), {})])
    bot = BotProcess(settings, clock=clock, router=router)
    await bot.start()
    try:
        [flood] = await world.wait_for(ada)
        assert flood.text == "Flood"  # urgent: at once, at 23:00
        [held] = await outbox_rows(settings.database_url, "news:1")
        assert held.status is OutboxStatus.PENDING
        assert held.not_before == datetime(2026, 11, 30, 7, 0, tzinfo=shanghai)
        clock.current = datetime(2026, 11, 30, 7, 0, tzinfo=shanghai)
        [news] = await world.wait_for(ada)  # the worker finds it due on its next look
        assert news.text == "News"
    finally:
        await bot.stop()


async def outbox_rows(database_url: str, batch: str) -> list[OutboxMessage]:
    database = Database(database_url)
    try:
        async with database.unit_of_work() as uow:
            statement = select(OutboxMessage).where(OutboxMessage.batch == batch)
            return list((await uow.session.scalars(statement)).all())
    finally:
        await database.dispose()
