"""Webhook mode: an aiohttp server that Telegram POSTs updates to, plus `GET /healthz`.

Each update is handled completely (committed, replies sent) before the request is answered 200.
If the process dies first, Telegram gets no answer and delivers the update again, possibly to
another instance behind the same URL; the engine's update-id claim drops the repeat. The same
holds for both front ends: only turning the JSON into the framework's Update differs.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.frontends.base import EventHandler, FrontEnd, with_content
from bot.health import HealthReport
from bot.inbound import translate

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH = "/healthz"
SHUTDOWN_GRACE = 30.0
"""Seconds requests under way get to finish at shutdown before they are cancelled."""

UpdateHandler = Callable[[dict[str, Any]], Awaitable[None]]
"""Handles one update's JSON completely; returns when it is safe to confirm it."""
HealthProbe = Callable[[], Awaitable[HealthReport]]


def update_handler(front_end: FrontEnd, bot_username: str, on_event: EventHandler) -> UpdateHandler:
    """Return a handler that parses with the front end's framework, translates, and handles.

    An update that cannot be parsed or translated is logged and dropped: Telegram would only
    deliver the same bytes again, and holding it back would hold back the updates behind it.
    """

    async def handle(data: dict[str, Any]) -> None:
        try:
            event = translate(front_end.parse_update(data), bot_username)
        except Exception:
            log.exception("update %s could not be read; dropped", data.get("update_id"))
            return
        if event is not None:
            await on_event(await with_content(event, front_end.api))

    return handle


def build_app(
    *, path: str, secret: str, on_update: UpdateHandler, health: HealthProbe
) -> web.Application:
    """Build the application: `POST <path>` for updates, `GET /healthz` for health.

    Args:
        path: The path of WEBHOOK_URL (a reverse proxy forwards it unchanged).
        secret: WEBHOOK_SECRET; a request without exactly this header is refused with 403.
        on_update: Handles one update (see `update_handler`).
        health: Produces the health report.
    """

    async def receive(request: web.Request) -> web.Response:
        offered = request.headers.get(SECRET_HEADER, "")
        # Constant-time comparison: response timing must not reveal how much of a guess was right.
        if not hmac.compare_digest(offered.encode(), secret.encode()):
            log.warning("webhook request without the right secret from %s refused", request.remote)
            return web.Response(status=403, text="forbidden")
        try:
            data = await request.json()
        except ValueError:
            return web.Response(status=400, text="expected a JSON update")
        if not isinstance(data, dict):
            return web.Response(status=400, text="expected a JSON update")
        # Handled before answering: a 200 tells Telegram the update is done.
        await on_update(data)
        return web.Response(status=200)

    async def healthz(_request: web.Request) -> web.Response:
        report = await health()
        return web.json_response(report.to_json(), status=200 if report.healthy else 503)

    app = web.Application()
    app.router.add_post(path, receive)
    app.router.add_get(HEALTH_PATH, healthz)
    return app


class WebhookServer:
    """Serves an application on a host and port, and stops it gracefully."""

    def __init__(self, app: web.Application, host: str, port: int) -> None:
        """Prepare to serve `app` on `host:port` (nothing listens until `start`)."""
        # aiohttp keeps a handler running when its client disconnects (handler_cancellation is
        # off by default), so an update Telegram gave up waiting for is still finished.
        self._runner = web.AppRunner(
            app,
            handle_signals=False,  # the runtime owns signals
            shutdown_timeout=SHUTDOWN_GRACE,
            access_log=None,  # a line per update and per health probe would drown the bot's logs
        )
        self._host = host
        self._port = port

    async def start(self) -> None:
        """Listen for requests."""
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()

    async def stop(self) -> None:
        """Stop accepting requests, let the ones under way finish, then close."""
        await self._runner.cleanup()
