"""Webhook mode: the secret, onboarding through the webhook, registration and removal."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp
import pytest

from bot.config import Settings
from bot.emulator import RunningEmulator
from bot.webhook import SECRET_HEADER
from storage.db import Database
from tests.operations.support import (
    SECRET,
    BotProcess,
    free_port,
    start_update,
    wait_until,
    webhook_settings,
)


async def update_was_processed(database_url: str, update_id: int) -> bool:
    database = Database(database_url)
    try:
        async with database.unit_of_work() as uow:  # rolled back: only asks
            return not await uow.updates.claim(update_id, datetime.now(UTC))
    finally:
        await database.dispose()


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_onboarding_through_the_webhook(
    framework: str, emulator: RunningEmulator, base_settings: Settings
) -> None:
    world = emulator.world
    settings = webhook_settings(
        base_settings.model_copy(update={"bot_framework": framework}), free_port()
    )
    bot = BotProcess(settings)
    await bot.start()
    try:
        assert world.webhook.url == settings.webhook_url
        assert world.webhook.secret_token == SECRET
        ada = world.user("Ada")
        await world.send_text(ada, "/start")
        [welcome] = await world.wait_for(ada)
        assert welcome.text is not None and welcome.text.startswith("Welcome to")
        await world.wait_idle()
        assert not world.calls_of("getUpdates")
    finally:
        await bot.stop()
    # Several instances may share the URL: one stopping leaves the webhook in place.
    assert world.webhook.url == settings.webhook_url


@pytest.mark.parametrize("secret", [None, "wrong-secret", SECRET.upper()])
async def test_a_request_without_the_right_secret_is_refused_and_not_processed(
    secret: str | None, emulator: RunningEmulator, base_settings: Settings
) -> None:
    world = emulator.world
    settings = webhook_settings(base_settings, free_port())
    mallory = world.user("Mallory")
    mallory.started = True  # the bot could write to her, if it believed the forged update
    bot = BotProcess(settings)
    await bot.start()
    try:
        headers = {} if secret is None else {SECRET_HEADER: secret}
        url = f"http://127.0.0.1:{bot.port}/telegram/webhook"
        async with aiohttp.ClientSession() as session:
            async with session.post(
                url, json=start_update(9001, mallory), headers=headers
            ) as answer:
                assert answer.status == 403
            assert not await update_was_processed(settings.database_url, 9001)
            # The same update with the right secret is taken: the refusal was the secret's.
            headers = {SECRET_HEADER: SECRET}
            async with session.post(
                url, json=start_update(9001, mallory), headers=headers
            ) as answer:
                assert answer.status == 200
        assert await update_was_processed(settings.database_url, 9001)
        [welcome] = world.bot_messages(mallory)  # sent before the 200
        assert welcome.text is not None and welcome.text.startswith("Welcome to")
    finally:
        await bot.stop()


async def test_the_webhook_is_removed_on_stop_only_when_asked(
    emulator: RunningEmulator, base_settings: Settings
) -> None:
    world = emulator.world
    settings = webhook_settings(base_settings, free_port())
    bot = BotProcess(settings.model_copy(update={"webhook_delete_on_stop": True}))
    await bot.start()
    await bot.stop()
    assert world.webhook.url == ""
    # Polling makes sure no webhook is left over (Telegram refuses getUpdates while one is set).
    bot = BotProcess(settings)
    await bot.start()
    await bot.stop()
    assert world.webhook.url == settings.webhook_url
    bot = BotProcess(base_settings)
    await bot.start()
    try:
        assert world.webhook.url == ""
        ada = world.user("Ada")
        await world.send_text(ada, "/start")
        await world.wait_for(ada)  # the welcome: polling works again
    finally:
        await bot.stop()


async def test_stopping_lets_the_request_under_way_finish_then_refuses_new_ones(
    emulator: RunningEmulator, base_settings: Settings
) -> None:
    world = emulator.world
    bot = BotProcess(webhook_settings(base_settings, free_port()))
    await bot.start()
    # The welcome takes a second to be accepted: the stop comes while its update is handled.
    world.faults.add(method="sendMessage", error="timeout", hold=1.0, then_execute=True)
    ada = world.user("Ada")
    await world.send_text(ada, "/start")

    async def welcome_under_way() -> bool:
        return world.traffic.in_flight > 0

    await wait_until(welcome_under_way, "the welcome being sent")
    await bot.stop()  # what SIGTERM does in `townsquare run`
    [welcome] = world.bot_messages(ada)
    assert welcome.text is not None and welcome.text.startswith("Welcome to")
    assert world.updates.pending_count == 0  # answered 200: Telegram will not deliver it again
    assert world.webhook.last_error_message is None
    url = f"http://127.0.0.1:{bot.port}/telegram/webhook"
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectorError):
            await session.post(url, json=start_update(9002, ada), headers={SECRET_HEADER: SECRET})
