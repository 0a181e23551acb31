"""The outbox worker on its own: outcomes per row, leases, graceful stop, two workers at once."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from bot.emulator import RunningEmulator
from bot.outbound import TelegramOutbound
from bot.outbox_worker import BULK_RETRY, FIRST_DELAY, MAX_ATTEMPTS, OutboxWorker
from bot.ratelimit import RateLimiter
from bot.telegram_api import BadRequest, BotApi, Forbidden, RetryAfter, ServerError
from storage.db import Database
from storage.models import OutboxMessage, OutboxStatus
from storage.repositories.outbox import Recipient
from tests.bot.fake_api import FakeApi
from tests.conftest import FakeClock
from tests.delivery.conftest import (
    PAYLOAD,
    copies,
    drained,
    outbox_rows,
    people,
    seed_broadcast,
)

LEASE = timedelta(seconds=60)


class ScriptedSender:
    """Sends nothing: answers each chat as planned and tells when `expected` sends were made."""

    def __init__(self, failures: dict[int, Exception], expected: int) -> None:
        self.failures = failures
        self.sent: list[int] = []
        self.expected = expected
        self.done = asyncio.Event()

    async def send_stored(self, chat_id: int, payload: Mapping[str, Any]) -> int:
        self.sent.append(chat_id)
        if len(self.sent) >= self.expected:
            self.done.set()
        if chat_id in self.failures:
            raise self.failures.pop(chat_id)
        return 1000 + chat_id


class Unreachable:
    def __init__(self) -> None:
        self.reported: list[int] = []

    async def __call__(self, telegram_id: int) -> None:
        self.reported.append(telegram_id)


async def enqueue(database: Database, clock: FakeClock, chats: list[int]) -> None:
    async with database.unit_of_work() as uow:
        recipients = [Recipient(chat_id) for chat_id in chats]
        await uow.outbox.enqueue("batch", recipients, PAYLOAD, clock.now(), clock.now())
        await uow.commit()


async def run_until(worker: OutboxWorker, sender: ScriptedSender) -> None:
    worker.start()
    await asyncio.wait_for(sender.done.wait(), 30)
    await worker.stop()


async def by_chat(database: Database) -> dict[int, OutboxMessage]:
    rows = await outbox_rows(database.url)
    return {row.chat_id: row for row in rows}


async def test_each_row_is_settled_with_its_own_outcome(
    database: Database, clock: FakeClock
) -> None:
    await enqueue(database, clock, [1, 2, -3, 4, 5, 6, 7])
    async with database.unit_of_work() as uow:  # a row tried many times already
        statement = update(OutboxMessage).where(OutboxMessage.chat_id == 7)
        await uow.session.execute(statement.values(attempts=MAX_ATTEMPTS - 1))
        await uow.commit()
    failures: dict[int, Exception] = {
        2: Forbidden("Forbidden: bot was blocked by the user"),
        -3: Forbidden("Forbidden: bot was kicked from the group chat"),
        4: BadRequest("Bad Request: chat not found"),
        5: RetryAfter(30),
        6: ServerError("Bad Gateway"),
        7: ServerError("Bad Gateway"),
    }
    sender, unreachable = ScriptedSender(failures, expected=7), Unreachable()
    worker = OutboxWorker(database, sender, on_unreachable=unreachable, lease=LEASE, clock=clock)
    await run_until(worker, sender)

    rows = await by_chat(database)
    assert (rows[1].status, rows[1].message_id, rows[1].sent_at) == (
        OutboxStatus.SENT,
        1001,
        clock.now(),
    )
    assert rows[2].status is rows[-3].status is OutboxStatus.UNREACHABLE
    assert unreachable.reported == [2]  # a person, not the group
    assert (rows[4].status, rows[4].last_error) == (
        OutboxStatus.FAILED,
        "Bad Request: chat not found",
    )
    assert (rows[5].status, rows[5].not_before) == (
        OutboxStatus.PENDING,
        clock.now() + timedelta(seconds=30),  # Telegram's retry_after
    )
    assert (rows[6].status, rows[6].not_before) == (OutboxStatus.PENDING, clock.now() + FIRST_DELAY)
    assert rows[7].status is OutboxStatus.FAILED and "gave up" in (rows[7].last_error or "")
    assert all(row.claimed_until is None for row in rows.values())

    clock.advance(seconds=30)
    sender = ScriptedSender({}, expected=2)
    worker = OutboxWorker(database, sender, on_unreachable=unreachable, lease=LEASE, clock=clock)
    await run_until(worker, sender)
    rows = await by_chat(database)
    assert sorted(sender.sent) == [5, 6]
    assert rows[5].status is rows[6].status is OutboxStatus.SENT
    assert rows[5].attempts == 2


async def test_rows_of_a_dead_sender_are_taken_over_when_its_lease_runs_out(
    database: Database, clock: FakeClock
) -> None:
    await enqueue(database, clock, [1, 2, 3])
    async with database.unit_of_work() as uow:
        await uow.outbox.claim(clock.now(), 2, "dead", LEASE)
        await uow.commit()
    sender = ScriptedSender({}, expected=1)
    worker = OutboxWorker(database, sender, on_unreachable=Unreachable(), lease=LEASE, clock=clock)
    await run_until(worker, sender)
    assert sender.sent == [3]  # the dead sender's two rows are still leased

    clock.advance(seconds=61)
    sender = ScriptedSender({}, expected=2)
    worker = OutboxWorker(database, sender, on_unreachable=Unreachable(), lease=LEASE, clock=clock)
    await run_until(worker, sender)
    assert sorted(sender.sent) == [1, 2]
    assert {row.status for row in (await by_chat(database)).values()} == {OutboxStatus.SENT}


class GatedSender:
    """Holds every send until `release`, so a stop can arrive while sends are under way."""

    def __init__(self, in_flight: int) -> None:
        self.started: list[int] = []
        self.all_started = asyncio.Event()
        self.gate = asyncio.Event()
        self._in_flight = in_flight

    async def send_stored(self, chat_id: int, payload: Mapping[str, Any]) -> int:
        self.started.append(chat_id)
        if len(self.started) == self._in_flight:
            self.all_started.set()
        await self.gate.wait()
        return chat_id


async def test_a_stop_lets_the_sends_under_way_finish_and_claims_nothing_more(
    database: Database, clock: FakeClock
) -> None:
    await enqueue(database, clock, list(range(1, 31)))
    sender = GatedSender(in_flight=4)
    worker = OutboxWorker(
        database, sender, on_unreachable=Unreachable(), concurrency=4, lease=LEASE, clock=clock
    )
    worker.start()
    await asyncio.wait_for(sender.all_started.wait(), 30)
    stopping = asyncio.create_task(worker.stop())
    for _ in range(20):
        await asyncio.sleep(0)  # turns of the loop: the stop must be waiting for the sends
    assert not stopping.done()
    sender.gate.set()
    await asyncio.wait_for(stopping, 30)

    rows = await outbox_rows(database.url)
    sent = [row.chat_id for row in rows if row.status is OutboxStatus.SENT]
    assert sorted(sent) == sorted(sender.started) and len(sent) == 4
    assert {row.status for row in rows if row.chat_id not in sent} == {OutboxStatus.PENDING}
    assert all(row.claimed_until is None for row in rows)


async def test_stored_messages_keep_their_buttons_and_long_ones_are_split() -> None:
    api = FakeApi()
    outbound = TelegramOutbound(api, on_unreachable=Unreachable(), refresh_commands=Unreachable())
    button = {"text": "Read more", "url": "https://example.org"}
    long_text = ("word " * 600 + "\n\n") * 2  # two paragraphs, 3,000 characters each
    message_id = await outbound.send_stored(5, {"text": long_text, "buttons": [[button]]})
    assert [call.method for call in api.calls] == ["sendMessage", "sendMessage"]
    assert message_id == 2  # the last part, which carries the buttons
    assert "reply_markup" not in api.calls[0].params
    assert api.calls[1].params["reply_markup"] == {"inline_keyboard": [[button]]}


async def test_two_workers_drain_one_outbox_without_sending_anything_twice(
    emulator: RunningEmulator, transport: BotApi, database_url: str
) -> None:
    world = emulator.world
    recipients = people(world, 300)
    await seed_broadcast(database_url, recipients)
    workers, databases = [], []
    for name in ("instance-a", "instance-b"):
        database = Database(database_url)  # one pool each, as two processes have
        limiter = RateLimiter(global_per_second=1000, chat_per_second=1, group_per_minute=20)
        outbound = TelegramOutbound(
            transport,
            on_unreachable=Unreachable(),
            refresh_commands=Unreachable(),
            policy=BULK_RETRY,
            limiter=limiter,
        )
        worker = OutboxWorker(
            database, outbound, on_unreachable=Unreachable(), concurrency=4, name=name
        )
        databases.append(database)
        workers.append(worker)
    try:
        for worker in workers:
            worker.start()
        rows = await drained(database_url)
    finally:
        for worker in workers:
            await worker.stop()
        for database in databases:
            await database.dispose()

    received = copies(world)
    assert set(received) == {person.id for person in recipients}
    assert set(received.values()) == {1}, "a message was sent twice"
    assert {row.status for row in rows} == {OutboxStatus.SENT}
    assert {row.claimed_by for row in rows} == {"instance-a", "instance-b"}
    print(
        f"\ninstance-a sent {sum(r.claimed_by == 'instance-a' for r in rows)}, "
        f"instance-b {sum(r.claimed_by == 'instance-b' for r in rows)}; no repeat"
    )


async def test_a_stored_edit_edits_its_message_and_a_gone_one_is_not_sent_again() -> None:
    api = FakeApi()
    outbound = TelegramOutbound(api, on_unreachable=Unreachable(), refresh_commands=Unreachable())
    edit = {"edit": 77, "text": "Voting has closed.", "buttons": []}
    assert await outbound.send_stored(5, edit) == 77
    assert api.calls[0].method == "editMessageText"
    assert api.calls[0].params == {"chat_id": 5, "message_id": 77, "text": "Voting has closed."}
    # Already showing it, or deleted by its reader: done, and nobody is written to anew.
    api.fail("editMessageText", BadRequest("Bad Request: message is not modified"))
    api.fail("editMessageText", BadRequest("Bad Request: message to edit not found"))
    assert await outbound.send_stored(5, edit) == 77
    assert await outbound.send_stored(5, edit) == 77
    assert api.methods() == ["editMessageText"] * 3
    api.fail("editMessageText", BadRequest("Bad Request: chat not found"))
    with pytest.raises(BadRequest):
        await outbound.send_stored(5, edit)


async def test_edits_of_each_persons_copy_go_out_once(database: Database, clock: FakeClock) -> None:
    def edits_for(chats: list[int]) -> list[tuple[Recipient, dict[str, Any]]]:
        return [
            (Recipient(chat), {"edit": 100 + chat, "text": "Final", "buttons": []})
            for chat in chats
        ]

    async with database.unit_of_work() as uow:
        assert (
            await uow.outbox.enqueue_each("edits", edits_for([1, 2, 3]), clock.now(), clock.now())
            == 3
        )
        await uow.commit()
    api = FakeApi()
    outbound = TelegramOutbound(
        api, on_unreachable=Unreachable(), refresh_commands=Unreachable(), policy=BULK_RETRY
    )
    worker = OutboxWorker(
        database, outbound, on_unreachable=Unreachable(), lease=LEASE, clock=clock
    )
    worker.start()
    try:
        for _ in range(1500):
            rows = await by_chat(database)
            if all(row.status is OutboxStatus.SENT for row in rows.values()):
                break
            await asyncio.sleep(0.02)
    finally:
        await worker.stop()
    rows = await by_chat(database)
    assert {chat: row.message_id for chat, row in rows.items()} == {1: 101, 2: 102, 3: 103}
    assert sorted(call.params["message_id"] for call in api.calls) == [101, 102, 103]
    # Queued again (a closing run twice): the rows are there already, nothing is added.
    async with database.unit_of_work() as uow:
        assert (
            await uow.outbox.enqueue_each(
                "edits", edits_for([1, 2, 3, 4]), clock.now(), clock.now()
            )
            == 1
        )
        await uow.commit()
