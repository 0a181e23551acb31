"""A poll sent privately to a segment: each person's own copy, what it shows, how it closes.

A private copy is a row of the outbox batch `poll:<id>:dm` (one per person, sent at Telegram's
pace, held back by quiet hours), not a `poll_posts` row: the outbox already keeps whom it went
to, its message id and its member, so /forget erases it with the rest of a person's outbox rows,
and everything that walks a poll's group copies (live refresh, delete, "posted in") leaves the
private ones alone.

A copy is not refreshed when others vote: with thousands of copies one tap would cost
thousands of edits. It shows what its reader may see when they last touched it: no results
when sent, their choice and the results (as visibility allows) when they tap in it, and the
final result once the poll has closed. On closing, copies still waiting in the outbox are
withdrawn (a closed poll is not sent), and every copy sent is edited by its own outbox row
(batch `poll:<id>:dm:end`, unique per chat, so a retry or a second run never edits twice).
Copies being sent at that moment are looked at again until their outcome is recorded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from flows.config import CommunityConfig
from flows.effects import Broadcast, Button, Effect, Keyboard, Schedule
from flows.i18n import N_, Translator, translator
from flows.poll.facts import is_one_tap, option_labels
from flows.poll.message import deep_link, poll_buttons, result_lines, subtitle
from flows.poll.tally import Tally
from storage.models import Member, Poll, PollStatus, PollVisibility
from storage.repositories.outbox import Recipient
from storage.repositories.polls import private_batch, private_end_batch
from storage.uow import UnitOfWork

PRIVATE_END = "poll.private_end"
# Copies claimed by a sender when the poll closed: look again once their outcome is recorded.
RECHECK = timedelta(seconds=30)
# A sender that died holds its rows until its lease runs out; past this, stop looking.
GIVE_UP = timedelta(days=1)

YOUR_VOTE = N_("Your vote: {choices}")
NOT_YET = N_("You see the results when you vote.")


def copy_text(
    poll: Poll,
    counted: Tally | None,
    t: Translator,
    config: CommunityConfig,
    chosen: Sequence[str] = (),
) -> str:
    """The text of a private copy: `counted` is None where its reader may not see results yet.

    Args:
        poll: The poll.
        counted: The results to show, or None.
        t: The reader's language.
        config: For the community's time zone.
        chosen: The reader's choices, shown after they tapped.
    """
    lines = [f"📊 {poll.question}", subtitle(poll, t), ""]
    if chosen:
        labels = option_labels(poll, t)
        lines += [t(YOUR_VOTE, choices=", ".join(labels[o] for o in chosen)), ""]
    if counted is not None:
        lines += result_lines(poll, counted, t)
        lines += ["", t.plural("{count} vote", "{count} votes", counted.voters)]
    if poll.status is PollStatus.CLOSED:
        lines.append(t("Voting has closed."))
        return "\n".join(lines)
    if poll.closes_at is not None:
        closes = poll.closes_at.astimezone(config.timezone).strftime("%Y-%m-%d %H:%M")
        lines.append(t("Voting closes {time}.", time=closes))
    if poll.visibility is PollVisibility.AFTER_CLOSE:
        lines.append(t("Results are shown when voting closes."))
    elif counted is None and is_one_tap(poll):
        lines.append(t(NOT_YET))
    return "\n".join(lines)


def copy_buttons(poll: Poll, t: Translator, config: CommunityConfig) -> Keyboard:
    """The buttons of a private copy: the group copy's for one-tap kinds, else Vote.

    Vote opens the private ballot right here (`/start poll-<id>`), as for someone who has
    started the bot; there is no group to tap in first.
    """
    if poll.status is PollStatus.CLOSED:
        return ()
    if is_one_tap(poll):
        return poll_buttons(poll, t, config)
    return ((Button(t("Vote"), url=config.deep_link(deep_link(poll))),),)


def results_after_tap(poll: Poll, chosen: Sequence[str]) -> bool:
    """Whether a reader who just tapped in their copy sees the results (per visibility)."""
    if poll.visibility is PollVisibility.ALWAYS:
        return True
    return poll.visibility is PollVisibility.AFTER_VOTE and bool(chosen)


def private_sends(poll: Poll, people: Sequence[Member], config: CommunityConfig) -> list[Broadcast]:
    """The private copies of a poll being published: one outbox batch, a send per language."""
    by_language: dict[str, list[tuple[int, int | None]]] = defaultdict(list)
    for member in people:
        if member.telegram_id is not None:
            language = member.language or config.default_language
            by_language[language].append((member.telegram_id, member.id))
    sends = []
    for language, recipients in by_language.items():
        t = translator(language)
        sends.append(
            Broadcast(
                batch=private_batch(poll.id),
                recipients=tuple(recipients),
                text=copy_text(poll, None, t, config),
                buttons=copy_buttons(poll, t, config),
            )
        )
    return sends


async def close_private_copies(
    uow: UnitOfWork, poll: Poll, config: CommunityConfig, now: datetime, counted: Tally
) -> list[Effect]:
    """Withdraw unsent copies of a closed poll and queue an edit to the final result per copy.

    Returns:
        A follow-up job while some copy is still being sent, else nothing.
    """
    await uow.polls.withdraw_private_copies(poll.id)
    texts: dict[str, str] = {}
    edits: list[tuple[Recipient, dict[str, Any]]] = []
    for copy in await uow.polls.private_copies(poll.id):
        language = copy.language or config.default_language
        if language not in texts:
            texts[language] = copy_text(poll, counted, translator(language), config)
        payload = {"edit": copy.message_id, "text": texts[language], "buttons": []}
        edits.append((Recipient(copy.chat_id, copy.member_id), payload))
    # An edit wakes nobody: quiet hours do not hold it back.
    await uow.outbox.enqueue_each(private_end_batch(poll.id), edits, now, now)
    closed_at = poll.closed_at or now
    if now - closed_at < GIVE_UP and await uow.polls.private_copies_sending(poll.id):
        return [
            Schedule(
                kind=PRIVATE_END,
                due_at=now + RECHECK,
                key=f"{poll.id}:{int(now.timestamp())}",
                data={"poll": poll.id},
            )
        ]
    return []
