"""The aiohttp application that serves the Bot API, file downloads and the control API."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from aiohttp import web

from bot.emulator.control import WORLD_KEY, add_control_routes
from bot.emulator.dispatch import call_method, log_error
from bot.emulator.errors import ApiError, unauthorized
from bot.emulator.params import read_params
from bot.emulator.webhook import WebhookDeliverer
from bot.emulator.world import World


async def _bot_api(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    method = request.match_info["method"]
    if request.match_info["token"] != world.token:
        error = unauthorized()
        return web.json_response(error.to_json(), status=error.code)
    try:
        params = await read_params(request)
    except ApiError as error:
        log_error(world, method, {}, error)
        return web.json_response(error.to_json(), status=error.code)
    status, body = await call_method(world, method, params)
    return web.json_response(body, status=status)


async def _download(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    if request.match_info["token"] != world.token:
        error = unauthorized()
        return web.json_response(error.to_json(), status=error.code)
    stored = world.file_by_path(request.match_info["file_path"])
    if stored is None:
        error = ApiError(404, "Not Found")
        return web.json_response(error.to_json(), status=error.code)
    return web.Response(
        body=stored.data, content_type=stored.mime_type or "application/octet-stream"
    )


def build_app(world: World) -> web.Application:
    """Builds the emulator's aiohttp application for a world.

    Args:
        world: The state the server exposes.

    Returns:
        The application, with ``/bot<token>/<method>``, ``/file/bot<token>/<path>`` and
        ``/_control/...`` routes.
    """
    app = web.Application(client_max_size=50 * 1024 * 1024)
    app[WORLD_KEY] = world
    app.router.add_route("*", "/bot{token}/{method}", _bot_api)
    app.router.add_get("/file/bot{token}/{file_path:.+}", _download)
    add_control_routes(app)
    return app


@dataclass
class RunningEmulator:
    """An emulator serving on a port.

    Attributes:
        world: Its state and control API.
        base_url: ``http://host:port``, for aiogram's ``TelegramAPIServer.from_base``; PTB
            takes ``base_url + "/bot"`` and ``base_url + "/file/bot"``.
    """

    world: World
    base_url: str
    _runner: web.AppRunner
    _deliverer: asyncio.Task[None]

    @property
    def token(self) -> str:
        """The bot token the emulator accepts."""
        return self.world.token

    async def stop(self) -> None:
        """Releases waiting requests and shuts the server down."""
        self.world.close()
        self._deliverer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._deliverer
        await self._runner.cleanup()


async def start_emulator(world: World, host: str = "127.0.0.1", port: int = 0) -> RunningEmulator:
    """Starts serving a world over HTTP.

    Args:
        world: The emulated Telegram.
        host: Interface to bind.
        port: Port to bind; 0 picks a free one.

    Returns:
        The running emulator (call ``await stop()`` when done).
    """
    runner = web.AppRunner(build_app(world), shutdown_timeout=1.0, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_host, bound_port = runner.addresses[0][:2]
    deliverer = asyncio.create_task(WebhookDeliverer(world).run(), name="emulator-webhook")
    return RunningEmulator(world, f"http://{bound_host}:{bound_port}", runner, deliverer)


async def serve_forever(
    host: str = "127.0.0.1", port: int = 8081, token: str | None = None
) -> None:
    """Runs an emulator until cancelled, for ``townsquare emulator``.

    Prints the base URL and the token to configure the bot with, one per line.

    Args:
        host: Interface to bind.
        port: Port to bind.
        token: The token to accept (a default test token when None).
    """
    running = await start_emulator(World(token=token), host, port)
    print(f"Bot API emulator: {running.base_url}", flush=True)
    print(f"Bot token: {running.token}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await running.stop()
