"""The bot as an operator runs it: a separate `townsquare run` process, stopped by SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.emulator import RunningEmulator

ROOT = Path(__file__).resolve().parents[2]


async def wait_until(condition: Callable[[], object], seconds: float = 30.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - counters of another component, no event
            await asyncio.sleep(0.02)


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_sigterm_lets_the_update_in_flight_finish(
    framework: str, emulator: RunningEmulator, database_url: str, tmp_path: Path
) -> None:
    world = emulator.world
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "BOT_TOKEN": emulator.token,
        "BOT_FRAMEWORK": framework,
        "TELEGRAM_API_URL": emulator.base_url,
        "DATABASE_URL": database_url,
        "LOG_FORMAT": "json",
    }
    bot = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from bot.cli import main; main()",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await wait_until(lambda: world.calls_of("getUpdates"), seconds=60)
        # The welcome takes 1.5 s to be accepted: SIGTERM arrives while it is under way.
        world.faults.add(method="sendMessage", error="timeout", hold=1.5, then_execute=True)
        ada = world.user("Ada")
        await world.send_text(ada, "/start")
        await wait_until(lambda: world.traffic.in_flight > 0 and world.updates.pending_count == 0)
        bot.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(bot.communicate(), 30)
    finally:
        if bot.returncode is None:
            bot.kill()
            await bot.wait()
    logs = output.decode()
    assert bot.returncode == 0, logs
    [welcome] = world.bot_messages(ada)
    assert welcome.text is not None and welcome.text.startswith("Welcome to")
    assert emulator.token not in logs
    assert emulator.token.split(":")[1] not in logs
