"""Telegram's own polls through the real front ends: sendPoll, answers, counts, stopPoll."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.emulator import ChatMessage, Group, World
from storage.db import Database
from storage.models import Ballot, PollPost
from tests.scenarios.conftest import OWNER_ID, RunningBot
from tests.scenarios.people import Person, eventually, next_in, onboard, text_of
from tests.scenarios.test_polls import publish

BENCH = "By the lake\nNear the playground\nUnder the oak"


@pytest.fixture
def bot_settings(bot_settings: Settings) -> Settings:
    return bot_settings.model_copy(
        update={"scheduler_tick_seconds": 0.2, "poll_refresh_seconds": 1}
    )


async def setting_up(
    running_bot: RunningBot, voters: int
) -> tuple[World, Person, list[Person], Group]:
    world = running_bot.world
    owner = Person(world, world.user("Olga", user_id=OWNER_ID, username="olga"))
    await onboard(owner, follow=[])
    people = [Person(world, world.user(f"Voter{n}")) for n in range(voters)]
    group = world.group("Elm Street", admins=[owner.user], members=[p.user for p in people])
    await world.add_bot(group, by=owner.user)
    await next_in(world, group)  # the greeting
    return world, owner, people, group


async def copy_recorded(database: Database) -> None:
    """Wait until the outbox has recorded Telegram's poll id for the copy (a moment after)."""

    async def recorded() -> bool:
        async with database.unit_of_work() as uow:
            [post] = (await uow.session.scalars(select(PollPost))).all()
            await uow.polls.posts(post.poll_id)
            return post.native_poll_id is not None

    await eventually(recorded, "the copy's poll id")


async def ballots(database: Database) -> list[list[str]]:
    async with database.unit_of_work() as uow:
        return [b.choices for b in (await uow.session.scalars(select(Ballot))).all()]


async def close_from_card(owner: Person) -> None:
    card = await owner.ask("/polls")
    await owner.tap(card, "Close")
    assert owner.toast is not None and owner.toast.text.startswith("Closed.")


async def outcome_in(world: World, group: Group) -> str:
    """The outcome message (the stopped poll shows up in the group's activity first)."""
    [message] = await world.wait_for(
        group, lambda m: (m.text or "").startswith("The poll has closed")
    )
    return text_of(message)


def stops_in(world: World, group: Group, poll: ChatMessage) -> list[object]:
    return [
        call
        for call in world.calls_of("stopPoll")
        if call.params.get("chat_id") == group.id
        and call.params.get("message_id") == poll.message_id
    ]


async def test_an_identified_native_poll_counts_answers_and_is_stopped(
    running_bot: RunningBot, database: Database
) -> None:
    world, owner, (ann, bo, cy), group = await setting_up(running_bot, 3)
    await publish(
        owner,
        group,
        "Where should the new bench go?",
        kind="✓ Single choice",
        options=BENCH,
        settings=("Telegram's own poll: off",),
    )
    poll = await next_in(world, group)
    assert poll.poll is not None and poll.poll["question"] == "Where should the new bench go?"
    assert [o["text"] for o in poll.poll["options"]] == BENCH.splitlines()
    assert poll.poll["is_anonymous"] is False
    await copy_recorded(database)

    await world.answer_poll(ann.user, poll, [2])
    await world.answer_poll(bo.user, poll, [0])
    await world.answer_poll(cy.user, poll, [2])

    async def three_ballots() -> bool:
        return sorted(await ballots(database)) == [["o1"], ["o3"], ["o3"]]

    # A person takes a vote back seconds later, not in the same instant: a retraction sent
    # with its vote could reach the engine first on a loaded machine (see ARCHITECTURE.md).
    await eventually(three_ballots, "the three ballots")
    await world.answer_poll(bo.user, poll, [])  # Bo takes it back

    async def two_ballots() -> bool:
        return sorted(await ballots(database)) == [["o3"], ["o3"]]

    await eventually(two_ballots, "Ann's and Cy's ballots")

    await close_from_card(owner)
    outcome = await outcome_in(world, group)
    assert outcome.startswith("The poll has closed: Where should the new bench go?")
    assert "Result: Under the oak" in outcome and "2 people voted." in outcome
    assert len(stops_in(world, group, poll)) == 1
    assert world.polls[poll.poll["id"]].is_closed
    edits = [c for c in world.calls_of("editMessageText") if c.params.get("chat_id") == group.id]
    assert edits == []  # a native poll is never edited


async def test_an_anonymous_native_poll_gives_counts_only(
    running_bot: RunningBot, database: Database
) -> None:
    world, owner, people, group = await setting_up(running_bot, 3)
    await publish(
        owner,
        group,
        "Paint the fence green?",
        kind="✓ Multiple choice",
        options="Green\nBlue\nWhite",
        settings=("Telegram's own poll: off", "Anonymous: off", "Results shown: after voting"),
    )
    poll = await next_in(world, group)
    [sent] = world.calls_of("sendPoll")
    assert str(sent.params["hide_results_until_closes"]).lower() == "true"  # after closing
    assert poll.poll is not None and poll.poll["is_anonymous"] is True
    assert poll.poll["allows_multiple_answers"] is True
    await copy_recorded(database)

    await world.answer_poll(people[0].user, poll, [0, 2])
    await world.answer_poll(people[1].user, poll, [0])
    await world.answer_poll(people[2].user, poll, [1])

    async def counted() -> bool:
        async with database.unit_of_work() as uow:
            [post] = (await uow.session.scalars(select(PollPost))).all()
            return post.native_counts == [2, 1, 1] and post.native_voters == 3

    await eventually(counted, "Telegram's counts")
    assert await ballots(database) == []  # nobody is known

    await close_from_card(owner)
    outcome = await outcome_in(world, group)
    assert "Result: Green" in outcome and "3 people voted." in outcome
    assert len(stops_in(world, group, poll)) == 1
