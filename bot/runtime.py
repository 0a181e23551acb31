"""The composition root: settings → logging → database → engine → front end, wired once."""

from __future__ import annotations

import asyncio
import logging
import signal
from contextlib import suppress

from admin import build_router
from bot.command_menus import CommandMenus
from bot.config import Settings
from bot.frontends.base import FrontEnd
from bot.logging_setup import configure_logging
from bot.outbound import TelegramOutbound
from bot.telegram_api import ApiError
from flows.config import CommunityConfig
from flows.engine import Engine
from flows.i18n import available_languages
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
    )


async def serve(
    settings: Settings, stop: asyncio.Event, ready: asyncio.Event | None = None
) -> None:
    """Migrate, start the bot, and run until `stop` is set; updates under way finish first.

    Args:
        settings: The validated settings.
        stop: Set it to stop polling (signals do, in `run`).
        ready: Set once the bot polls (tests wait for it).

    Raises:
        SettingsError: BOT_TOKEN is not set.
        StartupError: Telegram (or TELEGRAM_API_URL) refused or could not be reached.
    """
    front_end = make_front_end(settings)
    await upgrade(settings.database_url)
    database = Database(settings.database_url)
    await front_end.open()
    try:
        try:
            me = await front_end.api.call("getMe", {})
        except ApiError as exc:
            raise StartupError(
                f"the Bot API at {settings.telegram_api_url} refused BOT_TOKEN or could not be "
                f"reached: {exc.description}"
            ) from None
        router = build_router()

        # The outbound path and the engine need each other; these late-bound callbacks let
        # either be built first.
        async def on_unreachable(telegram_id: int) -> None:
            await engine.report_unreachable(telegram_id)

        async def refresh_commands(telegram_id: int) -> None:
            await menus.publish_for(await engine.admin_for(telegram_id))

        outbound = TelegramOutbound(
            front_end.api, on_unreachable=on_unreachable, refresh_commands=refresh_commands
        )
        engine = Engine(database, router, outbound, community_config(settings, me["username"]))
        menus = CommandMenus(
            front_end.api, router, available_languages(), settings.default_language
        )
        try:
            await menus.publish_all(await engine.admins())
        except ApiError as exc:
            # Menus are a convenience; commands work without them.
            log.warning("command menus not published: %s", exc.description)
        log.info("@%s is polling via %s", me["username"], settings.bot_framework)
        if ready is not None:
            ready.set()
        await front_end.poll(engine.handle, me["username"], stop)
        log.info("stopped")
    finally:
        await front_end.close()
        await database.dispose()


def run(settings: Settings) -> None:
    """Run the bot until SIGINT or SIGTERM (the `townsquare run` command)."""
    setup_logging(settings)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with suppress(NotImplementedError):  # Windows has no loop signal handlers
                loop.add_signal_handler(signum, stop.set)
        await serve(settings, stop)

    asyncio.run(main())
