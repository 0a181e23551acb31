"""Helpers for poll flow tests: groups, a poll written through /newpoll, posts, taps, time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from flows.codec import encode, payload
from flows.effects import EditMessage, Effect
from flows.events import Chat, Person
from storage.models import Ballot, OutboxMessage, OutboxStatus, Poll
from tests.flows.harness import Harness, group, person
from tests.flows.test_account import onboard

ORGANISER_ID = 42  # an owner in the flow tests' harness
ELM = group(-100123, "Elm Street residents")
OAK = group(-100456, "Oak Road residents")


def organiser() -> Person:
    return person("Olga", user_id=ORGANISER_ID)


async def add_groups(harness: Harness, *chats: Chat) -> None:
    async with harness.database.unit_of_work() as uow:
        for chat in chats:
            await uow.chats.register(
                chat.chat_id, chat.title or "", "supergroup", None, harness.clock.now()
            )
        await uow.commit()


async def press(harness: Harness, who: Person, action: str, *args: str | int) -> list[Effect]:
    return await harness.press(who, encode(payload(action, *args)))


async def write_poll(
    harness: Harness,
    kind: str,
    options: tuple[str, ...] = (),
    *,
    settings: tuple[str, ...] = (),
    chats: tuple[Chat, ...] = (ELM,),
    question: str = "Where should the new bench go?",
    segment: int | None = None,
) -> int:
    """Write and publish a poll as the organiser (onboarded on first use); return its id.

    With a `segment` (0: everyone) it is also sent privately to that segment.
    """
    olga = organiser()
    async with harness.database.unit_of_work() as uow:
        known = await uow.members.get_by_telegram_id(ORGANISER_ID)
    if known is None:
        await onboard(harness, olga)
    await harness.command(olga, "newpoll")
    await harness.text(olga, question)
    await press(harness, olga, "pw.kind", kind)
    if options:
        await harness.text(olga, "\n".join(options))
        await press(harness, olga, "pw.done")
    for name in settings:
        await press(harness, olga, "pw.set", name)
    await press(harness, olga, "pw.preview")
    await press(harness, olga, "pw.groups")
    for chat in chats:
        await press(harness, olga, "pw.chat", chat.chat_id)
    if segment is not None:
        await press(harness, olga, "pw.seg", segment)
    done = await press(harness, olga, "pw.publish")
    expected = "is posted in" if segment is None else "is being sent privately"
    assert expected in str(done), done
    async with harness.database.unit_of_work() as uow:
        return int(
            (await uow.session.scalars(select(Poll.id).order_by(Poll.id.desc()))).first() or 0
        )


async def send_posts(harness: Harness, poll_id: int) -> dict[int, int]:
    """Do what the outbox worker does for a poll's group messages: send them, note their ids."""
    return await _send_batch(harness, f"poll:{poll_id}", 500)


async def _send_batch(harness: Harness, batch: str, first_id: int) -> dict[int, int]:
    """Mark the outbox rows of `batch` still waiting as sent, with message ids from `first_id`.

    Returns:
        The message id each chat got.
    """
    async with harness.database.unit_of_work() as uow:
        rows = (
            await uow.session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.batch == batch, OutboxMessage.status == OutboxStatus.PENDING)
                .order_by(OutboxMessage.id)
            )
        ).all()
        sent = {row.chat_id: first_id + index for index, row in enumerate(rows)}
        for row in rows:
            await uow.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id)
                .values(status=OutboxStatus.SENT, message_id=sent[row.chat_id])
            )
        await uow.commit()
    return sent


async def vote(harness: Harness, who: Person, poll_id: int, option: str, chat: Chat = ELM) -> str:
    """Tap an option under the poll message in a group; return the toast's text."""
    effects = await harness.press(who, encode(payload("pl.v", poll_id, option)), chat=chat)
    [toast] = [e for e in effects if type(e).__name__ == "Toast"]
    return toast.text  # type: ignore[union-attr]


async def run_jobs(harness: Harness, seconds: float = 6) -> list[Effect]:
    """Let time pass and run what is due; return what was delivered."""
    harness.clock.advance(seconds=seconds)
    before = len(harness.outbound.delivered)
    await harness.engine.run_due_jobs()
    return harness.outbound.delivered[before:]


def edits(effects: list[Effect]) -> list[EditMessage]:
    return [e for e in effects if isinstance(e, EditMessage)]


async def ballots(harness: Harness) -> list[Ballot]:
    """Every ballot, by when it was cast, then by member (ids are random, not in order)."""
    order = (Ballot.cast_at, Ballot.member_id, Ballot.voter)
    async with harness.database.unit_of_work() as uow:
        return list((await uow.session.scalars(select(Ballot).order_by(*order))).all())


async def outbox(harness: Harness, batch: str) -> list[dict[str, Any]]:
    async with harness.database.unit_of_work() as uow:
        rows = await uow.session.scalars(select(OutboxMessage).where(OutboxMessage.batch == batch))
        return [{"chat_id": r.chat_id, **r.payload} for r in rows]


async def write_private_poll(
    harness: Harness,
    kind: str,
    options: tuple[str, ...] = (),
    *,
    segment: int = 0,
    chats: tuple[Chat, ...] = (),
    settings: tuple[str, ...] = (),
    question: str = "Where should the new bench go?",
) -> int:
    """Write a poll as the organiser and send it privately to a segment (0: everyone).

    `chats` are groups it is also posted in.
    """
    return await write_poll(
        harness, kind, options, settings=settings, chats=chats, question=question, segment=segment
    )


async def send_private_copies(harness: Harness, poll_id: int) -> dict[int, int]:
    """Do what the outbox worker does for a poll's private copies: send them, note their ids."""
    return await _send_batch(harness, f"poll:{poll_id}:dm", 900)


async def stored(harness: Harness, poll_id: int) -> Poll:
    """The poll as stored now."""
    async with harness.database.unit_of_work() as uow:
        poll = await uow.polls.get(poll_id)
        assert poll is not None
        return poll
