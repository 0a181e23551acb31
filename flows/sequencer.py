"""Run one person's updates strictly in order while different people run concurrently."""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")


@dataclass
class _Lane:
    waiting: list[int] = field(default_factory=list)  # a heap of the order numbers queued
    busy: bool = False
    # Made when a job has to wait for another of the same key; most lanes never need one, and
    # making a Condition for each update costs a busy bot.
    turn: asyncio.Condition | None = None


class KeyedSequencer:
    """Serialises jobs per key, in the order of their number (e.g. update_id), not of arrival.

    Updates of one person can reach the engine a moment out of order when a front end handles
    them as concurrent tasks; ordering by update_id among those waiting puts them back in order.
    """

    def __init__(self) -> None:
        """Start with no lanes; a lane exists only while a key has work."""
        self._lanes: dict[Hashable, _Lane] = {}

    async def run(self, key: Hashable, order: int, job: Callable[[], Awaitable[T]]) -> T:
        """Run `job` once every earlier-numbered job of `key` has finished.

        Args:
            key: Whose job this is (a person or a chat).
            order: Its position; lower runs first among jobs waiting for the same key.
            job: What to run.
        """
        lane = self._lanes.get(key)
        if lane is None:  # the key is idle: run at once
            lane = self._lanes[key] = _Lane(busy=True)
        else:
            await self._wait_turn(key, lane, order)
        try:
            return await job()
        finally:
            await self._release(key, lane)

    async def _wait_turn(self, key: Hashable, lane: _Lane, order: int) -> None:
        if lane.turn is None:
            lane.turn = asyncio.Condition()
        turn = lane.turn
        heapq.heappush(lane.waiting, order)
        try:
            async with turn:
                await turn.wait_for(lambda: not lane.busy and lane.waiting[0] == order)
                heapq.heappop(lane.waiting)
                lane.busy = True
        except BaseException:
            # Cancelled while waiting: leave the queue without blocking the others.
            lane.waiting.remove(order)
            heapq.heapify(lane.waiting)
            async with turn:
                self._retire_if_idle(key, lane)
                turn.notify_all()
            raise

    async def _release(self, key: Hashable, lane: _Lane) -> None:
        lane.busy = False
        if lane.turn is None:  # nobody waited (a waiter makes the Condition before waiting)
            self._retire_if_idle(key, lane)
            return
        async with lane.turn:
            self._retire_if_idle(key, lane)
            lane.turn.notify_all()

    def _retire_if_idle(self, key: Hashable, lane: _Lane) -> None:
        if not lane.waiting and not lane.busy:
            self._lanes.pop(key, None)
