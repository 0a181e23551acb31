"""Live results: votes schedule a coalesced refresh that recounts and edits every copy.

A vote never edits the group message itself. It schedules a `poll.refresh` job for the end of
the current few-second slot; the job key is the poll and the slot, so however many votes arrive
in one slot, one job runs (the `Schedule` effect is idempotent per key). Each copy is therefore
edited at most once a slot, and the refresh after the last vote recounts from the database, so
what a group shows is exact a few seconds after the last vote.

Only group copies (`poll_posts`) are refreshed. Private copies sent to a segment are outbox
rows, not posts, and are left alone: a tap would otherwise cost thousands of edits (see
`flows/poll/private_copies.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from flows.config import CommunityConfig
from flows.effects import EditMessage, Effect, Schedule
from flows.i18n import Translator, translator
from flows.jobs import JobContext
from flows.poll.facts import rules_of
from flows.poll.message import poll_buttons, poll_text
from flows.poll.native import counted_copies, stop_copies
from flows.poll.tally import Tally, tally
from flows.router import Router
from storage.models import NativeMode, Poll, PollPost, PollStatus
from storage.uow import UnitOfWork

REFRESH = "poll.refresh"
# A copy still waiting in the outbox has no message id yet; look again while it may still go.
AWAIT_POST = timedelta(minutes=30)


def group_translator(config: CommunityConfig) -> Translator:
    """Texts in groups are in the community's language: a group has no one language of its own."""
    return translator(config.default_language)


async def current_tally(uow: UnitOfWork, poll: Poll) -> Tally:
    """Count the poll's ballots as they are in the database now.

    A native poll sent anonymous has no ballots: its result is Telegram's counts of its copies.
    """
    if poll.native is NativeMode.COUNTS:
        return counted_copies(poll, await uow.polls.posts(poll.id))
    return tally(rules_of(poll), await uow.ballots.choices(poll.id))


def schedule_refresh(
    effects: list[Effect], poll_id: int, now: datetime, config: CommunityConfig
) -> None:
    """Ask for the poll's copies to be brought up to date at the end of the current slot.

    Slots are `config.poll_refresh_seconds` long (5 s by default: one edit a message a slot
    is 12 a minute, under Telegram's 20 a group).
    """
    seconds = config.poll_refresh_seconds
    slot = int(now.timestamp()) // seconds
    effects.append(
        Schedule(
            kind=REFRESH,
            due_at=datetime.fromtimestamp((slot + 1) * seconds, UTC),
            key=f"{poll_id}:{slot}",
            data={"poll": poll_id},
        )
    )


async def refresh_copies(
    uow: UnitOfWork,
    poll: Poll,
    config: CommunityConfig,
    now: datetime,
    counted: Tally | None = None,
) -> list[Effect]:
    """Edit every copy of the poll to show the current count; retry later for unsent copies.

    Telegram draws a native poll's counts itself: its copies are only stopped once closed.
    """
    if poll.native:
        return _stop_native(await uow.polls.posts(poll.id), poll, config, now)
    if counted is None:
        counted = await current_tally(uow, poll)
    t = group_translator(config)
    text, buttons = poll_text(poll, counted, t, config), poll_buttons(poll, t, config)
    effects: list[Effect] = []
    waiting = False
    for post in await uow.polls.posts(poll.id):
        if post.message_id is None:
            waiting = waiting or now - post.posted_at < AWAIT_POST
            continue
        effects.append(
            EditMessage(
                chat_id=post.chat_id, message_id=post.message_id, text=text, buttons=buttons
            )
        )
    if waiting:  # in the slot under way: this job ran in an earlier one
        schedule_refresh(effects, poll.id, now, config)
    return effects


def _stop_native(
    posts: Sequence[PollPost], poll: Poll, config: CommunityConfig, now: datetime
) -> list[Effect]:
    if poll.status is not PollStatus.CLOSED:
        return []
    effects: list[Effect] = list(stop_copies(posts))
    if any(p.message_id is None and now - p.posted_at < AWAIT_POST for p in posts):
        schedule_refresh(effects, poll.id, now, config)  # stop copies still in the outbox later
    return effects


def register(router: Router) -> None:
    """Register the refresh job."""

    @router.job(REFRESH, max_lateness=None)
    async def refresh(job: JobContext) -> None:
        poll = await job.uow.polls.get(int(job.data["poll"]))
        if poll is not None:
            job.effects += await refresh_copies(job.uow, poll, job.config, job.now)
