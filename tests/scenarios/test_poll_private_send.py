"""A poll sent privately to everyone, through the real front ends: votes from private copies
and a group copy, one ballot per person, closing that brings every copy to the final result."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.emulator import ChatMessage
from storage.db import Database
from storage.models import Ballot
from tests.scenarios.conftest import OWNER_ID, RunningBot
from tests.scenarios.people import (
    CHINESE,
    ZH,
    Person,
    eventually,
    labels,
    next_in,
    onboard,
    text_of,
)

FINAL_WAIT = 20.0  # the closing edits go through the outbox, which looks every 2 seconds


@pytest.fixture
def bot_settings(bot_settings: Settings) -> Settings:
    return bot_settings.model_copy(
        update={"scheduler_tick_seconds": 0.2, "poll_refresh_seconds": 1}
    )


def is_poll(message: ChatMessage) -> bool:
    return (message.text or "").startswith("📊")


async def test_a_poll_sent_privately_is_voted_from_each_copy_once_and_closed_everywhere(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    owner = Person(world, world.user("Olga", user_id=OWNER_ID, username="olga"))
    ann, bo = Person(world, world.user("Ann")), Person(world, world.user("Bo"))
    cy = Person(world, world.user("Cy", language_code="zh-hans"))
    await onboard(owner, follow=[])
    for resident in (ann, bo):
        await onboard(resident, follow=[])
    await onboard(cy, CHINESE, follow=[])
    group = world.group("Elm Street", admins=[owner.user], members=[ann.user])
    await world.add_bot(group, by=owner.user)
    await next_in(world, group)  # the greeting

    await owner.ask("/newpoll")
    kinds = await owner.ask("Light the riverside path at night?")
    await owner.tap(kinds, "✓ Yes / no / abstain")
    settings = await owner.next_message()
    await owner.press(settings, "Preview")
    for _ in range(3):  # the heading, the preview, "Post it?"
        ask = await owner.next_message()
    chooser = await owner.tap(ask, "Choose groups")
    assert "send it privately" in text_of(chooser)
    chooser = await owner.tap(chooser, "Elm Street")
    chooser = await owner.tap(chooser, "🔒 Privately to everyone who started the bot (4)")
    assert "Who votes: everyone" in text_of(chooser)
    await owner.press(chooser, "Publish")
    # The confirmation, and the organiser's own copy (they started the bot too), in any order.
    arrived = await world.wait_for(owner.user, count=2, timeout=FINAL_WAIT)
    [done] = [message for message in arrived if not is_poll(message)]
    assert "is posted in: Elm Street" in text_of(done)
    assert "sent privately to everyone who started the bot: 4 people" in text_of(done)

    in_group = await next_in(world, group)
    copies = await asyncio.gather(*(p.next_message(is_poll) for p in (ann, bo, cy)))
    ann_copy, bo_copy, cy_copy = copies
    assert labels(ann_copy) == labels(in_group) == ["Yes", "No", "Abstain"]
    assert labels(cy_copy) == [ZH("Yes"), ZH("No"), ZH("Abstain")]  # in her language

    # Ann votes from her copy, which shows her choice at once.
    assert (await ann.press(ann_copy, "Yes")).text == "You voted: Yes"
    shown = await ann.next_message()
    assert shown.message_id == ann_copy.message_id
    assert "Your vote: Yes" in text_of(shown) and "1 (100%)" in text_of(shown)
    # Then several at once, Ann changing her mind in the group: still one ballot each.
    answers = await asyncio.gather(
        ann.press(in_group, "No"), bo.press(bo_copy, "No"), cy.press(cy_copy, ZH("Abstain"))
    )
    assert [a.text for a in answers[:2]] == ["You voted: No", "You voted: No"]

    async def three_ballots() -> bool:
        async with database.unit_of_work() as uow:
            found = (await uow.session.scalars(select(Ballot))).all()
            return sorted(str(b.choices) for b in found) == sorted(
                ["['no']", "['no']", "['abstain']"]
            )

    await eventually(three_ballots, "one ballot for each of Ann, Bo and Cy")

    card = await owner.ask("/polls")
    await owner.press(card, "Close")
    assert owner.toast is not None and owner.toast.text.startswith("Closed.")
    outcome = await world.wait_for(
        group, lambda m: "The poll has closed" in (m.text or ""), timeout=FINAL_WAIT
    )
    assert "Result: No" in text_of(outcome[0]) and "3 people voted." in text_of(outcome[0])
    final = await bo.next_message(lambda m: "Voting has closed." in (m.text or ""), FINAL_WAIT)
    assert final.message_id == bo_copy.message_id and final.buttons == ()
    assert "2 (67%)" in text_of(final)
    await cy.next_message(lambda m: m.message_id == cy_copy.message_id, FINAL_WAIT)

    # A stale tap on a closed copy is answered politely and counts nothing.
    stale = bo_copy.flat_buttons[0].callback_data
    assert (await bo.press(final, data=stale)).text == "This poll is closed."
    # Bo's copy was edited twice: for his own tap and on closing; others' votes never did.
    edits = [
        call
        for call in world.calls_of("editMessageText")
        if (call.params.get("chat_id"), call.params.get("message_id"))
        == (bo.id, bo_copy.message_id)
    ]
    assert len(edits) == 2
