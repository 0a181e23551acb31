"""Scheduling a job is idempotent per kind and key, also within one transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storage.db import Database
from storage.models import ScheduledJob
from tests.conftest import FakeClock


async def jobs_stored(database: Database) -> int:
    async with database.unit_of_work() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(ScheduledJob)) or 0)


async def test_the_same_job_asked_for_twice_in_a_transaction_is_stored_once(
    database: Database, clock: FakeClock
) -> None:
    now = clock.now()
    async with database.unit_of_work() as uow:
        assert await uow.jobs.schedule("poll.refresh", "1:7", now, {"poll": 1}, now)
        assert not await uow.jobs.schedule("poll.refresh", "1:7", now, {"poll": 1}, now)
        assert await uow.jobs.schedule("poll.refresh", "1:8", now, {"poll": 1}, now)
        await uow.commit()
    async with database.unit_of_work() as uow:  # and in a later one
        assert not await uow.jobs.schedule("poll.refresh", "1:7", now, {"poll": 1}, now)
    assert await jobs_stored(database) == 2


async def test_a_job_undone_with_its_savepoint_can_be_scheduled_again(
    database: Database, clock: FakeClock
) -> None:
    now = clock.now()
    async with database.unit_of_work() as uow:
        with pytest.raises(RuntimeError):
            async with uow.savepoint():
                await uow.jobs.schedule("poll.refresh", "1:7", now, {}, now)
                raise RuntimeError("the job failed")
        assert await uow.jobs.schedule("poll.refresh", "1:7", now, {}, now)
        await uow.commit()
    assert await jobs_stored(database) == 1
