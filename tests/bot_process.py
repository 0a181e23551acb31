"""The bot under test as a task in the test's event loop: `serve`, started and stopped on demand."""

from __future__ import annotations

import asyncio
import importlib

from bot.config import Settings
from bot.runtime import serve
from flows.ports import Clock
from flows.router import Router

START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0
FRONT_ENDS = {"aiogram": "bot.frontends.aiogram_frontend", "ptb": "bot.frontends.ptb_frontend"}


class BotProcess:
    """One run of `serve` from bot/runtime.py; `stop` is like SIGTERM."""

    def __init__(
        self, settings: Settings, *, clock: Clock | None = None, router: Router | None = None
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._router = router
        self._stop = asyncio.Event()
        self._serving: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        return self.settings.webhook_port

    async def start(self) -> None:
        """Start serving; return once updates are received (or raise why start-up failed)."""
        # The runtime imports the framework lazily; importing aiogram takes seconds of CPU, which
        # on a loaded machine (`pytest -n 2` beside other jobs) must not count as start-up time.
        importlib.import_module(FRONT_ENDS[self.settings.bot_framework])
        ready = asyncio.Event()
        self._serving = asyncio.create_task(
            serve(self.settings, self._stop, ready, clock=self._clock, router=self._router)
        )
        became_ready = asyncio.create_task(ready.wait())
        await asyncio.wait(
            {self._serving, became_ready}, timeout=START_TIMEOUT, return_when="FIRST_COMPLETED"
        )
        became_ready.cancel()
        if self._serving.done():
            self._serving.result()  # start-up failed: show why
        framework = self.settings.bot_framework
        assert ready.is_set(), f"the {framework} bot did not start within {START_TIMEOUT}s"

    async def stop(self) -> None:
        """Stop receiving, let what is under way finish (updates, a scheduler round), close all."""
        if self._serving is None:
            return
        self._stop.set()
        serving, self._serving = self._serving, None
        await asyncio.wait_for(serving, STOP_TIMEOUT)
