"""The bot as an operator runs it: a separate `townsquare run` process, stopped by SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.emulator import RunningEmulator
from tests.bot_process import run_environment, townsquare_run


async def wait_until(condition: Callable[[], object], seconds: float = 30.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - counters of another component, no event
            await asyncio.sleep(0.02)


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_sigterm_lets_the_update_in_flight_finish(
    framework: str, emulator: RunningEmulator, database_url: str, tmp_path: Path
) -> None:
    world = emulator.world
    log = tmp_path / "bot.log"
    async with townsquare_run(run_environment(emulator, framework, database_url), log) as bot:
        await wait_until(lambda: world.calls_of("getUpdates"), seconds=60)
        # The welcome takes 1.5 s to be accepted: SIGTERM arrives while it is under way.
        world.faults.add(method="sendMessage", error="timeout", hold=1.5, then_execute=True)
        ada = world.user("Ada")
        await world.send_text(ada, "/start")
        await wait_until(lambda: world.traffic.in_flight > 0 and world.updates.pending_count == 0)
        bot.send_signal(signal.SIGTERM)
        await asyncio.wait_for(bot.wait(), 30)
    logs = log.read_text()
    assert bot.returncode == 0, logs
    [welcome] = world.bot_messages(ada)
    assert welcome.text is not None and welcome.text.startswith("Welcome to")
    assert emulator.token not in logs
    assert emulator.token.split(":")[1] not in logs
