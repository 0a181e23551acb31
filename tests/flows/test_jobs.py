"""Scheduled jobs and bulk sends at the engine level: due times, lateness, retries, quiet hours."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from flows.effects import Broadcast, Schedule, SendMessage
from flows.jobs import JobContext
from storage.models import JobStatus, OutboxStatus, ScheduledJob
from tests.flows.harness import Harness

NOON = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def register_jobs(harness: Harness, ran: list[str]) -> None:
    router = harness.engine.router

    @router.job("test.reminder", max_lateness=timedelta(minutes=30))
    async def reminder(ctx: JobContext) -> None:
        ran.append(ctx.key)
        ctx.effects.append(SendMessage(chat_id=ctx.data["chat"], text=f"reminder {ctx.key}"))

    @router.job("test.newsletter", max_lateness=None)
    async def newsletter(ctx: JobContext) -> None:
        ran.append(ctx.key)

    @router.job("test.broken", max_lateness=None)
    async def broken(ctx: JobContext) -> None:
        await ctx.uow.jobs.schedule("test.newsletter", "side-effect", ctx.now, {}, ctx.now)
        raise RuntimeError("bug in a job")


async def schedule(harness: Harness, kind: str, key: str, due_at: datetime, **data: object) -> None:
    async with harness.database.unit_of_work() as uow:
        await uow.jobs.schedule(kind, key, due_at, dict(data), harness.clock.now())
        await uow.commit()


async def job_status(harness: Harness, kind: str, key: str) -> JobStatus:
    async with harness.database.unit_of_work() as uow:
        job = await uow.session.scalar(
            select(ScheduledJob).where(ScheduledJob.kind == kind, ScheduledJob.key == key)
        )
    assert job is not None, f"no job {kind}/{key}"
    return job.status


async def test_a_job_runs_when_due_and_only_once(harness: Harness) -> None:
    ran: list[str] = []
    register_jobs(harness, ran)
    await schedule(harness, "test.reminder", "r1", NOON + timedelta(minutes=10), chat=5)
    assert await harness.engine.run_due_jobs() == 0
    harness.clock.advance(minutes=10)
    assert await harness.engine.run_due_jobs() == 1
    assert await harness.engine.run_due_jobs() == 0
    assert ran == ["r1"]
    assert SendMessage(chat_id=5, text="reminder r1") in harness.outbound.delivered
    assert await job_status(harness, "test.reminder", "r1") is JobStatus.DONE


async def test_after_downtime_stale_jobs_are_dropped_and_lasting_ones_run_late_once(
    harness: Harness,
) -> None:
    ran: list[str] = []
    register_jobs(harness, ran)
    await schedule(harness, "test.reminder", "stale", NOON, chat=5)
    await schedule(harness, "test.newsletter", "weekly", NOON)
    harness.clock.advance(hours=6)  # the bot was down all afternoon
    harness.restart()
    register_jobs(harness, ran)
    assert await harness.engine.run_due_jobs() == 2
    assert ran == ["weekly"]
    assert await job_status(harness, "test.reminder", "stale") is JobStatus.DROPPED
    assert await job_status(harness, "test.newsletter", "weekly") is JobStatus.DONE
    assert not harness.outbound.delivered


async def test_a_failing_job_is_retried_then_given_up_without_harming_others(
    harness: Harness,
) -> None:
    ran: list[str] = []
    register_jobs(harness, ran)
    await schedule(harness, "test.broken", "b", NOON)
    await schedule(harness, "test.newsletter", "fine", NOON)
    await schedule(harness, "unknown.kind", "u", NOON)
    assert await harness.engine.run_due_jobs() == 3
    assert ran == ["fine"]
    assert await job_status(harness, "unknown.kind", "u") is JobStatus.FAILED
    for _ in range(2):
        harness.clock.advance(minutes=1)
        await harness.engine.run_due_jobs()
    assert await job_status(harness, "test.broken", "b") is JobStatus.FAILED
    async with harness.database.unit_of_work() as uow:  # its half-done write was undone
        assert await uow.jobs.schedule("test.newsletter", "side-effect", NOON, {}, NOON)


async def test_two_engines_never_run_the_same_job(harness: Harness) -> None:
    ran: list[str] = []
    register_jobs(harness, ran)
    first = harness.engine
    harness.restart()
    register_jobs(harness, ran)
    second = harness.engine
    for n in range(40):
        await schedule(harness, "test.newsletter", f"n{n}", NOON)
    await asyncio.gather(*(engine.run_due_jobs(limit=7) for engine in (first, second) * 4))
    while await first.run_due_jobs() or await second.run_due_jobs():
        pass
    assert sorted(ran) == sorted(f"n{n}" for n in range(40))


async def test_schedule_effects_are_stored_with_the_transaction(harness: Harness) -> None:
    ran: list[str] = []
    register_jobs(harness, ran)

    @harness.engine.router.job("test.chain", max_lateness=None)
    async def chain(ctx: JobContext) -> None:
        ctx.effects.append(Schedule(kind="test.newsletter", due_at=ctx.now, key="next"))

    await schedule(harness, "test.chain", "c", NOON)
    await harness.engine.run_due_jobs()
    await harness.engine.run_due_jobs()
    assert ran == ["next"]


async def test_broadcasts_respect_quiet_hours_for_people_not_groups(harness: Harness) -> None:
    harness.engine.config = dataclasses.replace(
        harness.config, timezone=ZoneInfo("Asia/Shanghai"), quiet_hours=(time(22), time(7))
    )
    harness.clock.current = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai

    @harness.engine.router.job("test.announce", max_lateness=None)
    async def announce(ctx: JobContext) -> None:
        ctx.effects.append(
            Broadcast(
                batch="announce:1", recipients=((11, None), (12, None), (-100, None)), text="Hi"
            )
        )
        ctx.effects.append(
            Broadcast(batch="announce:1", recipients=((11, None),), text="again")
        )  # a recipient already in the batch gets no second copy
        ctx.effects.append(
            Broadcast(batch="alert:1", recipients=((11, None),), text="Flood", urgent=True)
        )

    await schedule(harness, "test.announce", "a", harness.clock.now())
    await harness.engine.run_due_jobs()
    async with harness.database.unit_of_work() as uow:
        assert await uow.outbox.progress("announce:1") == {OutboxStatus.PENDING: 3}
        ready_now = await uow.outbox.claim(harness.clock.now(), 10, "t", timedelta(days=1))
        assert sorted((r.batch, r.chat_id) for r in ready_now) == [
            ("alert:1", 11),
            ("announce:1", -100),
        ]
        morning = datetime(2026, 11, 29, 23, 0, tzinfo=UTC)  # 07:00 in Shanghai
        assert await uow.outbox.claim(morning - timedelta(seconds=1), 10, "t", timedelta(1)) == []
        later = await uow.outbox.claim(morning, 10, "t", timedelta(seconds=30))
        assert sorted(r.chat_id for r in later) == [11, 12]
        assert later[0].payload == {"text": "Hi", "buttons": []}
