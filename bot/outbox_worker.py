"""The outbox worker: sends the stored bulk messages at Telegram's pace and records each outcome.

One bookkeeping loop owns the database side. Each round is one small transaction that records
the outcome of every send that finished since the previous round, and claims due rows for the
senders that are free (a lease, so that a dead process's rows come back). Each claimed row is
sent by its own task through the outbound path and its rate limiter; when its send ends, the task
hands the outcome to the next round, which starts at once.

A sender's place is only taken again once its outcome is committed, so at any instant at most
`concurrency` messages can have reached Telegram without being recorded: a process killed then
leaves those rows claimed, another sender takes them over when their lease runs out, and they
are the only messages that can be delivered twice.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from bot.retry import RetryPolicy
from bot.telegram_api import TRANSIENT, ApiError, Forbidden, RetryAfter
from flows.ports import Clock, SystemClock
from storage.db import Database
from storage.models import OutboxStatus
from storage.repositories.outbox import Claimed, Outcome

log = logging.getLogger(__name__)

BULK_RETRY = RetryPolicy(
    transient_attempts=2, first_backoff=1.0, max_backoff=1.0, flood_waits=1, max_flood_wait=5.0
)
"""How long one bulk send keeps trying before its row goes back to the queue.

Shorter than for replies: a sender waiting minutes on one chat is a sender the rest of the batch
lacks, and the row comes back by itself with nothing lost.
"""

# A row that failed transiently comes back after FIRST_DELAY, doubling per attempt up to
# MAX_DELAY; after MAX_ATTEMPTS claims it is marked failed (a chat that never answers).
FIRST_DELAY = timedelta(seconds=5)
MAX_DELAY = timedelta(minutes=15)
MAX_ATTEMPTS = 10
# How often an idle worker looks for rows that came due by themselves (quiet hours ending,
# postponed rows, leases of a dead sender running out). New broadcasts wake it at once.
POLL_INTERVAL = 2.0
# A round that fails (the database restarting) is tried again this many seconds later; while
# stopping, after ROUND_ATTEMPTS failures the worker gives up and the lease takes over.
ROUND_RETRY_DELAY = 1.0
ROUND_ATTEMPTS = 3

UserCallback = Callable[[int], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Sent:
    """A stored message that went out, with what Telegram said worth keeping beside its id.

    Attributes:
        message_id: Telegram's id for the message.
        receipt: Kept in the row's payload under "receipt" (a native poll's `poll_id`, which
            its answers name instead of the chat and message).
    """

    message_id: int
    receipt: dict[str, Any] | None = None


class StoredSender(Protocol):
    """Sends one stored outbox message (implemented by `TelegramOutbound`)."""

    async def send_stored(self, chat_id: int, payload: Mapping[str, Any]) -> int | Sent:
        """Send it; return the message id (or a `Sent` with a receipt), or raise `ApiError`."""


def sender_id() -> str:
    """A name for this process's worker, unique across hosts, processes and restarts."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


