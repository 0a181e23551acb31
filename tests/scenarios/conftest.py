"""Scenario fixtures: the real bot (runtime + front end) against the Bot API emulator.

`running_bot` is parametrised over both front ends and over every database engine under test
(SQLite, and PostgreSQL when TEST_DATABASE_URL is set, through `database_url`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from bot.config import Settings
from bot.emulator import RunningEmulator, World
from bot.runtime import serve

START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0
OWNER_ID = 1000


@dataclass
class RunningBot:
    """The bot under test, as a scenario sees it."""

    world: World
    framework: str
    settings: Settings


@pytest.fixture(params=["aiogram", "ptb"])
def framework(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def bot_settings(framework: str, emulator: RunningEmulator, database_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=emulator.token,
        bot_framework=framework,
        telegram_api_url=emulator.base_url,
        database_url=database_url,
        owner_ids=frozenset({OWNER_ID}),
        community_name="Riverside",
    )


@pytest.fixture
async def running_bot(
    framework: str, emulator: RunningEmulator, bot_settings: Settings
) -> AsyncIterator[RunningBot]:
    stop, ready = asyncio.Event(), asyncio.Event()
    serving = asyncio.create_task(serve(bot_settings, stop, ready))
    became_ready = asyncio.create_task(ready.wait())
    await asyncio.wait(
        {serving, became_ready}, timeout=START_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
    )
    became_ready.cancel()
    if serving.done():
        serving.result()  # start-up failed: show why
    assert ready.is_set(), f"the {framework} bot did not start within {START_TIMEOUT}s"
    try:
        yield RunningBot(emulator.world, framework, bot_settings)
    finally:
        stop.set()
        await asyncio.wait_for(serving, STOP_TIMEOUT)
