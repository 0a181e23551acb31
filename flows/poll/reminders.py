"""Reminders before a poll's deadline, once, to the eligible people who have not voted.

When a poll with a deadline is published, a `poll.remind` job is scheduled for a day before
the deadline, or half-way for a poll that runs less than two days (1 hour: after 30 minutes;
1 day: after 12 hours; 3 days and 1 week: 24 hours before). When it runs, while the poll is
still open, it writes privately to everyone the poll is meant for who started the bot (active,
not /stop-ped) and has no ballot: the members the bot knows in the poll's groups, the people
it was sent to privately, or the followers of its topic or area. The message goes through the
outbox (quiet hours hold it back) with a button to the poll: the group message for polls voted
there, the private ballot for the others. Someone who got a private copy is reminded with that
copy's own buttons instead, so they vote from the reminder without scrolling back. The job key
is the poll, and the outbox batch one per poll, so nobody is reminded twice.

An anonymous ballot is found by the pseudonym the person would vote under, computed here with
the secret, as a second vote would be refused: the bot learns that someone voted, never what.
Telegram's anonymous polls tell the bot nobody's vote, so they get no reminder (it could not
skip those who voted).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from flows.config import CommunityConfig
from flows.effects import Broadcast, Button, Keyboard, Schedule
from flows.i18n import N_, translator
from flows.jobs import JobContext
from flows.poll.facts import is_one_tap, is_open, voter_key
from flows.poll.message import deep_link
from flows.poll.private_copies import copy_buttons
from flows.router import Router
from storage.models import Member, NativeMode, Poll, PollAudience
from storage.uow import UnitOfWork

REMIND = "poll.remind"
BEFORE_DEADLINE = timedelta(hours=24)

REMINDER = N_("A reminder: the poll “{question}” closes on {time}, and you have not voted yet.")
IN_GROUP = N_("It is in the group {group}.")
OPEN_POLL = N_("Go to the poll")
VOTE = N_("Vote")


def reminder_due(opened_at: datetime, closes_at: datetime) -> datetime:
    """When to remind: a day before the deadline, or half-way for a poll shorter than two days."""
    return closes_at - min(BEFORE_DEADLINE, (closes_at - opened_at) / 2)


def remind_job(poll: Poll) -> Schedule | None:
    """The reminder job of a poll being published, or None when it gets no reminder."""
    if poll.closes_at is None or poll.opened_at is None or poll.native is NativeMode.COUNTS:
        return None
    return Schedule(
        kind=REMIND,
        due_at=reminder_due(poll.opened_at, poll.closes_at),
        key=str(poll.id),
        data={"poll": poll.id},
    )


def message_link(chat_id: int, message_id: int) -> str | None:
    """A t.me link to a message in a supergroup (opens for its members), or None.

    Telegram's links name a supergroup by its id without the -100 prefix; basic groups have no
    message links.
    """
    text = str(chat_id)
    if not text.startswith("-100") or len(text) <= 4:
        return None
    return f"https://t.me/c/{text[4:]}/{message_id}"


async def _audience(uow: UnitOfWork, poll: Poll) -> list[tuple[Member, int | None]]:
    """Who the poll is meant for and can be written to, each with a group of the poll or None."""
    in_groups: dict[int, int] = {}
    members: dict[int, Member] = {}
    for member, chat_id in await uow.polls.reachable_in_groups(poll.id):
        in_groups.setdefault(member.id, chat_id)
        members[member.id] = member
    if poll.audience is PollAudience.FOLLOWERS:
        if poll.followable_id is None:
            return []  # the topic is gone: nobody can vote any more
        followers = await uow.members.audience(poll.followable_id)
        return [(member, in_groups.get(member.id)) for member in followers]
    # "Everyone" may vote, but the bot reminds only those it knows the poll concerns: the
    # members of its groups and whoever it was sent to privately.
    for member in await uow.polls.private_recipients(poll.id):
        members.setdefault(member.id, member)
    return [(member, in_groups.get(member_id)) for member_id, member in members.items()]


async def not_voted(
    uow: UnitOfWork, poll: Poll, people: Sequence[tuple[Member, int | None]], secret: bytes
) -> list[tuple[Member, int | None]]:
    """The people among `people` without a ballot in the poll."""
    keys = {
        member.id: voter_key(poll, member.id, member.telegram_id, secret)
        for member, _ in people
        if member.telegram_id is not None
    }
    voted = await uow.ballots.cast_by(poll.id, set(keys.values()))
    return [(m, chat) for m, chat in people if m.id in keys and keys[m.id] not in voted]


async def reminders(
    uow: UnitOfWork, poll: Poll, config: CommunityConfig, now: datetime
) -> list[Broadcast]:
    """The reminders to send now: one broadcast per language and link, none if too late."""
    if not is_open(poll, now) or poll.native is NativeMode.COUNTS or poll.closes_at is None:
        return []
    arrives = config.quiet_until(now) or now
    if arrives >= poll.closes_at:
        return []  # quiet hours would hold it back until the poll has closed
    people = await not_voted(uow, poll, await _audience(uow, poll), config.pseudonym_key)
    sent_privately = {member.id for member in await uow.polls.private_recipients(poll.id)}
    links = {post.chat_id: post.message_id for post in await uow.polls.posts(poll.id)}
    titles = {chat.chat_id: chat.title for chat in await uow.chats.active()}
    # A follower the bot has not seen in any of the groups is pointed at the first copy: in a
    # public group the link opens it; otherwise the message still names the group.
    first = next((chat_id for chat_id, message_id in links.items() if message_id), None)
    # Keyed by language and where the poll is for them: a group, or their private copy.
    groups: dict[tuple[str, int | None, bool], list[tuple[int, int | None]]] = {}
    for member, chat_id in people:
        assert member.telegram_id is not None
        language = member.language or config.default_language
        key: tuple[str, int | None, bool] = (
            (language, None, True)
            if member.id in sent_privately
            else (language, chat_id if chat_id is not None else first, False)
        )
        groups.setdefault(key, []).append((member.telegram_id, member.id))
    sends = []
    for (language, chat_id, privately), recipients in groups.items():
        if privately:
            t = translator(language)
            text, buttons = _reminder(poll, config, language), copy_buttons(poll, t, config)
        else:
            text, buttons = _render(poll, config, language, chat_id, links, titles)
        # One batch for the poll: whoever is in it is never written to twice.
        sends.append(
            Broadcast(
                batch=f"poll:{poll.id}:remind",
                recipients=tuple(recipients),
                text=text,
                buttons=buttons,
            )
        )
    return sends


def _render(
    poll: Poll,
    config: CommunityConfig,
    language: str,
    chat_id: int | None,
    links: dict[int, int | None],
    titles: dict[int, str],
) -> tuple[str, Keyboard]:
    t = translator(language)
    text = _reminder(poll, config, language)
    if is_one_tap(poll) or poll.native is not None:
        # Voted under the group message: the button opens it (for members of that group).
        message_id = links.get(chat_id) if chat_id is not None else None
        if chat_id is not None and chat_id in titles:
            text += "\n" + t(IN_GROUP, group=titles[chat_id])
        link = message_link(chat_id, message_id) if chat_id and message_id else None
        return text, (((Button(t(OPEN_POLL), url=link),),) if link else ())
    return text, ((Button(t(VOTE), url=config.deep_link(deep_link(poll))),),)


def _reminder(poll: Poll, config: CommunityConfig, language: str) -> str:
    """The reminder's first line: the question and when it closes."""
    assert poll.closes_at is not None
    closes = poll.closes_at.astimezone(config.timezone).strftime("%Y-%m-%d %H:%M")
    return translator(language)(REMINDER, question=poll.question, time=closes)


def register(router: Router) -> None:
    """Register the reminder job."""

    # Its deadline is the poll's, which the handler checks: no lateness limit of its own.
    @router.job(REMIND, max_lateness=None)
    async def remind(job: JobContext) -> None:
        poll = await job.uow.polls.get(int(job.data["poll"]))
        if poll is not None:
            job.effects += await reminders(job.uow, poll, job.config, job.now)
