"""Delivering an update a second time with the same update_id, as after a lost confirmation."""

from __future__ import annotations

import pytest

from bot.emulator import RunningEmulator
from tests.emulator.conftest import Api


async def test_a_confirmed_update_comes_again_with_its_id_then_is_confirmed(
    api: Api, emulator: RunningEmulator
) -> None:
    world = emulator.world
    alice, bob = world.user("Alice"), world.user("Bob")
    await world.send_text(alice, "/start")
    await world.send_text(bob, "hello")
    assert [u["update_id"] for u in await api.ok("getUpdates")] == [1, 2]
    assert await api.ok("getUpdates", offset=3) == []

    assert await world.redeliver_last(alice) == 1
    # The bot's offset is already past 1; Telegram sends it again all the same.
    [again] = await api.ok("getUpdates", offset=3)
    assert again["update_id"] == 1 and again["message"]["text"] == "/start"
    assert await api.ok("getUpdates", offset=3) == []  # handed out, then confirmed
    assert world.updates.pending_count == 0


async def test_a_redelivered_update_keeps_its_place_among_pending_ones(
    api: Api, emulator: RunningEmulator
) -> None:
    world = emulator.world
    alice = world.user("Alice")
    await world.send_text(alice, "one")
    assert [u["update_id"] for u in await api.ok("getUpdates")] == [1]
    await world.send_text(alice, "two")
    await world.redeliver(1)
    assert [u["update_id"] for u in await api.ok("getUpdates", offset=2)] == [1, 2]
    assert await api.ok("getUpdates", offset=3) == []


async def test_redelivering_what_was_never_queued_is_refused(emulator: RunningEmulator) -> None:
    world = emulator.world
    with pytest.raises(ValueError, match="no update 7"):
        await world.redeliver(7)
    with pytest.raises(ValueError, match="from chat"):
        await world.redeliver_last(world.user("Alice"), kind="callback_query")
