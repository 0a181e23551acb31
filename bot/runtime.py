"""The composition root: settings → logging → database → engine → front end, wired once."""

from __future__ import annotations

import asyncio
import logging
import signal
from contextlib import suppress
from datetime import timedelta
from urllib.parse import urlsplit

from admin import build_router
from bot.command_menus import CommandMenus
from bot.config import Settings
from bot.frontends.base import ALLOWED_UPDATES, FrontEnd
from bot.gc_tuning import tune_garbage_collection
from bot.health import HealthCheck
from bot.logging_setup import configure_logging
from bot.outbound import TelegramOutbound
from bot.outbox_worker import BULK_RETRY, OutboxWorker
from bot.ratelimit import RateLimiter
from bot.scheduler import Scheduler
from bot.telegram_api import ApiError
from bot.webhook import WebhookServer, build_app, update_handler
from flows.config import CommunityConfig
from flows.engine import Engine
from flows.i18n import available_languages
from flows.ports import Clock
from flows.router import Router
from storage.db import Database
from storage.migrate import upgrade

log = logging.getLogger(__name__)


class StartupError(Exception):
    """The bot cannot start; `str()` is the one line to show the operator."""


def setup_logging(settings: Settings) -> None:
    """Configure logging from the settings, redacting every secret they hold."""
    secrets = [s.get_secret_value() for s in (settings.bot_token, settings.webhook_secret) if s]
    configure_logging(level=settings.log_level, fmt=settings.log_format, secrets=secrets)


def make_front_end(settings: Settings) -> FrontEnd:
    """Return the front end BOT_FRAMEWORK names, pointed at TELEGRAM_API_URL."""
    token = settings.require_token().get_secret_value()
    # Imported here: each framework takes seconds to import, and only one of them is used.
    if settings.bot_framework == "ptb":
        from bot.frontends.ptb_frontend import PtbFrontEnd

        return PtbFrontEnd(token, settings.telegram_api_url)
    from bot.frontends.aiogram_frontend import AiogramFrontEnd

    return AiogramFrontEnd(token, settings.telegram_api_url)


def community_config(settings: Settings, bot_username: str) -> CommunityConfig:
    """Return the deployment facts the flows need."""
    return CommunityConfig(
        bot_username=bot_username,
        owner_ids=settings.owner_ids,
        default_language=settings.default_language,
        timezone=settings.community_timezone,
        community_name=settings.community_name,
        quiet_hours=settings.quiet_hours,
        pseudonym_key=settings.pseudonym_key(),
        poll_refresh_seconds=settings.poll_refresh_seconds,
    )


async def serve(
    settings: Settings,
    stop: asyncio.Event,
    ready: asyncio.Event | None = None,
    *,
    clock: Clock | None = None,
    router: Router | None = None,
) -> None:
    """Migrate, start the bot, and run until `stop` is set; updates under way finish first.

    Updates arrive by long polling, or by webhook when WEBHOOK_URL is set.

    Args:
        settings: The validated settings.
        stop: Set it to stop (signals do, in `run`).
        ready: Set once the bot receives updates (tests wait for it).
        clock: Where the engine's time comes from (the system clock by default; tests move it).
        router: The routing table (`build_router()` by default; tests add job kinds to it).

    Raises:
        SettingsError: BOT_TOKEN is not set.
        StartupError: Telegram (or TELEGRAM_API_URL) refused or could not be reached.
    """
    front_end = make_front_end(settings)
    await upgrade(settings.database_url)
    database = Database(settings.database_url)
    await front_end.open()
    scheduler: Scheduler | None = None
    outbox: OutboxWorker | None = None
    try:
        try:
            me = await front_end.api.call("getMe", {})
        except ApiError as exc:
            raise StartupError(
                f"the Bot API at {settings.telegram_api_url} refused BOT_TOKEN or could not be "
                f"reached: {exc.description}"
            ) from None
        router = router or build_router()

        # The outbound path and the engine need each other; these late-bound callbacks let
        # either be built first.
        async def on_unreachable(telegram_id: int) -> None:
            await engine.report_unreachable(telegram_id)

        async def refresh_commands(telegram_id: int) -> None:
            await menus.publish_for(await engine.admin_for(telegram_id))

        # One limiter for replies and bulk sends alike: Telegram counts them together.
        limiter = RateLimiter(
            global_per_second=settings.rate_limit_global_per_second,
            chat_per_second=settings.rate_limit_chat_per_second,
            group_per_minute=settings.rate_limit_group_per_minute,
        )
        outbound = TelegramOutbound(
            front_end.api,
            on_unreachable=on_unreachable,
            refresh_commands=refresh_commands,
            limiter=limiter,
        )
        bulk = TelegramOutbound(
            front_end.api,
            on_unreachable=on_unreachable,
            refresh_commands=refresh_commands,
            policy=BULK_RETRY,
            limiter=limiter,
        )
        outbox = OutboxWorker(
            database,
            bulk,
            on_unreachable=on_unreachable,
            concurrency=settings.outbox_concurrency,
            lease=timedelta(seconds=settings.outbox_lease_seconds),
            clock=clock,
        )
        engine = Engine(
            database,
            router,
            outbound,
            community_config(settings, me["username"]),
            clock,
            on_enqueued=outbox.wake,
        )
        outbox.start()
        menus = CommandMenus(
            front_end.api, router, available_languages(), settings.default_language
        )
        try:
            await menus.publish_all(await engine.admins())
        except ApiError as exc:
            # Menus are a convenience; commands work without them.
            log.warning("command menus not published: %s", exc.description)
        scheduler = Scheduler(
            engine,
            tick_seconds=settings.scheduler_tick_seconds,
            timezone=settings.community_timezone,
        )
        scheduler.start()
        if settings.webhook_url:
            await _receive_by_webhook(settings, front_end, engine, scheduler, stop, ready)
        else:
            await _receive_by_polling(settings, front_end, engine, stop, ready)
        log.info("stopped")
    finally:
        # Updates under way have finished; now the scheduler's round of jobs under way finishes.
        if scheduler is not None:
            await scheduler.stop()
        # Then the sends under way finish and are recorded, while the transport is still open.
        if outbox is not None:
            await outbox.stop()
        await front_end.close()
        await database.dispose()


