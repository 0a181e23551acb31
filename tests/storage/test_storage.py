"""Storage on every engine under test: migrations, time zones, idempotent writes, erasure."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect

from storage.db import Database
from storage.migrate import upgrade
from storage.models import Base, Member, MemberStatus
from tests.conftest import FakeClock

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def new_member(telegram_id: int) -> Member:
    return Member(
        telegram_id=telegram_id,
        first_name="Ada",
        username="ada",
        status=MemberStatus.ACTIVE,
        created_at=NOW,
        updated_at=NOW,
    )


async def test_migrations_create_exactly_the_models_tables(database: Database) -> None:
    async with database.engine.connect() as connection:
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert tables == set(Base.metadata.tables) | {"alembic_version"}


async def test_migrating_twice_changes_nothing(database: Database, database_url: str) -> None:
    await upgrade(database_url)  # already at head: a no-op, not an error


async def test_times_come_back_aware_and_in_utc(database: Database) -> None:
    paris = timezone(timedelta(hours=1))
    async with database.unit_of_work() as uow:
        member = await uow.members.add(new_member(1))
        member.consent_at = datetime(2026, 11, 29, 13, 30, tzinfo=paris)
        await uow.commit()
    async with database.unit_of_work() as uow:
        loaded = await uow.members.get_by_telegram_id(1)
    assert loaded is not None and loaded.consent_at == datetime(2026, 11, 29, 12, 30, tzinfo=UTC)
    assert loaded.consent_at.tzinfo is not None


async def test_naive_times_are_refused(database: Database) -> None:
    async with database.unit_of_work() as uow:
        member = new_member(2)
        member.created_at = datetime(2026, 1, 1)
        with pytest.raises(Exception, match="naive datetime"):
            await uow.members.add(member)


async def test_an_update_id_is_claimed_once_even_by_concurrent_transactions(
    database: Database,
) -> None:
    async def claim() -> bool:
        async with database.unit_of_work() as uow:
            claimed = await uow.updates.claim(77, NOW)
            await asyncio.sleep(0.01)  # hold the transaction open while the other one tries
            await uow.commit()
            return claimed

    results = await asyncio.gather(*(claim() for _ in range(4)))
    assert sorted(results) == [False, False, False, True]
    async with database.unit_of_work() as uow:
        assert await uow.updates.prune(NOW + timedelta(days=2)) == 1
        await uow.commit()


async def test_an_uncommitted_unit_of_work_leaves_no_trace(database: Database) -> None:
    async with database.unit_of_work() as uow:
        await uow.members.add(new_member(3))
    async with database.unit_of_work() as uow:
        assert await uow.members.get_by_telegram_id(3) is None


async def test_jobs_are_scheduled_once_per_key_and_come_due_in_order(
    database: Database, clock: FakeClock
) -> None:
    async with database.unit_of_work() as uow:
        later, sooner = NOW + timedelta(hours=2), NOW + timedelta(hours=1)
        assert await uow.jobs.schedule("reminder", "event-1", later, {"event": 1}, NOW)
        assert not await uow.jobs.schedule("reminder", "event-1", sooner, {"event": 1}, NOW)
        assert await uow.jobs.schedule("deadline", "poll-9", sooner, {}, NOW)
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert await uow.jobs.due(NOW) == []
        due = await uow.jobs.due(NOW + timedelta(hours=3))
        assert [(job.kind, job.due_at) for job in due] == [
            ("deadline", sooner),
            ("reminder", later),
        ]


async def test_usernames_are_found_whatever_their_case(database: Database) -> None:
    async with database.unit_of_work() as uow:
        await uow.members.add(new_member(4))
        await uow.commit()
    async with database.unit_of_work() as uow:
        found = await uow.members.get_by_username("ADA")
    assert found is not None and found.telegram_id == 4


async def test_telegram_ids_beyond_32_bits_fit(database: Database) -> None:
    big = 7_999_999_999
    async with database.unit_of_work() as uow:
        await uow.members.add(new_member(big))
        await uow.chats.register(-1_002_345_678_901, "Big group", "supergroup", None, NOW)
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert await uow.members.get_by_telegram_id(big) is not None
        assert await uow.chats.get(-1_002_345_678_901) is not None


async def test_the_migrations_match_the_models(database_url: str) -> None:
    from alembic import command

    from storage.migrate import alembic_config

    # Raises if autogenerate would write a new migration: a model changed without one.
    await asyncio.to_thread(command.check, alembic_config(database_url))
