"""Running the real bot (`serve`) as one or several instances, and what the tests need around it."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from pydantic import SecretStr

from bot.config import Settings
from bot.emulator import User
from bot.webhook import SECRET_HEADER
from flows.ports import Clock
from flows.router import Router
from tests.bot_process import BotProcess

WAIT_TIMEOUT = 10.0
SECRET = "operations-test-secret"
WEBHOOK_PATH = "/telegram/webhook"


def free_port() -> int:
    """Return a local TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def webhook_settings(settings: Settings, port: int, url: str | None = None) -> Settings:
    """Return `settings` for webhook mode, listening on `port` and registering `url`.

    Telegram only posts to HTTPS, so Settings refuse anything else; the emulator also posts to
    plain HTTP, so tests set the URL past validation.
    """
    return settings.model_copy(
        update={
            "webhook_url": url or f"http://127.0.0.1:{port}{WEBHOOK_PATH}",
            "webhook_secret": SecretStr(SECRET),
            "webhook_host": "127.0.0.1",
            "webhook_port": port,
        }
    )


@dataclass
class RoundRobinProxy:
    """A reverse proxy in front of several instances, as a load balancer would be.

    Forwards each webhook POST (body and secret header) to the next instance in turn and
    answers with that instance's status; an instance that cannot be reached yields 502, so the
    sender (Telegram, the emulator) tries again.
    """

    targets: Sequence[str]
    forwarded: list[tuple[int, int]] = field(default_factory=list)
    """(instance index, update_id) of every request, in order."""
    _turn: int = 0
    _runner: web.AppRunner | None = None
    _session: aiohttp.ClientSession | None = None

    async def start(self) -> str:
        """Serve on a free port; return the URL to register as the webhook."""
        port = free_port()
        app = web.Application()
        app.router.add_post(WEBHOOK_PATH, self._forward)
        self._session = aiohttp.ClientSession()
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        return f"http://127.0.0.1:{port}{WEBHOOK_PATH}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        index, self._turn = self._turn, (self._turn + 1) % len(self.targets)
        body = await request.read()
        self.forwarded.append((index, int((await request.json())["update_id"])))
        headers = {SECRET_HEADER: request.headers.get(SECRET_HEADER, "")}
        headers["Content-Type"] = request.content_type
        try:
            async with self._session.post(
                self.targets[index], data=body, headers=headers
            ) as answer:
                return web.Response(status=answer.status, body=await answer.read())
        except aiohttp.ClientError:
            return web.Response(status=502)


@dataclass
class Cluster:
    """Several instances of the bot behind one webhook URL."""

    instances: list[BotProcess]
    proxy: RoundRobinProxy

    def url_of(self, index: int) -> str:
        """The address of one instance itself, bypassing the proxy."""
        return f"http://127.0.0.1:{self.instances[index].port}{WEBHOOK_PATH}"


@asynccontextmanager
async def cluster(
    settings: Settings,
    *,
    routers: Sequence[Router | None] = (None, None),
    clock: Clock | None = None,
) -> AsyncIterator[Cluster]:
    """Run one instance per entry of `routers` on one database, behind a round-robin proxy."""
    ports = [free_port() for _ in routers]
    proxy = RoundRobinProxy([f"http://127.0.0.1:{port}{WEBHOOK_PATH}" for port in ports])
    url = await proxy.start()
    instances = [
        BotProcess(webhook_settings(settings, port, url), clock=clock, router=router)
        for port, router in zip(ports, routers, strict=True)
    ]
    try:
        for instance in instances:
            await instance.start()
        yield Cluster(instances, proxy)
    finally:
        for instance in instances:
            await instance.stop()
        await proxy.stop()


def start_update(update_id: int, user: User, text: str = "/start") -> dict[str, Any]:
    """Return the JSON of a private message from `user`, as Telegram would post it."""
    entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {**user.chat_json()},
            "from": user.to_json(),
            "text": text,
            **({"entities": entities} if text.startswith("/") else {}),
        },
    }


async def wait_until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    """Wait until `condition` holds (checked every 20 ms), or fail saying `what` never happened.

    For state another component writes to the database, where there is no event to await.
    """
    try:
        async with asyncio.timeout(WAIT_TIMEOUT):
            while not await condition():  # noqa: ASYNC110 - rows in a database, no event
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"{what} did not happen within {WAIT_TIMEOUT}s") from None
