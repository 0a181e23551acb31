"""A broadcast meets a storm of 403s, then of 429s: the whole bot (`serve`) against the emulator.

Both front ends, on every database engine under test.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise

import pytest

from bot.emulator import RunningEmulator
from storage.models import MemberStatus, OutboxStatus
from tests.delivery.conftest import (
    copies,
    drained,
    member_statuses,
    people,
    running_bot,
    seed_broadcast,
    settings_for,
    stamp_calls,
)


async def test_a_403_storm_marks_the_blocked_unreachable_and_serves_everyone_else_once(
    framework: str, emulator: RunningEmulator, database_url: str
) -> None:
    world = emulator.world
    everyone = people(world, 150)
    blocked = everyone[::3]
    for person in blocked:
        person.blocked = True
    await seed_broadcast(database_url, everyone)

    settings = settings_for(framework, emulator, database_url, rate_limit_global_per_second=300)
    async with running_bot(settings):
        rows = await drained(database_url)

    blocked_ids = {person.id for person in blocked}
    received = copies(world)
    assert set(received) == {person.id for person in everyone} - blocked_ids
    assert set(received.values()) == {1}
    status = {row.chat_id: row.status for row in rows}
    assert {status[chat] for chat in blocked_ids} == {OutboxStatus.UNREACHABLE}
    assert {status[chat] for chat in received} == {OutboxStatus.SENT}
    members = await member_statuses(database_url)
    assert {members[chat] for chat in blocked_ids} == {MemberStatus.UNREACHABLE}
    assert {members[chat] for chat in received} == {MemberStatus.ACTIVE}
    [message] = world.bot_messages(everyone[1])
    [[button]] = message.buttons
    assert (button.text, button.url) == ("Read more", "https://example.org/park")


async def test_a_429_storm_is_waited_out_and_everyone_gets_one_copy(
    framework: str,
    emulator: RunningEmulator,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = emulator.world
    calls = stamp_calls(world, monkeypatch)
    everyone = people(world, 60)
    # Telegram allows less than the bot believes, and three chats are in flood control.
    world.rate_limit(per_second_total=20, per_chat_per_second=1, per_group_per_minute=20)
    for person in everyone[:3]:
        world.faults.add(method="sendMessage", chat_id=person.id, error=429, retry_after=2)
    await seed_broadcast(database_url, everyone)

    settings = settings_for(framework, emulator, database_url, rate_limit_global_per_second=40)
    async with running_bot(settings):
        rows = await drained(database_url)

    received = copies(world)
    assert set(received) == {person.id for person in everyone}
    assert set(received.values()) == {1}
    assert {row.status for row in rows} == {OutboxStatus.SENT}
    by_chat = defaultdict(list)
    for stamped in calls:
        if stamped.call.method == "sendMessage":
            by_chat[stamped.call.params["chat_id"]].append(stamped)
    refusals = 0
    for attempts in by_chat.values():
        for refused, next_try in pairwise(attempts):
            if refused.retry_after is not None:
                refusals += 1
                assert next_try.at - refused.at >= refused.retry_after, "retry_after ignored"
    assert refusals >= 3
    print(f"\n{framework}: {refusals} answers 429, every one waited out; 60 copies, no repeat")
