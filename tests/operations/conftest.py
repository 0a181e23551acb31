"""Operations fixtures: settings for the real bot against the emulator, on every engine."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.emulator import RunningEmulator

OWNER_ID = 1000


@pytest.fixture
def base_settings(emulator: RunningEmulator, database_url: str) -> Settings:
    """Polling settings for a bot against the emulator, on the test's database (aiogram)."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=emulator.token,
        telegram_api_url=emulator.base_url,
        database_url=database_url,
        owner_ids=frozenset({OWNER_ID}),
        # Tests move the clock and wait for what a tick does; a short tick keeps them quick.
        scheduler_tick_seconds=0.05,
    )
