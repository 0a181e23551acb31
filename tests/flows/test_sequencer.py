"""One person's updates run one at a time, in update order; different people run concurrently."""

from __future__ import annotations

import asyncio

from flows.sequencer import KeyedSequencer


async def test_jobs_of_one_key_run_in_order_of_their_number_not_arrival() -> None:
    sequencer = KeyedSequencer()
    ran: list[int] = []
    gate = asyncio.Event()

    async def job(number: int) -> int:
        if number == 1:
            await gate.wait()  # the first job holds the lane while the others queue up
        ran.append(number)
        return number

    first = asyncio.create_task(sequencer.run("ada", 1, lambda: job(1)))
    await asyncio.sleep(0)
    later = [asyncio.create_task(sequencer.run("ada", n, lambda n=n: job(n))) for n in (5, 3, 4, 2)]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(first, *later) == [1, 5, 3, 4, 2]
    assert ran == [1, 2, 3, 4, 5]
    assert sequencer._lanes == {}  # the lane goes once its last job is done


async def test_different_keys_do_not_wait_for_each_other() -> None:
    sequencer = KeyedSequencer()
    blocked = asyncio.Event()

    async def slow() -> str:
        await blocked.wait()
        return "ada"

    ada = asyncio.create_task(sequencer.run("ada", 1, slow))
    await asyncio.sleep(0)
    assert (
        await asyncio.wait_for(sequencer.run("bob", 2, lambda: asyncio.sleep(0, "bob")), 1) == "bob"
    )
    blocked.set()
    assert await ada == "ada"


async def test_a_failing_or_cancelled_job_does_not_block_the_lane() -> None:
    sequencer = KeyedSequencer()

    async def boom() -> None:
        raise RuntimeError("bug")

    failing = asyncio.create_task(sequencer.run("ada", 1, boom))
    hold = asyncio.Event()
    holder = asyncio.create_task(sequencer.run("ada", 2, hold.wait))
    await asyncio.sleep(0)
    cancelled = asyncio.create_task(sequencer.run("ada", 3, lambda: asyncio.sleep(0)))
    await asyncio.sleep(0)
    cancelled.cancel()
    hold.set()
    assert (
        await asyncio.wait_for(sequencer.run("ada", 4, lambda: asyncio.sleep(0, "ok")), 1) == "ok"
    )
    assert isinstance(failing.exception(), RuntimeError)
    await holder
    assert sequencer._lanes == {}  # nothing left behind
