"""Virtual time for rate-limiter tests: sleeps end in order, at once, without real waiting."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Coroutine
from typing import Any

# Enough loop turns for every task woken by a timer to run up to its next sleep.
_TURNS = 20


class VirtualTime:
    """A clock that moves only when every task waits, straight to the next sleep's end."""

    def __init__(self) -> None:
        self.now = 0.0
        self._timers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._timers, (self.now + delay, next(self._order), future))
        await future

    async def run(self, *coroutines: Coroutine[Any, Any, Any]) -> list[Any]:
        """Run `coroutines` as concurrent tasks to the end; return their results."""
        tasks = [asyncio.create_task(c) for c in coroutines]
        while True:
            for _ in range(_TURNS):
                await asyncio.sleep(0)  # a turn of the loop, not a wait
            if all(task.done() for task in tasks):
                return [task.result() for task in tasks]
            assert self._timers, "a task waits on something other than virtual time"
            when, _, future = heapq.heappop(self._timers)
            self.now = max(self.now, when)
            future.set_result(None)
