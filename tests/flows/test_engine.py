"""The engine's own promises: repeats dropped, old update ids forgotten, presses always answered."""

from __future__ import annotations

import asyncio

from admin import build_router
from flows.config import CommunityConfig
from flows.context import Context
from flows.effects import SendMessage, Toast
from flows.engine import Engine
from flows.events import CommandReceived, UnsupportedMessage
from flows.router import Audience
from storage.db import Database
from storage.uow import UnitOfWork
from tests.conftest import FakeClock
from tests.flows.harness import Harness, Recorder, person, private


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


async def test_people_writing_at_once_are_all_answered_in_shared_transactions(
    harness: Harness,
) -> None:
    people = [person(f"Resident {n}") for n in range(12)]
    for who in people:
        await harness.command(who, "start")
    opened = count_transactions(harness)
    answers = await asyncio.gather(*(harness.command(who, "help") for who in people))
    for who in people:
        replies = [e for e in harness.outbound.delivered if isinstance(e, SendMessage)]
        assert any(e.chat_id == who.user_id and "/privacy" in e.text for e in replies)
    assert all(answers)
    assert opened[0] < len(people)  # batched: fewer transactions than updates


async def test_one_failing_update_in_a_batch_costs_the_others_nothing(
    database: Database, clock: FakeClock
) -> None:
    router = build_router()

    @router.command("boom", "fails", audience=Audience.ANYONE)
    async def boom(ctx: Context, _args: str) -> None:
        ctx.say("half-way")
        raise RuntimeError("a bug")

    outbound = Recorder()
    engine = Engine(database, router, outbound, CommunityConfig("townsquare_test_bot"), clock)
    people = [person(f"Resident {n}") for n in range(6)]
    events = [
        CommandReceived(
            update_id=9000 + n,
            at=clock.now(),
            chat=private(who),
            sender=who,
            command="boom" if n == 2 else "help",
            args="",
            message_id=1,
        )
        for n, who in enumerate(people)
    ]
    await asyncio.gather(*(engine.handle(event) for event in events))

    by_chat = {e.chat_id: e.text for e in outbound.delivered if isinstance(e, SendMessage)}
    assert "something went wrong" in by_chat[people[2].user_id]
    assert "half-way" not in by_chat.values()
    assert all("/privacy" in by_chat[who.user_id] for n, who in enumerate(people) if n != 2)
    async with database.unit_of_work() as uow:
        # The others' updates are done for good; the failed one may be redelivered and retried.
        claimed = await uow.updates.claim_many([event.update_id for event in events], clock.now())
    assert claimed == {9002}


def count_transactions(harness: Harness) -> list[int]:
    """Count the units of work the engine opens from now on."""
    opened = [0]
    database = harness.database
    original = database.unit_of_work

    def counting() -> UnitOfWork:
        opened[0] += 1
        return original()

    database.unit_of_work = counting  # type: ignore[method-assign]
    return opened