class OutboxWorker:
    """Drains the outbox: claim, send, record, until stopped."""

    def __init__(
        self,
        database: Database,
        sender: StoredSender,
        *,
        on_unreachable: UserCallback,
        concurrency: int = 8,
        lease: timedelta = timedelta(seconds=60),
        name: str | None = None,
        clock: Clock | None = None,
        poll_interval: float = POLL_INTERVAL,
    ) -> None:
        """Wire the worker (`start` runs it).

        Args:
            database: Where the outbox lives.
            sender: The outbound path (with the bulk retry policy and the shared limiter).
            on_unreachable: Called with a person's Telegram id when their chat answered 403.
            concurrency: Sends under way at once (OUTBOX_CONCURRENCY).
            lease: How long a claimed row is ours (OUTBOX_LEASE_SECONDS); after that another
                sender may take it over. Each send is cut off at half of it, so a slow send is
                recorded well before anyone else can send the row again.
            name: This sender's id in `claimed_by` (unique per process by default).
            clock: Where time comes from (the system clock by default).
            poll_interval: Seconds between looks at the outbox while idle.
        """
        self._database = database
        self._sender = sender
        self._on_unreachable = on_unreachable
        self._concurrency = concurrency
        # With nothing to record, claim when a few senders are free rather than each time one is.
        self._claim_size = max(1, concurrency // 2)
        self._lease = lease
        self._send_deadline = lease.total_seconds() / 2
        self.name = name or sender_id()
        self._clock = clock or SystemClock()
        self._poll_interval = poll_interval
        self._sends: set[asyncio.Task[None]] = set()
        self._finished: list[Outcome] = []  # ended, not yet recorded: their senders are not free
        self._activity = asyncio.Event()  # a send ended, new rows were committed, or stop
        self._drained = False  # the last claim found fewer rows than it asked for
        self._stopping = False
        self._running: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Look at the outbox now (call after committing new rows)."""
        self._drained = False
        self._activity.set()

    def start(self) -> None:
        """Start draining in the background."""
        self._running = asyncio.create_task(self._run(), name=f"outbox {self.name}")

    async def stop(self) -> None:
        """Stop claiming; let the sends under way finish and be recorded, then return."""
        self._stopping = True
        self._activity.set()
        if self._running is not None:
            running, self._running = self._running, None
            await running

    async def _run(self) -> None:
        log.info("outbox worker %s started (%d senders)", self.name, self._concurrency)
        failures = 0
        while True:
            self._activity.clear()
            free = self._concurrency - len(self._sends)  # recorded in this round: free after it
            claim = 0 if self._stopping or self._drained else free
            # A round records what finished and fills every free sender. Without anything to
            # record, it waits until a few senders are free, unless none is busy.
            if not self._finished and (claim < self._claim_size and (self._sends or not claim)):
                if self._stopping and not self._sends:
                    break
                await self._idle()
                continue
            recorded, self._finished = self._finished, []
            try:
                claimed = await self._round(recorded, claim)
            except Exception:
                log.exception("outbox: round failed; %d outcomes kept for the next", len(recorded))
                self._finished = recorded + self._finished
                failures += 1
                if self._stopping and failures >= ROUND_ATTEMPTS:
                    unrecorded = len(self._finished)
                    log.error("outbox: %d sends unrecorded; sent again after the lease", unrecorded)
                    break
                await asyncio.sleep(ROUND_RETRY_DELAY)
                continue
            failures = 0
            self._drained = len(claimed) < claim
            for row in claimed:
                task = asyncio.create_task(self._send(row))
                self._sends.add(task)
                task.add_done_callback(self._sends.discard)
        log.info("outbox worker %s stopped", self.name)

    async def _idle(self) -> None:
        # Sleep until a send ends, new rows are committed or stop; when the outbox looked
        # empty, look again after the poll interval for rows that came due by themselves.
        with suppress(TimeoutError):
            async with asyncio.timeout(self._poll_interval):
                await self._activity.wait()
                return
        self._drained = False

    async def _round(self, recorded: list[Outcome], claim: int) -> list[Claimed]:
        """Record `recorded` and claim up to `claim` rows, in one transaction."""
        async with self._database.unit_of_work() as uow:
            now = self._clock.now()
            await uow.outbox.settle(recorded, now)
            claimed = await uow.outbox.claim(now, claim, self.name, self._lease) if claim else []
            await uow.commit()
        return claimed

    async def _send(self, row: Claimed) -> None:
        outcome = await self._attempt(row)
        if outcome.status is OutboxStatus.UNREACHABLE and row.chat_id > 0:
            try:
                await self._on_unreachable(row.chat_id)
            except Exception:
                log.exception("could not mark %s unreachable", row.chat_id)
        self._finished.append(outcome)
        self._activity.set()

    async def _attempt(self, row: Claimed) -> Outcome:
        try:
            async with asyncio.timeout(self._send_deadline):
                sent = await self._sender.send_stored(row.chat_id, row.payload)
        except Forbidden as exc:
            log.info("outbox: chat %s answered 403 (%s)", row.chat_id, exc.description)
            return Outcome(row.id, OutboxStatus.UNREACHABLE, error=exc.description)
        except RetryAfter as exc:
            # Telegram said exactly when this chat may be written to again.
            return self._retry(row, exc.description, timedelta(seconds=exc.retry_after))
        except TRANSIENT as exc:
            return self._retry(row, exc.description, self._backoff(row))
        except TimeoutError:
            # Cut off before the lease runs out; the message may or may not have gone.
            error = f"no answer within {self._send_deadline:.0f}s"
            return self._retry(row, error, self._backoff(row))
        except ApiError as exc:  # 400 and the like: sending it again would not help
            log.warning("outbox: row %s refused: %s", row.id, exc.description)
            return Outcome(row.id, OutboxStatus.FAILED, error=exc.description)
        except Exception as exc:
            log.exception("outbox: row %s could not be sent", row.id)
            return self._retry(row, repr(exc), self._backoff(row))
        if isinstance(sent, int):
            return Outcome(row.id, OutboxStatus.SENT, message_id=sent)
        payload = None if sent.receipt is None else {**row.payload, "receipt": sent.receipt}
        return Outcome(row.id, OutboxStatus.SENT, message_id=sent.message_id, payload=payload)

    @staticmethod
    def _backoff(row: Claimed) -> timedelta:
        doublings = max(row.attempts - 1, 0)
        return min(FIRST_DELAY * (1 << doublings), MAX_DELAY)

    def _retry(self, row: Claimed, error: str, delay: timedelta) -> Outcome:
        if row.attempts >= MAX_ATTEMPTS:
            log.warning("outbox: row %s given up after %d attempts", row.id, row.attempts)
            return Outcome(row.id, OutboxStatus.FAILED, error=f"{error} (gave up)")
        retry_at = self._clock.now() + delay
        log.info("outbox: row %s postponed to %s: %s", row.id, retry_at, error)
        return Outcome(row.id, OutboxStatus.PENDING, error=error, retry_at=retry_at)
