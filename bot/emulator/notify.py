"""A broadcast wake-up for coroutines waiting on emulator state to change."""

from __future__ import annotations

import asyncio


class Signal:
    """Wakes every waiter on each :meth:`notify`.

    A waiter checks its condition, then awaits :meth:`wait` with no await in between, so a
    change can never slip between the check and the wait (the event is swapped on notify).
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        """Wakes all current waiters."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> bool:  # noqa: ASYNC109 - a wake-up, not an I/O call
        """Waits for the next notify.

        Args:
            timeout: Seconds to wait at most.

        Returns:
            True if notified, False on timeout.
        """
        event = self._event
        if timeout <= 0:
            return False
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return False
        return True
