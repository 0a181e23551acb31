"""Work submitted together is processed together; alone, it is processed at once."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from flows.batcher import MicroBatcher


class Doubler:
    """Doubles numbers, remembering the batches it was given."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.batches: list[list[int]] = []
        self.fail_on = fail_on

    async def __call__(self, items: Sequence[int]) -> list[int]:
        self.batches.append(list(items))
        await asyncio.sleep(0.01)  # a transaction takes a while; others arrive meanwhile
        if self.fail_on in items:
            raise RuntimeError("database gone")
        return [2 * item for item in items]


async def test_items_arriving_together_share_a_batch_and_get_their_own_results() -> None:
    doubler = Doubler()
    batcher = MicroBatcher(doubler, max_size=10)
    results = await asyncio.gather(*(batcher.submit(n) for n in range(25)))
    assert results == [2 * n for n in range(25)]
    assert [len(batch) for batch in doubler.batches] == [10, 10, 5]


async def test_a_lone_item_is_processed_at_once() -> None:
    doubler = Doubler()
    batcher = MicroBatcher(doubler, max_size=10)
    assert await batcher.submit(4) == 8
    assert await batcher.submit(5) == 10  # the first worker has finished; a new one starts
    assert doubler.batches == [[4], [5]]


async def test_items_arriving_during_a_batch_form_the_next_one() -> None:
    doubler = Doubler()
    batcher = MicroBatcher(doubler, max_size=10)
    first = asyncio.create_task(batcher.submit(1))
    await asyncio.sleep(0.001)  # the first batch is under way
    later = [asyncio.create_task(batcher.submit(n)) for n in (2, 3, 4)]
    assert await asyncio.gather(first, *later) == [2, 4, 6, 8]
    assert doubler.batches == [[1], [2, 3, 4]]


async def test_parallel_workers_split_the_waiting_items() -> None:
    doubler = Doubler()
    batcher = MicroBatcher(doubler, max_size=4, workers=2)
    results = await asyncio.gather(*(batcher.submit(n) for n in range(8)))
    assert results == [2 * n for n in range(8)]
    assert sorted(len(batch) for batch in doubler.batches) == [4, 4]


async def test_a_failed_batch_fails_its_own_items_only() -> None:
    doubler = Doubler(fail_on=3)
    batcher = MicroBatcher(doubler, max_size=4)
    results = await asyncio.gather(*(batcher.submit(n) for n in range(6)), return_exceptions=True)
    assert [type(r) for r in results[:4]] == [RuntimeError] * 4
    assert results[4:] == [8, 10]
    with pytest.raises(RuntimeError):
        await batcher.submit(3)
    assert await batcher.submit(7) == 14  # the batcher carries on
