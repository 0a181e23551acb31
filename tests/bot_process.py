"""The bot under test as a task in the test's event loop: `serve`, started and stopped on demand."""

from __future__ import annotations

import asyncio
import importlib
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.config import Settings
from bot.emulator import RunningEmulator
from bot.runtime import serve
from bot.telegram_api import BotApi
from flows.ports import Clock
from flows.router import Router

ROOT = Path(__file__).resolve().parents[1]
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


def run_environment(
    emulator: RunningEmulator, framework: str, database_url: str, **settings: str
) -> dict[str, str]:
    """The environment of a `townsquare run` process pointed at the emulator (no `.env`)."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "BOT_TOKEN": emulator.token,
        "BOT_FRAMEWORK": framework,
        "TELEGRAM_API_URL": emulator.base_url,
        "DATABASE_URL": database_url,
        "LOG_FORMAT": "json",
        **settings,
    }


@asynccontextmanager
async def townsquare_run(
    env: dict[str, str], log: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """A `townsquare run` process logging to `log`, killed at the end if it is still running."""
    with log.open("ab") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "from bot.cli import main; main()",
            "run",
            cwd=log.parent,
            env=env,
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@asynccontextmanager
async def bot_api(framework: str, emulator: RunningEmulator) -> AsyncIterator[BotApi]:
    """The framework's `BotApi` transport pointed at the emulator, closed afterwards."""
    if framework == "aiogram":
        from bot.aiogram_api import AiogramApi, make_aiogram_bot

        bot = make_aiogram_bot(emulator.token, emulator.base_url)
        yield AiogramApi(bot)
        await bot.session.close()
    else:
        from bot.ptb_api import PtbApi, make_ptb_bot

        ptb = make_ptb_bot(emulator.token, emulator.base_url)
        await ptb.initialize()
        yield PtbApi(ptb)
        await ptb.shutdown()
