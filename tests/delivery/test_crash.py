"""A `townsquare run` process killed (SIGKILL) in the middle of a broadcast, then restarted."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from bot.emulator import RunningEmulator
from storage.models import OutboxStatus
from tests.bot_process import run_environment, townsquare_run
from tests.delivery.conftest import copies, drained, outbox_rows, people, seed_broadcast, wait_until

RECIPIENTS = 2000
CONCURRENCY = 8


async def test_a_broadcast_killed_mid_send_resumes_with_no_loss_and_few_repeats(
    framework: str, emulator: RunningEmulator, database_url: str, tmp_path: Path
) -> None:
    world = emulator.world
    everyone = people(world, RECIPIENTS)
    await seed_broadcast(database_url, everyone)
    env = run_environment(
        emulator,
        framework,
        database_url,
        # Fast enough for a short test; one message per person, so no chat limit is met.
        RATE_LIMIT_GLOBAL_PER_SECOND="2000",
        OUTBOX_CONCURRENCY=str(CONCURRENCY),
        # The restarted process takes over the dead one's rows after this long.
        OUTBOX_LEASE_SECONDS="3",
    )
    log = tmp_path / "bot.log"

    async def sent(count: int) -> bool:
        return sum(copies(world).values()) >= count

    async with townsquare_run(env, log) as first:
        await wait_until(lambda: sent(RECIPIENTS // 3), seconds=90, every=0.01)
        first.send_signal(signal.SIGKILL)
        await first.wait()
    before_kill = sum(copies(world).values())
    left_claimed = {
        row.chat_id for row in await outbox_rows(database_url) if row.status is OutboxStatus.SENDING
    }
    assert before_kill < RECIPIENTS, "killed too late to test anything"

    async with townsquare_run(env, log) as second:
        rows = await drained(database_url, seconds=120)
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), 30) == 0, log.read_text()

    received = copies(world)
    repeated = {chat for chat, count in received.items() if count > 1}
    repeats = sum(received[chat] - 1 for chat in repeated)
    print(
        f"\n{framework}: killed after {before_kill} of {RECIPIENTS} sends with "
        f"{len(left_claimed)} rows claimed; after the restart every recipient has it, "
        f"{repeats} repeated (at most {CONCURRENCY} allowed)"
    )
    assert set(received) == {person.id for person in everyone}, "a recipient got nothing"
    assert {row.status for row in rows} == {OutboxStatus.SENT}
    # Only a send under way at the kill can repeat: a row still claimed, at most one per sender.
    assert repeated <= left_claimed
    assert len(left_claimed) <= CONCURRENCY
    assert repeats <= CONCURRENCY
