"""Closing a poll: votes freeze, every copy shows the final result, each group hears the outcome.

Private copies (a poll sent to a segment) are brought to the final result by outbox edits
(`flows/poll/private_copies.py`); their readers are not sent the outcome again.
"""

from __future__ import annotations

from datetime import datetime

from flows.config import CommunityConfig
from flows.effects import Broadcast, Effect, Schedule
from flows.i18n import Translator
from flows.jobs import JobContext
from flows.poll.facts import kind_of, option_labels
from flows.poll.kinds import PollKind
from flows.poll.live import current_tally, group_translator, refresh_copies
from flows.poll.private_copies import PRIVATE_END, close_private_copies
from flows.poll.tally import Tally
from flows.router import Router
from storage.models import Poll, PollStatus
from storage.uow import UnitOfWork

CLOSE = "poll.close"


def close_job(poll: Poll) -> Schedule:
    """The job that closes the poll at its closing time (runs however late, after downtime)."""
    assert poll.closes_at is not None
    return Schedule(kind=CLOSE, due_at=poll.closes_at, key=str(poll.id), data={"poll": poll.id})


async def close_poll(
    uow: UnitOfWork, poll: Poll, config: CommunityConfig, now: datetime
) -> list[Effect]:
    """Close an open poll (the caller holds its row lock) and return what to tell the groups.

    Returns:
        Edits of every group copy to the final result and the outcome posted in each group
        (private copies get their edits queued in the outbox here).
    """
    poll.status = PollStatus.CLOSED
    poll.closed_at = now
    poll.updated_at = now
    counted = await current_tally(uow, poll)
    # Copies still waiting in the outbox get the final text once they have gone out.
    effects = await refresh_copies(uow, poll, config, now, counted)
    chats = await uow.polls.chat_ids(poll.id)
    if chats:
        effects.append(
            Broadcast(
                batch=f"poll:{poll.id}:end",
                recipients=tuple((chat_id, None) for chat_id in chats),
                text=outcome_text(poll, counted, group_translator(config)),
            )
        )
    effects += await close_private_copies(uow, poll, config, now, counted)
    return effects


def outcome_text(poll: Poll, counted: Tally, t: Translator) -> str:
    """The outcome of a closed poll: the winner(s), the turnout, the quorum."""
    labels = option_labels(poll, t)
    lines = [t("The poll has closed: {question}", question=poll.question)]
    winners = [labels.get(option, option) for option in counted.leaders]
    if not winners:
        lines.append(t("Nobody voted."))
    elif len(winners) == 1:
        how = t(" (instant runoff)") if kind_of(poll) is PollKind.RANKED else ""
        lines.append(t("Result: {winner}", winner=winners[0]) + how)
    else:
        lines.append(t("Result: a tie between {winners}", winners=", ".join(winners)))
    lines.append(t.plural("{count} person voted.", "{count} people voted.", counted.voters))
    if poll.quorum:
        if counted.voters >= poll.quorum:
            lines.append(t("The quorum of {quorum} was met.", quorum=poll.quorum))
        else:
            lines.append(
                t(
                    "The quorum of {quorum} was not met: the result is not binding.",
                    quorum=poll.quorum,
                )
            )
    return "\n".join(lines)


def register(router: Router) -> None:
    """Register the closing job and its follow-up for private copies sent meanwhile."""

    @router.job(CLOSE, max_lateness=None)
    async def close_due(job: JobContext) -> None:
        poll = await job.uow.polls.get_locked(int(job.data["poll"]))
        if poll is not None and poll.status is PollStatus.OPEN:
            job.effects += await close_poll(job.uow, poll, job.config, job.now)

    @router.job(PRIVATE_END, max_lateness=None)
    async def close_copies_in_flight(job: JobContext) -> None:
        # Private copies that were being sent when the poll closed: edit those that went out.
        poll = await job.uow.polls.get(int(job.data["poll"]))
        if poll is not None and poll.status is PollStatus.CLOSED:
            counted = await current_tally(job.uow, poll)
            job.effects += await close_private_copies(job.uow, poll, job.config, job.now, counted)
