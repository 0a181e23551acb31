"""Gather work submitted concurrently and process it in batches, so one transaction serves many."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class MicroBatcher(Generic[T, R]):
    """Collects items while a batch is being processed and processes them together next.

    An item submitted when nothing is under way starts a batch of one at once, so a quiet bot
    adds no delay; under load the items that arrived during one batch form the next, which is
    what turns a transaction per update into a transaction per batch.
    """

    def __init__(
        self,
        process: Callable[[Sequence[T]], Awaitable[Sequence[R]]],
        *,
        max_size: int,
        workers: int = 1,
    ) -> None:
        """Set up an idle batcher.

        Args:
            process: Turns a batch of items into one result per item, in the same order.
            max_size: The most items in one batch.
            workers: How many batches may be processed at the same time.
        """
        self._process = process
        self._max_size = max_size
        self._workers = workers
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._running: set[asyncio.Task[None]] = set()

    async def submit(self, item: T) -> R:
        """Queue `item` and return its result once its batch has been processed."""
        result: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, result))
        if len(self._running) < self._workers:
            self._running.add(asyncio.create_task(self._work()))
        return await result

    async def _work(self) -> None:
        try:
            while self._pending:
                batch = self._pending[: self._max_size]
                del self._pending[: self._max_size]
                await self._settle(batch)
        finally:
            # Leave the set in the same step as the loop's last check, with no await between:
            # an item submitted after it is sure to start a new worker.
            self._running.discard(asyncio.current_task())

    async def _settle(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await self._process([item for item, _ in batch])
        except BaseException as exc:
            for _, result in batch:
                if not result.done():
                    result.set_exception(exc)
            if not isinstance(exc, Exception):
                raise  # cancelled: stop this worker
            return
        for (_, result), value in zip(batch, results, strict=True):
            if not result.done():  # its submitter may have been cancelled meanwhile
                result.set_result(value)
