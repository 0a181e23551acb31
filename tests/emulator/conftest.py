from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.emulator import RunningEmulator


class Api:
    """Plain HTTP calls to the emulator, returning (status, body)."""

    def __init__(self, session: aiohttp.ClientSession, running: RunningEmulator) -> None:
        self.session = session
        self.running = running
        self.url = f"{running.base_url}/bot{running.token}"

    async def __call__(self, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
        async with self.session.post(f"{self.url}/{method}", json=params) as response:
            return response.status, await response.json()

    async def ok(self, method: str, **params: Any) -> Any:
        status, body = await self(method, **params)
        assert status == 200 and body["ok"], body
        return body["result"]

    async def error(self, method: str, **params: Any) -> tuple[int, str]:
        status, body = await self(method, **params)
        assert body["ok"] is False and body["error_code"] == status, body
        return status, body["description"]


@pytest.fixture
async def api(emulator: RunningEmulator) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(session, emulator)
