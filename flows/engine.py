"""The engine: one inbound event in, one transaction, then effects out.

For every event it drops a repeated update id, loads the sender and their conversation, lets the
router's flow decide, commits, and only then hands the effects to the outbound path: a person
never sees "recorded" for a write that rolled back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flows.batcher import MicroBatcher
from flows.config import CommunityConfig
from flows.context import Context
from flows.effects import Broadcast, Effect, Schedule, SendMessage, Toast, keyboard_to_data
from flows.events import ButtonPressed, InboundEvent, Person
from flows.i18n import N_, match_language, translator
from flows.jobs import JobContext
from flows.ports import Clock, Outbound, SystemClock
from flows.router import Router
from flows.sequencer import KeyedSequencer
from storage.db import Database
from storage.models import (
    ConversationState,
    JobStatus,
    Member,
    MemberStatus,
    Role,
    ScheduledJob,
)
from storage.repositories.outbox import Recipient
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

# Telegram stops redelivering an update within a day; a week of ids is ample to drop repeats.
KEEP_UPDATE_IDS = timedelta(days=7)
# A job whose handler fails is tried again this much later, up to MAX_JOB_ATTEMPTS times.
JOB_RETRY_DELAY = timedelta(minutes=1)
MAX_JOB_ATTEMPTS = 3
# Updates of different people that arrive together are decided in one transaction, this many at
# most (a batch's cost is mostly per statement, so larger batches mostly add latency).
MAX_BATCH = 64
PARALLEL_BATCHES = 4

SOMETHING_WENT_WRONG = N_("Sorry, something went wrong on our side. Please try again in a moment.")


@dataclass(frozen=True, slots=True)
class Admin:
    """A member with an admin role, for publishing their command menu."""

    telegram_id: int
    role: Role
    language: str


class Engine:
    """Turns inbound events into committed state and delivered effects."""

    def __init__(
        self,
        database: Database,
        router: Router,
        outbound: Outbound,
        config: CommunityConfig,
        clock: Clock | None = None,
        on_enqueued: Callable[[], object] | None = None,
    ) -> None:
        """Wire the engine.

        Args:
            database: Where state lives.
            router: The flows' routing table.
            outbound: The one outbound path (called after commit).
            config: Deployment facts the flows need.
            clock: Where time comes from (the system clock by default).
            on_enqueued: Called after a commit that added outbox rows (wakes the outbox worker).
        """
        self.database = database
        self.router = router
        self.outbound = outbound
        self.config = config
        self.clock = clock or SystemClock()
        self._on_enqueued = on_enqueued
        self._sequencer = KeyedSequencer()
        # SQLite has one writer at a time anyway; PostgreSQL can commit a few batches at once.
        self._batcher = MicroBatcher(
            self._decide_all,
            max_size=MAX_BATCH,
            workers=PARALLEL_BATCHES if database.is_postgresql else 1,
        )

    async def handle(self, event: InboundEvent) -> None:
        """Handle one event; a person's events run strictly in update order."""
        key = event.sender.user_id if event.sender else event.chat.chat_id
        await self._sequencer.run(key, event.update_id, lambda: self._process(event))

    async def _process(self, event: InboundEvent) -> None:
        effects = await self._batcher.submit(event)
        if effects:
            await self.outbound.deliver(effects)

    async def prune_update_ids(self) -> int:
        """Forget update ids older than a week (the scheduler runs this daily).

        Returns:
            How many were forgotten.
        """
        async with self.database.unit_of_work() as uow:
            pruned = await uow.updates.prune(self.clock.now() - KEEP_UPDATE_IDS)
            await uow.commit()
        log.info("forgot %d old update ids", pruned)
        return pruned

    async def _decide_all(self, events: Sequence[InboundEvent]) -> list[list[Effect]]:
        """Decide a batch of events (of different people) in one transaction.

        If anything in the batch fails, the whole transaction is rolled back and each event is
        decided again in a transaction of its own, so one person's failure costs the others
        nothing but time and the failing one gets an apology.
        """
        if len(events) > 1:
            try:
                return await self._decide(events)
            except Exception:
                log.warning("a batch of %d updates failed; retrying one by one", len(events))
        return [await self._decide_alone(event) for event in events]

    async def _decide_alone(self, event: InboundEvent) -> list[Effect]:
        try:
            [effects] = await self._decide([event])
        except Exception:
            log.exception("update %s failed; nothing was committed", event.update_id)
            return self._apology(event)
        return effects

    async def _decide(self, events: Sequence[InboundEvent]) -> list[list[Effect]]:
        async with self.database.unit_of_work() as uow:
            now = self.clock.now()
            fresh = await uow.updates.claim_many([e.update_id for e in events], now)
            people = [e.sender.user_id for e in events if e.sender and e.update_id in fresh]
            members = await uow.members.get_many_with_state(people, for_update=True)
            contexts: list[Context | None] = []
            for event in events:
                if event.update_id in fresh:
                    member, state = self._member_of(event.sender, members)
                    contexts.append(Context(event, uow, self.config, now, member, state))
                else:
                    log.info("update %s repeated; dropped", event.update_id)
                    contexts.append(None)
            batch = [ctx for ctx in contexts if ctx is not None]
            if len(batch) > 1:
                for prefetch in self.router.prefetchers:
                    await prefetch(batch)
            decided = [[] if ctx is None else await self._dispatch(ctx) for ctx in contexts]
            await uow.commit()
        return decided

    async def _dispatch(self, ctx: Context) -> list[Effect]:
        await self.router.dispatch(ctx)
        deliverable = await self._store(ctx.uow, ctx.effects, ctx.now)
        event = ctx.event
        if isinstance(event, ButtonPressed) and not _answers(deliverable, event.callback_id):
            # Telegram shows a spinner on the button until the press is answered.
            deliverable.append(Toast(callback_id=event.callback_id))
        return deliverable

    async def _store(
        self, uow: UnitOfWork, effects: Sequence[Effect], now: datetime
    ) -> list[Effect]:
        """Persist the effects that are data (jobs, bulk sends); return the ones to deliver."""
        deliverable: list[Effect] = []
        for effect in effects:
            if isinstance(effect, Schedule):
                await uow.jobs.schedule(effect.kind, effect.key, effect.due_at, effect.data, now)
            elif isinstance(effect, Broadcast):
                await self._enqueue(uow, effect, now)
            else:
                deliverable.append(effect)
        return deliverable

    async def _enqueue(self, uow: UnitOfWork, broadcast: Broadcast, now: datetime) -> None:
        not_before = max(broadcast.not_before or now, now)
        quiet_until = None if broadcast.urgent else self.config.quiet_until(not_before)
        recipients = [Recipient(chat_id, member_id) for chat_id, member_id in broadcast.recipients]
        private = [r for r in recipients if r.chat_id > 0]  # people; groups have negative ids
        groups = [r for r in recipients if r.chat_id < 0]
        payload: dict[str, Any] = {
            "text": broadcast.text,
            "buttons": keyboard_to_data(broadcast.buttons),
        }
        if broadcast.poll is not None:
            payload["poll"] = broadcast.poll.to_data()
        # Quiet hours hold back what would wake a person; groups are read when people choose.
        await uow.outbox.enqueue(broadcast.batch, private, payload, quiet_until or not_before, now)
        await uow.outbox.enqueue(broadcast.batch, groups, payload, not_before, now)
        if self._on_enqueued is not None:
            uow.after_commit(self._on_enqueued)

    async def run_due_jobs(self, limit: int = 50) -> int:
        """Run the scheduled jobs that are due (the scheduler calls this every few seconds).

        Two instances never run the same job: on PostgreSQL due jobs are claimed with
        FOR UPDATE SKIP LOCKED, and SQLite lets one writer in at a time.

        Returns:
            How many due jobs were looked at (run, dropped as too late, or failed).
        """
        async with self.database.unit_of_work() as uow:
            now = self.clock.now()
            jobs = await uow.jobs.due(now, limit)
            deliverable: list[Effect] = []
            for job in jobs:
                deliverable += await self._run_job(uow, job, now)
            await uow.commit()
        if deliverable:
            await self.outbound.deliver(deliverable)
        return len(jobs)

    async def _run_job(self, uow: UnitOfWork, job: ScheduledJob, now: datetime) -> list[Effect]:
        job_type = self.router.jobs.get(job.kind)
        job.attempts += 1
        if job_type is None:
            log.error("job %s/%s has no handler; marked failed", job.kind, job.key)
            job.status, job.last_error, job.done_at = JobStatus.FAILED, "no handler", now
            return []
        if job_type.too_late(job.due_at, now):
            log.warning("job %s/%s was due at %s: too late, dropped", job.kind, job.key, job.due_at)
            job.status, job.done_at = JobStatus.DROPPED, now
            return []
        ctx = JobContext(uow, self.config, now, job.kind, job.key, job.due_at, dict(job.data))
        try:
            async with uow.savepoint():  # a failing job undoes only its own writes
                await job_type.handler(ctx)
                deliverable = await self._store(uow, ctx.effects, now)
        except Exception as exc:
            log.exception("job %s/%s failed (attempt %d)", job.kind, job.key, job.attempts)
            job.last_error = repr(exc)[:500]
            if job.attempts >= MAX_JOB_ATTEMPTS:
                job.status, job.done_at = JobStatus.FAILED, now
            else:
                job.due_at = now + JOB_RETRY_DELAY
            return []
        job.status, job.done_at = JobStatus.DONE, now
        return deliverable

    @staticmethod
    def _member_of(
        sender: Person | None, members: dict[int, tuple[Member, ConversationState | None]]
    ) -> tuple[Member | None, ConversationState | None]:
        if sender is None or sender.is_bot or sender.user_id not in members:
            return None, None
        member, state = members[sender.user_id]
        if member.status is not MemberStatus.ONBOARDING:
            # Keep names as Telegram shows them now (people rename themselves); assigning only
            # what changed keeps unchanged members out of the flush.
            for name in ("first_name", "last_name", "username"):
                if getattr(member, name) != getattr(sender, name):
                    setattr(member, name, getattr(sender, name))
        return member, state

    def _apology(self, event: InboundEvent) -> list[Effect]:
        sender = event.sender
        language = match_language(
            sender.language_code if sender else None, self.config.default_language
        )
        text = translator(language)(SOMETHING_WENT_WRONG)
        if isinstance(event, ButtonPressed):
            return [Toast(callback_id=event.callback_id, text=text, alert=True)]
        if event.chat.is_private:
            return [SendMessage(chat_id=event.chat.chat_id, text=text)]
        return []

    async def report_unreachable(self, telegram_id: int) -> None:
        """Mark a member unreachable after Telegram answered 403 (they blocked the bot)."""
        async with self.database.unit_of_work() as uow:
            member = await uow.members.get_by_telegram_id(telegram_id, for_update=True)
            if member is not None and member.status is MemberStatus.ACTIVE:
                member.status = MemberStatus.UNREACHABLE
                member.updated_at = self.clock.now()
                await uow.commit()
                log.info("member %s is unreachable (blocked the bot)", member.id)

    async def admins(self) -> list[Admin]:
        """Return everyone whose command menu includes admin commands (owners included)."""
        async with self.database.unit_of_work() as uow:
            members = await uow.members.with_roles([Role.MODERATOR, Role.ORGANISER])
            found = {
                m.telegram_id: Admin(m.telegram_id, Role(m.role), self._language(m))
                for m in members
                if m.telegram_id is not None and m.status is not MemberStatus.ERASED
            }
            for owner_id in self.config.owner_ids:
                owner = await uow.members.get_by_telegram_id(owner_id)
                found[owner_id] = Admin(owner_id, Role.OWNER, self._language(owner))
        return list(found.values())

    async def admin_for(self, telegram_id: int) -> Admin:
        """Return one person's role and language (for refreshing their command menu)."""
        async with self.database.unit_of_work() as uow:
            member = await uow.members.get_by_telegram_id(telegram_id)
        if telegram_id in self.config.owner_ids:
            role = Role.OWNER
        elif member is not None and member.status is not MemberStatus.ERASED:
            role = Role(member.role)
        else:
            role = Role.RESIDENT
        return Admin(telegram_id, role, self._language(member))

    def _language(self, member: Member | None) -> str:
        if member is not None and member.language:
            return member.language
        return self.config.default_language


def _answers(effects: Sequence[Effect], callback_id: str) -> bool:
    return any(isinstance(e, Toast) and e.callback_id == callback_id for e in effects)
