"""Pytest plugin: an ``emulator`` fixture serving a fresh emulated Telegram per test.

Enable it with ``pytest_plugins = ["tests.emulator_fixtures"]`` in a conftest, or import the
fixture into one. The fixture yields a :class:`~bot.emulator.RunningEmulator` with ``.world``,
``.base_url`` and ``.token``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.emulator import RunningEmulator, World, start_emulator


@pytest.fixture
async def emulator() -> AsyncIterator[RunningEmulator]:
    """A Bot API emulator on a free local port, stopped after the test."""
    running = await start_emulator(World())
    try:
        yield running
    finally:
        await running.stop()
