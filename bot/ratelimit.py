"""Telegram's sending limits, kept on our side so that replies and bulk sends rarely meet a 429.

Every message takes a slot in up to three buckets: the bot's total per second, its chat's per
second and, for groups, the group's per minute. Each bucket is a GCRA bucket (generic cell rate
algorithm): one number, the time its next slot frees up, which a send moves forward to reserve
its slot. Reserving is synchronous (nothing is awaited between reading and moving it), so any
number of concurrent senders need no lock, are served in the order they asked, and together
never exceed a rate.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.telegram_api import BotApi, Files, RetryAfter

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
ChatKey = int | str
"""A chat id, or a channel's `@username` (Telegram accepts both as `chat_id`)."""

COUNTED_METHODS = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "sendPhoto",
        "sendPoll",
        "sendMediaGroup",
        "copyMessage",
        "forwardMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "editMessageCaption",
    }
)
"""Calls that Telegram counts against the sending limits; every other call bypasses them.

Edits are counted too: in groups Telegram throttles them like messages (live poll results edit
a message many times), and counting them in private chats costs nothing noticeable.
"""

# Telegram counts a message when it arrives and we when it leaves; on the way, a request can
# overtake the one before it by a few tens of milliseconds. Treating every window as this much
# longer keeps that jitter from showing up as a 429, at the price of ~5% of the total rate.
WINDOW_MARGIN = 0.05
# A person's chat takes a short burst at once, so a reply in two or three parts is not held back
# a second per part; Telegram tolerates such bursts. After the burst, the per-chat rate holds.
PRIVATE_BURST = 3
# A 429 does not say which limit was hit. Its chat waits the whole `retry_after`; everyone else
# pauses at most this long, enough for Telegram's per-second count to drain in case the total
# was over, short enough that one busy chat does not stall the others.
GLOBAL_PAUSE = 1.0
# Idle chats are forgotten every so many reservations, so memory follows the active chats only.
PRUNE_EVERY = 4096


class _Bucket:
    """One GCRA bucket: `burst` slots at once, then one every `interval` seconds."""

    __slots__ = ("interval", "next_free", "tolerance")

    def __init__(self, interval: float, burst: int) -> None:
        self.interval = interval
        self.tolerance = (burst - 1) * interval
        self.next_free = -math.inf  # the "theoretical arrival time" of GCRA

    def ready_at(self) -> float:
        """The earliest time a slot is free."""
        return self.next_free - self.tolerance

    def take(self, at: float) -> None:
        """Reserve the slot at `at` (which must be `ready_at()` or later)."""
        self.next_free = max(self.next_free, at) + self.interval

    def hold(self, until: float) -> None:
        """Give out no slot before `until`, and no burst right after it."""
        self.next_free = max(self.next_free, until + self.tolerance)


class RateLimiter:
    """Waits for a free slot before each message: in total, per chat and per group."""

    def __init__(
        self,
        *,
        global_per_second: float,
        chat_per_second: float,
        group_per_minute: float,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        """Set the limits (RATE_LIMIT_* settings).

        Args:
            global_per_second: Messages per second, all chats together.
            chat_per_second: Messages per second to one chat (private chats may burst).
            group_per_minute: Messages per minute to one group (negative chat ids).
            clock: Monotonic seconds (tests pass a fake).
            sleep: How to wait (tests pass one that moves the fake clock).
        """
        self._chat_interval = (1 + WINDOW_MARGIN) / chat_per_second
        self._group_interval = (60 + WINDOW_MARGIN) / group_per_minute
        self._global = _Bucket((1 + WINDOW_MARGIN) / global_per_second, burst=1)
        self._chats: dict[ChatKey, _Bucket] = {}
        self._groups: dict[ChatKey, _Bucket] = {}
        self._clock = clock
        self._sleep = sleep
        self._reservations = 0

    async def acquire(self, chat_id: ChatKey) -> None:
        """Return when a message to `chat_id` may be sent; its slot is then taken."""
        while True:
            now = self._clock()
            at, reserved = self._reserve(chat_id, now)
            if at > now:
                await self._sleep(at - now)
            if reserved:
                return

    def back_off(self, chat_id: ChatKey, retry_after: float) -> None:
        """Telegram answered 429: hold `chat_id` for `retry_after`, everyone else briefly."""
        now = self._clock()
        self._chat(chat_id).hold(now + retry_after)
        self._global.hold(now + min(retry_after, GLOBAL_PAUSE))

    def _reserve(self, chat_id: ChatKey, now: float) -> tuple[float, bool]:
        """Reserve a slot for `chat_id`, or say when to ask again.

        A chat that must wait (its own rate, a 429) waits *before* the shared bucket is asked:
        a reservation there for a later time would leave that bucket's earlier slots unused.

        Returns:
            (time, True) when a slot at `time` was reserved; (time, False) when the chat's own
            buckets are not ready before `time` and nothing was reserved.
        """
        local = [self._chat(chat_id)]
        if _is_group(chat_id):
            local.append(self._group(chat_id))
        ready = max(bucket.ready_at() for bucket in local)
        if ready > now:
            return ready, False
        at = max(now, self._global.ready_at())
        for bucket in (self._global, *local):
            bucket.take(at)
        self._reservations += 1
        if self._reservations % PRUNE_EVERY == 0:
            self._prune(now)
        return at, True

    def _chat(self, chat_id: ChatKey) -> _Bucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            burst = 1 if _is_group(chat_id) else PRIVATE_BURST
            bucket = self._chats[chat_id] = _Bucket(self._chat_interval, burst)
        return bucket

    def _group(self, chat_id: ChatKey) -> _Bucket:
        bucket = self._groups.get(chat_id)
        if bucket is None:
            bucket = self._groups[chat_id] = _Bucket(self._group_interval, burst=1)
        return bucket

    def _prune(self, now: float) -> None:
        # A bucket whose next free slot has passed behaves exactly like a new one.
        for buckets in (self._chats, self._groups):
            for key in [key for key, bucket in buckets.items() if bucket.next_free <= now]:
                del buckets[key]


def _is_group(chat_id: ChatKey) -> bool:
    # People's private chats have their (positive) user id; groups, supergroups and channels
    # have negative ids, and channels may also be named by `@username`.
    return not (isinstance(chat_id, int) and chat_id > 0)


class ThrottledApi:
    """A `BotApi` that takes a slot from the limiter before every message it sends.

    Each attempt takes its own slot, retries included: Telegram counts every request.
    """

    def __init__(self, api: BotApi, limiter: RateLimiter) -> None:
        """Wrap `api`, pacing its message-sending calls with `limiter`."""
        self._api = api
        self._limiter = limiter

    async def call(self, method: str, params: dict[str, Any], files: Files | None = None) -> Any:
        """Wait for a slot if `method` counts as a message, then call it.

        Raises:
            ApiError: as the wrapped transport; a 429 also holds back the chat it names.
        """
        chat_id = params.get("chat_id") if method in COUNTED_METHODS else None
        if not isinstance(chat_id, int | str):
            return await self._api.call(method, params, files)
        await self._limiter.acquire(chat_id)
        try:
            return await self._api.call(method, params, files)
        except RetryAfter as exc:
            self._limiter.back_off(chat_id, exc.retry_after)
            raise

    async def download(self, file_id: str) -> bytes:
        """Fetch a file through the wrapped transport (downloads are not paced as messages)."""
        return await self._api.download(file_id)
