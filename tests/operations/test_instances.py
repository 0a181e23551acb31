"""Several instances behind one webhook URL, on one database, behave as one bot."""

from __future__ import annotations

import asyncio
from collections import Counter

import aiohttp
import pytest

from bot.config import Settings
from bot.emulator import RunningEmulator
from bot.webhook import SECRET_HEADER
from tests.operations.support import SECRET, cluster, start_update


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_an_update_delivered_to_both_instances_is_handled_once(
    framework: str, emulator: RunningEmulator, base_settings: Settings
) -> None:
    world = emulator.world
    settings = base_settings.model_copy(update={"bot_framework": framework})
    async with cluster(settings) as bots:
        # An odd number of people: with deliveries alternating between the two instances, each
        # repeat below reaches the instance that did not get the original.
        people = [world.user(f"Person {n}") for n in range(5)]
        for person in people:
            await world.send_text(person, "/start")
            await world.wait_for(person)
        # Telegram delivers again when it missed the answer (a timeout, a crash before the 200).
        repeated = [await world.redeliver_last(person, "message") for person in people]
        await world.wait_idle()
        for update_id in repeated:
            assert {i for i, u in bots.proxy.forwarded if u == update_id} == {0, 1}

        # Both instances at the very same moment: one claims the update id, the other drops it.
        racer = world.user("Racer")
        racer.started = True
        update = start_update(50_000, racer)
        async with aiohttp.ClientSession(headers={SECRET_HEADER: SECRET}) as session:

            async def post(url: str) -> int:
                async with session.post(url, json=update) as answer:
                    return answer.status

            assert await asyncio.gather(post(bots.url_of(0)), post(bots.url_of(1))) == [200, 200]

    sent = Counter(call.params["chat_id"] for call in world.calls_of("sendMessage") if call.ok)
    assert sent == Counter({person.id: 1 for person in [*people, racer]})
    for person in [*people, racer]:
        [welcome] = world.bot_messages(person)
        assert welcome.text is not None and welcome.text.startswith("Welcome to")
