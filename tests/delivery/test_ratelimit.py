"""The rate limiter, in virtual time: exact rates, fairness, bursts, 429 pauses, bypasses."""

from __future__ import annotations

import random
from collections import defaultdict

import pytest

from bot.ratelimit import GLOBAL_PAUSE, PRIVATE_BURST, PRUNE_EVERY, RateLimiter, ThrottledApi
from bot.telegram_api import RetryAfter
from tests.bot.fake_api import FakeApi
from tests.delivery.virtual_time import VirtualTime


@pytest.fixture
def time() -> VirtualTime:
    return VirtualTime()


def limiter(
    time: VirtualTime, total: float = 30, chat: float = 1, group: float = 20
) -> RateLimiter:
    return RateLimiter(
        global_per_second=total,
        chat_per_second=chat,
        group_per_minute=group,
        clock=time.clock,
        sleep=time.sleep,
    )


def at_most(times: list[float], count: int, window: float) -> bool:
    """Whether no `window` seconds (half-open, as Telegram counts) hold more than `count`."""
    ordered = sorted(times)
    return all(
        later - earlier >= window for earlier, later in zip(ordered, ordered[count:], strict=False)
    )


async def test_the_total_rate_holds_and_senders_are_served_in_order(time: VirtualTime) -> None:
    limits = limiter(time, total=10)
    sent: list[float] = []

    async def send(chat_id: int) -> None:
        await limits.acquire(chat_id)
        sent.append(time.now)

    await time.run(*(send(chat_id) for chat_id in range(1, 101)))
    assert sent == sorted(sent)  # first come, first served
    assert at_most(sent, 10, 1.0)
    assert sent[-1] == pytest.approx(99 * 1.05 / 10)  # no slot left unused


async def test_a_person_gets_a_short_burst_then_one_message_a_second(time: VirtualTime) -> None:
    limits = limiter(time)
    sent: list[float] = []

    async def reply() -> None:
        for _ in range(PRIVATE_BURST + 2):
            await limits.acquire(42)
            sent.append(time.now)

    await time.run(reply())
    assert sent[PRIVATE_BURST - 1] < 0.2  # a reply in parts goes out at once
    assert sent[PRIVATE_BURST] == pytest.approx(1.05)
    assert sent[PRIVATE_BURST + 1] == pytest.approx(2.1)


async def test_a_group_gets_its_per_minute_rate(time: VirtualTime) -> None:
    limits = limiter(time)
    sent: list[float] = []

    async def send() -> None:
        await limits.acquire(-100123)
        sent.append(time.now)

    await time.run(*(send() for _ in range(45)))
    assert at_most(sent, 20, 60.0)
    assert at_most(sent, 1, 1.0)
    assert sent[-1] < 2 * 60 + 15  # about 3 s apart, not more


async def test_a_chat_waiting_for_its_turn_does_not_hold_back_the_others(
    time: VirtualTime,
) -> None:
    limits = limiter(time)
    sent: dict[int, list[float]] = defaultdict(list)

    async def send(chat_id: int, count: int) -> None:
        for _ in range(count):
            await limits.acquire(chat_id)
            sent[chat_id].append(time.now)

    await time.run(send(1, PRIVATE_BURST + 1), send(2, 1), send(3, 1))
    assert sent[1][-1] == pytest.approx(1.05)
    # Chat 1's fourth message waits a second for its chat, without a total slot reserved.
    assert max(sent[2] + sent[3]) < 0.2


async def test_many_senders_to_mixed_chats_stay_within_every_limit(time: VirtualTime) -> None:
    limits = limiter(time, total=30, chat=1, group=20)
    rng = random.Random(7)
    chats = [rng.choice([*range(1, 40), -1, -2, -3]) for _ in range(600)]
    sent: dict[int, list[float]] = defaultdict(list)

    async def send(chat_id: int, delay: float) -> None:
        await time.sleep(delay)
        await limits.acquire(chat_id)
        sent[chat_id].append(time.now)

    await time.run(*(send(chat_id, rng.uniform(0, 20)) for chat_id in chats))
    everything = [t for times in sent.values() for t in times]
    assert len(everything) == 600
    assert at_most(everything, 30, 1.0)
    for chat_id, times in sent.items():
        if chat_id < 0:
            assert at_most(times, 20, 60.0) and at_most(times, 1, 1.0)
        else:
            assert at_most(times, PRIVATE_BURST, 1.0)


async def test_a_429_holds_its_chat_for_retry_after_and_the_others_briefly(
    time: VirtualTime,
) -> None:
    limits = limiter(time)
    sent: dict[int, float] = {}

    async def send(chat_id: int) -> None:
        await limits.acquire(chat_id)
        sent[chat_id] = time.now

    limits.back_off(1, retry_after=7)
    await time.run(send(1), send(2))
    assert sent[1] == pytest.approx(7)
    assert sent[2] == pytest.approx(GLOBAL_PAUSE)


async def test_only_messages_wait_and_a_429_from_telegram_holds_the_chat(
    time: VirtualTime,
) -> None:
    api = FakeApi()
    limits = limiter(time, total=1)
    throttled = ThrottledApi(api, limits)

    async def calls() -> None:
        await throttled.call("sendMessage", {"chat_id": 5, "text": "a"})
        for _ in range(3):
            await throttled.call("answerCallbackQuery", {"callback_query_id": "1"})
            await throttled.call("setMyCommands", {"commands": []})
        assert time.now == 0  # none of these counted
        await throttled.call("sendMessage", {"chat_id": 6, "text": "b"})
        assert time.now == pytest.approx(1.05)
        api.fail("sendMessage", RetryAfter(9))
        with pytest.raises(RetryAfter):
            await throttled.call("sendMessage", {"chat_id": 7, "text": "c"})
        await throttled.call("sendMessage", {"chat_id": 7, "text": "c"})

    await time.run(calls())
    assert time.now == pytest.approx(2 * 1.05 + 9)


async def test_idle_chats_are_forgotten(time: VirtualTime) -> None:
    limits = limiter(time, total=1000)
    for chat_id in range(1, PRUNE_EVERY + 1):
        time.now += 1.5  # every earlier chat has been idle longer than its interval
        await limits.acquire(chat_id)
    assert len(limits._chats) < 10
