"""Reminders before a poll's deadline: once, privately, to eligible people who have not voted."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from flows.effects import keyboard_from_data
from flows.events import Person
from flows.poll.reminders import message_link, reminder_due
from storage.models import OutboxMessage, ScheduledJob
from tests.flows.harness import Harness, person
from tests.flows.poll_support import (
    ELM,
    OAK,
    add_groups,
    press,
    run_jobs,
    send_posts,
    vote,
    write_poll,
)
from tests.flows.test_account import onboard
from tests.flows.test_poll_native import answer, send_native

BENCH = ("By the lake", "Near the playground", "Under the oak")
HALF_A_DAY = 12 * 3600


@pytest.mark.parametrize(
    ("hours", "after"),
    [
        (1, timedelta(minutes=30)),
        (24, timedelta(hours=12)),
        (72, timedelta(hours=48)),
        (168, timedelta(hours=144)),
    ],
)
def test_a_day_before_the_deadline_or_half_way_for_short_polls(
    hours: int, after: timedelta
) -> None:
    opened = datetime(2026, 11, 29, 12, tzinfo=UTC)
    assert reminder_due(opened, opened + timedelta(hours=hours)) == opened + after


def test_message_links_exist_for_supergroups_only() -> None:
    assert message_link(-1001234567890, 42) == "https://t.me/c/1234567890/42"
    assert message_link(-4567, 42) is None


async def residents(
    harness: Harness, *names: str, seen_in: tuple[int, ...] = (ELM.chat_id,)
) -> list[Person]:
    """Onboard people and record that the bot has seen them in `seen_in`."""
    people = [person(name) for name in names]
    for who in people:
        await onboard(harness, who)
    async with harness.database.unit_of_work() as uow:
        for who in people:
            member = await uow.members.get_by_telegram_id(who.user_id)
            assert member is not None
            for chat_id in seen_in:
                await uow.chats.add_member(chat_id, member.id, harness.clock.now())
        await uow.commit()
    return people


async def reminded(harness: Harness, poll_id: int) -> dict[int, OutboxMessage]:
    async with harness.database.unit_of_work() as uow:
        rows = await uow.session.scalars(
            select(OutboxMessage).where(OutboxMessage.batch == f"poll:{poll_id}:remind")
        )
        return {row.chat_id: row for row in rows}


def button_url(row: OutboxMessage) -> str | None:
    [[button]] = keyboard_from_data(row.payload["buttons"])
    return button.url


async def test_people_who_have_not_voted_are_reminded_once(harness: Harness) -> None:
    await add_groups(harness, ELM, OAK)
    ann, bo, di = await residents(harness, "Ann", "Bo", "Di")
    [eve] = await residents(harness, "Eve", seen_in=())  # never seen in the poll's group
    [fay] = await residents(harness, "Fay", seen_in=(OAK.chat_id,))  # in another group
    poll_id = await write_poll(harness, "single", BENCH, settings=("ddl", "ddl"))
    [message_id] = (await send_posts(harness, poll_id)).values()
    await vote(harness, bo, poll_id, "o1")
    await vote(harness, person("Cy"), poll_id, "o2")  # never started the bot: not written to
    async with harness.database.unit_of_work() as uow:
        stopped = await uow.members.get_by_telegram_id(di.user_id)
        assert stopped is not None
        stopped.broadcasts_stopped_at = harness.clock.now()  # /stop
        await uow.commit()

    await run_jobs(harness, HALF_A_DAY - 10)
    assert await reminded(harness, poll_id) == {}  # not due yet
    await run_jobs(harness, 10)
    rows = await reminded(harness, poll_id)
    assert list(rows) == [ann.user_id]
    assert {eve.user_id, fay.user_id} & set(rows) == set()
    text = rows[ann.user_id].payload["text"]
    assert "“Where should the new bench go?” closes on 2026-11-30 12:00" in text
    assert "Elm Street residents" in text
    assert button_url(rows[ann.user_id]) == f"https://t.me/c/123/{message_id}"

    await run_jobs(harness, 3600)
    assert list(await reminded(harness, poll_id)) == [ann.user_id]  # once per poll
    async with harness.database.unit_of_work() as uow:
        jobs = (
            await uow.session.scalars(
                select(ScheduledJob).where(ScheduledJob.kind == "poll.remind")
            )
        ).all()
    assert len(jobs) == 1


async def test_an_anonymous_ballot_also_counts_as_voted(harness: Harness) -> None:
    await add_groups(harness, ELM)
    ann, bo = await residents(harness, "Ann", "Bo")
    poll_id = await write_poll(harness, "single", BENCH, settings=("anon", "ddl", "ddl"))
    await send_posts(harness, poll_id)
    await vote(harness, bo, poll_id, "o3")
    await run_jobs(harness, HALF_A_DAY)
    assert list(await reminded(harness, poll_id)) == [ann.user_id]


async def test_no_reminder_after_closing_or_without_a_deadline(harness: Harness) -> None:
    await add_groups(harness, ELM)
    await residents(harness, "Ann")
    closed = await write_poll(harness, "single", BENCH, settings=("ddl", "ddl"))
    by_hand = await write_poll(harness, "single", BENCH)
    await press(harness, person("Olga", user_id=42), "pm.close", closed)
    await run_jobs(harness, HALF_A_DAY)
    assert await reminded(harness, closed) == {}
    assert await reminded(harness, by_hand) == {}


async def test_quiet_hours_hold_a_reminder_back_or_drop_it_when_too_late(
    harness: Harness,
) -> None:
    harness.config = dataclasses.replace(harness.config, quiet_hours=(time(22), time(7)))
    harness.restart()
    await add_groups(harness, ELM)
    [ann] = await residents(harness, "Ann")
    held = await write_poll(harness, "single", BENCH, settings=("ddl", "ddl"))  # due 00:00
    await run_jobs(harness, HALF_A_DAY)
    row = (await reminded(harness, held))[ann.user_id]
    assert row.not_before == datetime(2026, 11, 30, 7, tzinfo=UTC)

    harness.clock.advance(hours=21.5)  # 21:30: a 1-hour poll, reminded at 22:00, closes 22:30
    dropped = await write_poll(harness, "single", BENCH, settings=("ddl",))
    await run_jobs(harness, 1800)
    assert await reminded(harness, dropped) == {}


async def test_a_private_ballot_poll_links_to_the_ballot(harness: Harness) -> None:
    await add_groups(harness, ELM)
    [ann] = await residents(harness, "Ann")
    poll_id = await write_poll(harness, "score", BENCH, settings=("ddl", "ddl"))
    await run_jobs(harness, HALF_A_DAY)
    row = (await reminded(harness, poll_id))[ann.user_id]
    assert button_url(row) == f"https://t.me/townsquare_test_bot?start=poll-{poll_id}"


async def test_native_polls_remind_those_who_did_not_answer_counts_only_ones_nobody(
    harness: Harness,
) -> None:
    await add_groups(harness, ELM)
    ann, bo = await residents(harness, "Ann", "Bo")
    answers = await write_poll(harness, "single", BENCH, settings=("nat", "ddl", "ddl"))
    counts = await write_poll(harness, "single", BENCH, settings=("nat", "anon", "ddl", "ddl"))
    ids = await send_native(harness, answers)
    await answer(harness, bo, ids[ELM.chat_id], 0)
    await run_jobs(harness, HALF_A_DAY)
    assert list(await reminded(harness, answers)) == [ann.user_id]
    assert await reminded(harness, counts) == {}
    async with harness.database.unit_of_work() as uow:
        keys = (
            await uow.session.scalars(
                select(ScheduledJob.key).where(ScheduledJob.kind == "poll.remind")
            )
        ).all()
    assert list(keys) == [str(answers)]