async def _receive_by_polling(
    settings: Settings,
    front_end: FrontEnd,
    engine: Engine,
    stop: asyncio.Event,
    ready: asyncio.Event | None,
) -> None:
    """Long-poll until `stop` is set; updates under way finish before this returns."""
    try:
        # Telegram refuses getUpdates while a webhook is set (say, from an earlier deployment).
        await front_end.api.call("deleteWebhook", {})
    except ApiError as exc:
        raise StartupError(
            f"could not remove the webhook, so long polling cannot start: {exc.description}"
        ) from None
    username = engine.config.bot_username
    log.info("@%s is polling via %s", username, settings.bot_framework)
    if ready is not None:
        ready.set()
    await front_end.poll(engine.handle, username, stop)


async def _receive_by_webhook(
    settings: Settings,
    front_end: FrontEnd,
    engine: Engine,
    scheduler: Scheduler,
    stop: asyncio.Event,
    ready: asyncio.Event | None,
) -> None:
    """Serve the webhook until `stop` is set; requests under way finish before this returns."""
    assert settings.webhook_url is not None and settings.webhook_secret is not None  # validated
    url, secret = settings.webhook_url, settings.webhook_secret.get_secret_value()
    username = engine.config.bot_username
    app = build_app(
        path=urlsplit(url).path or "/",
        secret=secret,
        on_update=update_handler(front_end, username, engine.handle),
        health=HealthCheck(engine.database, scheduler, engine.clock).report,
    )
    server = WebhookServer(app, settings.webhook_host, settings.webhook_port)
    # Listening before registering: Telegram delivers as soon as the webhook is set.
    await server.start()
    try:
        params = {"url": url, "secret_token": secret, "allowed_updates": list(ALLOWED_UPDATES)}
        try:
            await front_end.api.call("setWebhook", params)
        except ApiError as exc:
            raise StartupError(f"Telegram refused the webhook {url}: {exc.description}") from None
        log.info("@%s receives updates at %s via %s", username, url, settings.bot_framework)
        if ready is not None:
            ready.set()
        await stop.wait()
        if settings.webhook_delete_on_stop:
            await _delete_webhook(front_end)
    finally:
        await server.stop()


async def _delete_webhook(front_end: FrontEnd) -> None:
    """Remove the webhook, so Telegram keeps updates queued until a bot asks for them again."""
    try:
        await front_end.api.call("deleteWebhook", {})
    except ApiError as exc:
        log.warning("the webhook was not removed: %s", exc.description)


def run(settings: Settings) -> None:
    """Run the bot until SIGINT or SIGTERM (the `townsquare run` command)."""
    setup_logging(settings)
    tune_garbage_collection()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with suppress(NotImplementedError):  # Windows has no loop signal handlers
                loop.add_signal_handler(signum, stop.set)
        await serve(settings, stop)

    asyncio.run(main())
