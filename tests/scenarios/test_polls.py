"""Polls through the real front ends: written with /newpoll, voted by a busy group, closed."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.emulator import ChatMessage, Group, World
from storage.db import Database
from storage.models import Ballot
from tests.scenarios.conftest import OWNER_ID, RunningBot
from tests.scenarios.people import (
    Person,
    eventually,
    member_row,
    next_in,
    onboard,
    text_of,
    traces_of,
)

EDIT_WAIT = 20.0  # a refresh is due at the end of a 5-second slot, then the scheduler ticks


@pytest.fixture
def bot_settings(bot_settings: Settings) -> Settings:
    # The scheduler runs the coalesced refreshes; ticking often keeps the scenarios short.
    # Refresh slots keep their real length here: this file shows the edits coalesced.
    return bot_settings.model_copy(update={"scheduler_tick_seconds": 0.2})


async def publish(
    owner: Person,
    group: Group,
    question: str,
    kind: str = "✓ Yes / no / abstain",
    options: str | None = None,
    settings: tuple[str, ...] = (),
) -> None:
    """Write a poll with /newpoll and post it in `group`, as an organiser does."""
    await owner.ask("/newpoll")
    kinds = await owner.ask(question)
    await owner.tap(kinds, kind)  # the kinds message now names the kind chosen
    if options is not None:
        await owner.next_message()  # "Send the options…"
        listed = await owner.ask(options)
        await owner.press(listed, "Done")
    screen = await owner.next_message()
    for setting in settings:
        screen = await owner.tap(screen, setting)
    await owner.press(screen, "Preview")
    await owner.next_message()  # "This is how the poll will look in the groups:"
    await owner.next_message()  # the preview itself
    ask = await owner.next_message()
    chooser = await owner.tap(ask, "Choose groups")
    chooser = await owner.tap(chooser, group.title)
    done = await owner.tap(chooser, "Publish")
    assert "is posted in: " + group.title in text_of(done)


async def votes_shown(world: World, group: Group, count: int) -> ChatMessage:
    votes = f"{count} vote" if count == 1 else f"{count} votes"
    [message] = await world.wait_for(
        group, lambda m: votes in (m.text or "").splitlines(), timeout=EDIT_WAIT
    )
    return message


async def test_a_busy_group_votes_at_once_and_the_message_ends_exact(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    owner = Person(world, world.user("Olga", user_id=OWNER_ID, username="olga"))
    await onboard(owner, follow=[])
    voters = [Person(world, world.user(f"Voter{n}")) for n in range(8)]  # never started the bot
    group = world.group("Elm Street", admins=[owner.user], members=[v.user for v in voters])
    await world.add_bot(group, by=owner.user)
    await next_in(world, group)  # the greeting

    await publish(owner, group, "Plant more trees on Elm Street?")
    poll = await next_in(world, group)
    assert text_of(poll).startswith("📊 Plant more trees on Elm Street?")
    assert [b.text for b in poll.flat_buttons] == ["Yes", "No", "Abstain"]

    choices = ["Yes"] * 5 + ["No"] * 2 + ["Abstain"]
    answers = await asyncio.gather(
        *(voter.press(poll, choice) for voter, choice in zip(voters, choices, strict=True))
    )
    assert [a.text for a in answers] == [f"You voted: {c}" for c in choices]
    # A double tap and a change of mind: still one ballot each.
    assert (await voters[0].press(poll, "Yes")).text == "Vote withdrawn."
    assert (await voters[0].press(poll, "No")).text == "You voted: No"

    shown = await votes_shown(world, group, 8)
    assert "4 (50%)" in text_of(shown) and "3 (38%)" in text_of(shown)

    async def eight_ballots() -> bool:
        async with database.unit_of_work() as uow:
            return len((await uow.session.scalars(select(Ballot))).all()) == 8

    await eventually(eight_ballots, "eight ballots")
    edits = [
        call for call in world.calls_of("editMessageText") if call.params.get("chat_id") == group.id
    ]
    assert len(edits) <= 3  # coalesced: a few edits for ten taps, not one each


async def test_closing_freezes_votes_and_posts_the_outcome(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    owner = Person(world, world.user("Olga", user_id=OWNER_ID, username="olga"))
    await onboard(owner, follow=[])
    ann, bo = Person(world, world.user("Ann")), Person(world, world.user("Bo"))
    group = world.group("Elm Street", admins=[owner.user], members=[ann.user, bo.user])
    await world.add_bot(group, by=owner.user)
    await next_in(world, group)

    await publish(owner, group, "Close the road on Sundays?")
    poll = await next_in(world, group)
    assert (await ann.press(poll, "Yes")).text == "You voted: Yes"
    forged = await bo.press(poll, data="1:pl.v:999:yes")
    assert forged.text == "This button is no longer valid. Please use the latest message."

    card = await owner.ask("/polls")
    assert "Close the road on Sundays?" in text_of(card)
    await owner.tap(card, "Close")
    assert owner.toast is not None and owner.toast.text.startswith("Closed.")
    final = await next_in(world, group)
    assert "Voting has closed." in text_of(final) and final.buttons == ()
    outcome = await next_in(world, group)
    assert text_of(outcome).startswith("The poll has closed: Close the road on Sundays?")
    assert "Result: Yes" in text_of(outcome) and "1 person voted." in text_of(outcome)

    late = await bo.press(poll, data=poll_data(poll, "No"))
    assert late.text == "This poll is closed."
    async with database.unit_of_work() as uow:
        assert len((await uow.session.scalars(select(Ballot))).all()) == 1


def poll_data(message: ChatMessage, label: str) -> str:
    """The callback data a button had (a closed poll's message has none left)."""
    del label
    assert message.flat_buttons, "the snapshot keeps the buttons it had when it was sent"
    data = message.flat_buttons[1].callback_data
    assert data is not None
    return data


async def test_a_score_poll_is_voted_in_the_private_chat_and_kept_anonymous(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    owner = Person(world, world.user("Olga", user_id=OWNER_ID, username="olga"))
    await onboard(owner, follow=[])
    ann = Person(world, world.user("Annabelle", username="annabelle"))
    await onboard(ann, follow=[])
    group = world.group("Elm Street", admins=[owner.user], members=[ann.user])
    await world.add_bot(group, by=owner.user)
    await next_in(world, group)

    await publish(
        owner,
        group,
        "Rate the park designs",
        kind="Score (0 to 5 per option)",
        options="Meadow\nPlayground",
        settings=("Anonymous: off",),
    )
    poll = await next_in(world, group)
    assert "anonymous" in text_of(poll)
    answer = await ann.press(poll, "Vote")
    assert answer.text == "I've sent you the ballot in our private chat."
    ballot = await ann.next_message()
    assert "score from 0" in text_of(ballot)
    ballot = await ann.tap(ballot, "1: 5")
    ballot = await ann.tap(ballot, "2: 3")
    assert "1. Meadow: 5" in text_of(ballot) and "2. Playground: 3" in text_of(ballot)
    done = await ann.tap(ballot, "Confirm")
    assert "Thank you! Your vote is recorded." in text_of(done)

    shown = await votes_shown(world, group, 1)
    assert "5 points, mean 5.0" in text_of(shown) and "3 points, mean 3.0" in text_of(shown)
    member = await member_row(database, ann.id)
    assert member is not None
    found = await traces_of(database, ann.id, "Annabelle", "annabelle", f"m:{member.id}")
    assert [trace for trace in found if trace.startswith("ballots.")] == []
