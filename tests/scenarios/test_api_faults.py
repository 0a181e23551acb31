"""Bot API failures through the real front ends: waited out or retried, never doubled."""

from __future__ import annotations

import time

import pytest

from bot.emulator.faults import FaultKind
from flows.onboarding.texts import WELCOME
from tests.scenarios.conftest import COMMUNITY, RunningBot
from tests.scenarios.people import EN, WAIT, Person, text_of


@pytest.mark.parametrize(
    ("error", "refused_with", "at_least"),
    [
        pytest.param(429, 429, 1.0, id="flood-429-retry-after-1"),
        pytest.param(500, 500, 0.0, id="server-error-500"),
        pytest.param("timeout", 504, 0.5, id="timeout"),
    ],
)
async def test_a_failed_send_is_retried_and_arrives_once(
    running_bot: RunningBot, error: FaultKind, refused_with: int, at_least: float
) -> None:
    world = running_bot.world
    ann = Person(world, world.user("Ann"))
    bob = Person(world, world.user("Bob"))
    # The server stalls 0.5 s on a "timeout", then gives up with 504 (Gateway Timeout).
    world.faults.add(method="sendMessage", chat_id=ann.id, error=error, retry_after=1, hold=0.5)

    started = time.monotonic()
    await ann.write("/start")
    await bob.write("/start")
    assert text_of(await bob.next_message()) == EN(WELCOME, community=COMMUNITY)  # unaffected
    welcome = await ann.next_message()
    waited = time.monotonic() - started
    assert text_of(welcome) == EN(WELCOME, community=COMMUNITY)
    assert waited >= at_least

    await world.wait_idle(timeout=WAIT)
    assert len(ann.chat()) == 1  # exactly one welcome, however many attempts it took
    attempts = [c for c in world.calls_of("sendMessage") if c.params["chat_id"] == ann.id]
    assert [c.error_code for c in attempts] == [refused_with, None]
    assert attempts[0].params == attempts[1].params  # the very same message, sent again

    # The conversation goes on normally afterwards.
    consent = await ann.tap(welcome, "English")
    assert text_of(consent).endswith("Do you agree?")
