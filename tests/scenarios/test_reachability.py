"""Reachability through the real front ends: blocking, a 403 on a reply, coming back."""

from __future__ import annotations

import asyncio

from storage.db import Database
from storage.models import MemberStatus
from tests.scenarios.conftest import RunningBot
from tests.scenarios.people import Person, eventually, member_row, onboard, text_of, wait_until


async def status_is(database: Database, person: Person, status: MemberStatus) -> bool:
    member = await member_row(database, person.id)
    return member is not None and member.status is status


async def test_blocking_the_bot_makes_a_member_unreachable_until_they_come_back(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    ann = Person(world, world.user("Ann"))
    await onboard(ann, follow=[])

    await world.block_bot(ann.user)
    await eventually(
        lambda: status_is(database, ann, MemberStatus.UNREACHABLE), "Ann to be unreachable"
    )

    await world.unblock_bot(ann.user)
    back = await ann.ask("/start")
    assert text_of(back) == "Welcome back! /help shows what you can do."
    assert await status_is(database, ann, MemberStatus.ACTIVE)


async def test_a_403_on_a_reply_marks_only_that_person_unreachable(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    ann, bob, cy = (Person(world, world.user(name)) for name in ("Ann", "Bob", "Cy"))
    for person in (ann, bob, cy):
        await onboard(person, follow=[])

    # Ann blocked the bot without Telegram telling it yet: her reply is refused with 403.
    world.faults.add(method="sendMessage", chat_id=ann.id, error=403)
    await asyncio.gather(ann.write("/help"), bob.write("/help"), cy.write("/help"))
    bob_help, cy_help = await asyncio.gather(bob.next_message(), cy.next_message())
    assert text_of(bob_help).startswith("Here is what you can do:")
    assert text_of(cy_help).startswith("Here is what you can do:")
    await wait_until(
        world,
        lambda: any(c.error_code == 403 for c in world.calls_of("sendMessage")),
        "the refused reply",
    )
    await eventually(
        lambda: status_is(database, ann, MemberStatus.UNREACHABLE), "Ann to be unreachable"
    )
    assert len(ann.chat()) == 1  # only the onboarding message: the reply never arrived
    assert await status_is(database, bob, MemberStatus.ACTIVE)
    assert await status_is(database, cy, MemberStatus.ACTIVE)

    back = await ann.ask("/start")
    assert text_of(back) == "Welcome back! You will receive our news and consultations again."
    assert await status_is(database, ann, MemberStatus.ACTIVE)
    assert text_of(await ann.ask("/help")).startswith("Here is what you can do:")
