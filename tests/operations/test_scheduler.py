"""The scheduler on its own: rounds of due jobs, graceful stop, and what it tells /healthz."""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

from bot.scheduler import Scheduler


class Chores:
    """Stands in for the engine: reports `due` jobs per round, each round held at `gate`."""

    def __init__(self, due: list[int]) -> None:
        self.due = due
        self.rounds = 0
        self.entered = asyncio.Event()
        self.gate = asyncio.Event()
        self.finished = asyncio.Event()
        self.nothing_due = asyncio.Event()

    async def run_due_jobs(self) -> int:
        self.rounds += 1
        self.entered.set()
        await self.gate.wait()
        self.finished.set()
        if not self.due:
            self.nothing_due.set()
            return 0
        return self.due.pop(0)

    async def prune_update_ids(self) -> int:
        return 0


class Timer:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def scheduler(chores: Chores, timer: Timer | None = None) -> Scheduler:
    return Scheduler(
        chores, tick_seconds=5, timezone=ZoneInfo("Europe/Berlin"), timer=timer or Timer()
    )


async def test_a_tick_works_off_everything_due_in_rounds() -> None:
    chores = Chores(due=[50, 50, 7])
    chores.gate.set()
    ticking = scheduler(chores)
    ticking.start()  # the first tick is immediate: overdue jobs run at start
    try:
        async with asyncio.timeout(5):
            await chores.nothing_due.wait()
    finally:
        await ticking.stop()
    assert chores.rounds == 4  # 50, 50, 7, then a round that finds nothing


async def test_stop_lets_the_round_under_way_finish_and_starts_no_other() -> None:
    chores = Chores(due=[50, 50])
    ticking = scheduler(chores)
    ticking.start()
    await chores.entered.wait()
    stopping = asyncio.create_task(ticking.stop())
    await asyncio.sleep(0)  # let stop() begin waiting for the round
    assert not stopping.done()
    chores.gate.set()
    await stopping
    assert chores.finished.is_set()  # not cancelled half-way
    assert chores.rounds == 1  # jobs were still due, but no new round began
    assert not ticking.status().running
    await ticking.stop()  # a second stop is harmless


async def test_status_says_when_ticks_stop_coming() -> None:
    chores = Chores(due=[])
    timer = Timer()
    ticking = scheduler(chores, timer)
    assert not ticking.status().healthy  # not started
    ticking.start()
    try:
        status = ticking.status()
        assert status.running and status.healthy and status.seconds_since_tick is None
        timer.now += 2
        chores.gate.set()
        await chores.nothing_due.wait()
        assert ticking.status().seconds_since_tick == 0
        timer.now += 59
        assert ticking.status().healthy  # three ticks' time, but never less than a minute
        timer.now += 2
        status = ticking.status()
        assert status.running and not status.healthy and status.seconds_since_tick == 61
    finally:
        await ticking.stop()
    assert not ticking.status().running
