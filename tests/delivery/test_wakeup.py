"""The outbox worker is woken once bulk messages are committed: not before, not on rollback."""

from __future__ import annotations

import pytest

from admin import build_router
from flows.config import CommunityConfig
from flows.effects import Broadcast
from flows.engine import Engine
from flows.jobs import JobContext
from storage.db import Database
from storage.repositories.outbox import Recipient
from tests.conftest import FakeClock
from tests.delivery.conftest import PAYLOAD
from tests.flows.harness import Recorder


async def test_after_commit_callbacks_run_after_a_commit_only(
    database: Database, clock: FakeClock
) -> None:
    called: list[str] = []
    async with database.unit_of_work() as uow:
        await uow.outbox.enqueue("b", [Recipient(1)], PAYLOAD, clock.now(), clock.now())
        uow.after_commit(lambda: called.append("rolled back"))
    async with database.unit_of_work() as uow:
        await uow.outbox.enqueue("b", [Recipient(2)], PAYLOAD, clock.now(), clock.now())
        uow.after_commit(lambda: called.append("committed"))
        assert called == []
        await uow.commit()
    assert called == ["committed"]


@pytest.mark.parametrize("broadcasts", [0, 2])
async def test_the_engine_wakes_the_outbox_after_committing_a_broadcast(
    database: Database, clock: FakeClock, broadcasts: int
) -> None:
    woken: list[int] = []
    router = build_router()

    @router.job("test.announce", max_lateness=None)
    async def announce(ctx: JobContext) -> None:
        for number in range(broadcasts):
            ctx.effects.append(Broadcast(batch=f"b:{number}", recipients=((7, None),), text="Hi"))

    config = CommunityConfig(bot_username="townsquare_test_bot", owner_ids=frozenset())
    engine = Engine(
        database, router, Recorder(), config, clock, on_enqueued=lambda: woken.append(1)
    )
    async with database.unit_of_work() as uow:
        await uow.jobs.schedule("test.announce", "a", clock.now(), {}, clock.now())
        await uow.commit()
    await engine.run_due_jobs()
    assert len(woken) == broadcasts
