"""The engine's own promises: repeats dropped, old update ids forgotten, presses always answered."""

from __future__ import annotations

from flows.effects import Toast
from flows.events import CommandReceived, UnsupportedMessage
from tests.flows.harness import Harness, person, private


async def test_update_ids_are_forgotten_after_a_week(harness: Harness) -> None:
    ada = person()
    await harness.command(ada, "help")  # update 1
    harness.clock.advance(days=8)
    await harness.command(ada, "help")  # update 2
    assert await harness.engine.prune_update_ids() == 1
    async with harness.database.unit_of_work() as uow:
        assert await uow.updates.claim(1, harness.clock.now())  # free again
        assert not await uow.updates.claim(2, harness.clock.now())


async def test_every_button_press_is_answered_exactly_once(harness: Harness) -> None:
    ada = person()
    for data in ("garbage", "1:topics.done:s", "1:lang:en"):
        effects = await harness.press(ada, data)
        assert len([e for e in effects if isinstance(e, Toast)]) == 1, data


async def test_messages_no_flow_reads_get_a_polite_answer(harness: Harness) -> None:
    ada = person()
    sticker = UnsupportedMessage(
        update_id=1, at=harness.clock.now(), chat=private(ada), sender=ada, message_id=5
    )
    [answer] = await harness.send(sticker)
    assert "only read text messages" in answer.text  # type: ignore[union-attr]


async def test_a_repeated_update_is_handled_once(harness: Harness) -> None:
    ada = person()
    event = CommandReceived(
        update_id=500,
        at=harness.clock.now(),
        chat=private(ada),
        sender=ada,
        command="start",
        args="",
        message_id=3,
    )
    assert await harness.send(event)
    assert await harness.send(event) == []  # Telegram redelivered it: nothing happens twice
    harness.restart()
    assert await harness.send(event) == []  # not even after a restart
