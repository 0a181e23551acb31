"""Delivery fixtures: people seeded with a broadcast waiting for them, transports, a running bot.

The outbox is filled directly in the database, as a committed `Broadcast` would have left it, and
the emulator's people have "started" the bot, so the bot may write to them.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.emulator import CallRecord, RunningEmulator, User, World
from bot.runtime import serve
from bot.telegram_api import BotApi
from flows.effects import Button, keyboard_to_data
from storage.db import Database
from storage.models import Member, MemberStatus, OutboxMessage, OutboxStatus
from storage.repositories.outbox import Recipient
from tests.bot_process import bot_api

BATCH = "announce:1"
TEXT = "The park reopens on Saturday."
PAYLOAD = {
    "text": TEXT,
    "buttons": keyboard_to_data(((Button("Read more", url="https://example.org/park"),),)),
}
START_TIMEOUT = 60.0


def people(world: World, count: int) -> list[User]:
    """`count` people who have started the bot."""
    found = []
    for index in range(count):
        person = world.user(f"Person {index}")
        person.started = True
        found.append(person)
    return found


async def seed_broadcast(database_url: str, recipients: Sequence[User], batch: str = BATCH) -> None:
    """Make `recipients` consenting members and queue one copy of PAYLOAD for each."""
    database = Database(database_url)
    now = datetime.now(UTC)
    try:
        async with database.unit_of_work() as uow:
            members = [
                Member(
                    telegram_id=person.id,
                    first_name=person.first_name,
                    language="en",
                    status=MemberStatus.ACTIVE,
                    consent_at=now,
                    created_at=now,
                    updated_at=now,
                )
                for person in recipients
            ]
            uow.session.add_all(members)
            await uow.flush()
            rows = [Recipient(m.telegram_id, m.id) for m in members if m.telegram_id]
            await uow.outbox.enqueue(batch, rows, PAYLOAD, now, now)
            await uow.commit()
    finally:
        await database.dispose()


async def outbox_rows(database_url: str) -> list[OutboxMessage]:
    database = Database(database_url)
    try:
        async with database.unit_of_work() as uow:
            query = select(OutboxMessage).order_by(OutboxMessage.id)
            return list((await uow.session.scalars(query)).all())
    finally:
        await database.dispose()


async def member_statuses(database_url: str) -> dict[int, MemberStatus]:
    database = Database(database_url)
    try:
        async with database.unit_of_work() as uow:
            members = (await uow.session.scalars(select(Member))).all()
            return {m.telegram_id: m.status for m in members if m.telegram_id is not None}
    finally:
        await database.dispose()


async def wait_until(
    condition: Callable[[], Awaitable[bool]], seconds: float = 60.0, every: float = 0.1
) -> None:
    """Wait until `condition()` holds (the outbox is another component's state: no event)."""
    async with asyncio.timeout(seconds):
        while not await condition():  # noqa: ASYNC110 - a database row, no event to await
            await asyncio.sleep(every)


async def drained(database_url: str, seconds: float = 60.0) -> list[OutboxMessage]:
    """Wait until no row is pending or being sent; return the rows."""
    rows: list[OutboxMessage] = []

    async def settled() -> bool:
        nonlocal rows
        rows = await outbox_rows(database_url)
        return all(r.status not in (OutboxStatus.PENDING, OutboxStatus.SENDING) for r in rows)

    await wait_until(settled, seconds, every=0.2)
    return rows


def copies(world: World, text: str = TEXT) -> Counter[int]:
    """How many copies of `text` each chat received."""
    return Counter(
        call.params["chat_id"]
        for call in world.calls_of("sendMessage")
        if call.ok and call.params.get("text") == text
    )


@dataclass(frozen=True)
class StampedCall:
    at: float
    call: CallRecord

    @property
    def retry_after(self) -> int | None:
        """The `retry_after` of a 429 answer (Telegram puts it in the description too)."""
        if self.call.error_code != 429 or self.call.description is None:
            return None
        found = re.search(r"retry after (\d+)", self.call.description)
        return int(found.group(1)) if found else None


def stamp_calls(world: World, monkeypatch: pytest.MonkeyPatch) -> list[StampedCall]:
    """Record when the emulator logged each call (CallRecord itself has no time)."""
    stamped: list[StampedCall] = []
    log_call = world.log_call

    def stamping(record: CallRecord) -> None:
        stamped.append(StampedCall(time.monotonic(), record))
        log_call(record)

    monkeypatch.setattr(world, "log_call", stamping)
    return stamped


@pytest.fixture(params=["aiogram", "ptb"])
def framework(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def transport(framework: str, emulator: RunningEmulator) -> AsyncIterator[BotApi]:
    """The framework's `BotApi`, pointed at the emulator."""
    async with bot_api(framework, emulator) as api:
        yield api


def settings_for(
    framework: str, emulator: RunningEmulator, database_url: str, **overrides: object
) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=emulator.token,
        bot_framework=framework,
        telegram_api_url=emulator.base_url,
        database_url=database_url,
        **overrides,
    )


@asynccontextmanager
async def running_bot(settings: Settings) -> AsyncIterator[None]:
    """The whole bot (`serve`, as `townsquare run` does) until the block ends."""
    stop, ready = asyncio.Event(), asyncio.Event()
    serving = asyncio.create_task(serve(settings, stop, ready))
    became_ready = asyncio.create_task(ready.wait())
    await asyncio.wait(
        {serving, became_ready}, timeout=START_TIMEOUT, return_when="FIRST_COMPLETED"
    )
    became_ready.cancel()
    if serving.done():
        serving.result()  # start-up failed: show why
    assert ready.is_set(), "the bot did not start"
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(serving, START_TIMEOUT)
