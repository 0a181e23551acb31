"""Polls by residents through the real front ends: allowed per group, written, voted, closed."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.emulator import Group
from storage.db import Database
from storage.models import Ballot, Poll
from tests.scenarios.conftest import OWNER_ID, RunningBot
from tests.scenarios.people import Person, eventually, next_in, onboard, text_of
from tests.scenarios.test_polls import publish

NOT_YOURS = "Sorry, this is only for organisers and the poll's creator."


@pytest.fixture
def bot_settings(bot_settings: Settings) -> Settings:
    return bot_settings.model_copy(
        update={"scheduler_tick_seconds": 0.2, "poll_refresh_seconds": 1}
    )


async def allow(owner: Person, group: Group) -> None:
    """Switch residents' polls on in `group` from the organiser's /chats."""
    listing = await owner.ask("/chats")
    switched = await owner.tap(listing, f"{group.title}: residents' polls off")
    assert owner.toast is not None and "can now post polls" in (owner.toast.text or "")
    assert f"{group.title}: residents' polls on" in [b.text for b in switched.flat_buttons]


async def test_a_resident_polls_where_allowed_neighbours_vote_and_she_closes_it(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    owner = Person(world, world.user("Olga", user_id=OWNER_ID, username="olga"))
    ann, bo = Person(world, world.user("Ann")), Person(world, world.user("Bo"))
    cy = Person(world, world.user("Cy"))  # never starts the bot
    for someone in (owner, ann, bo):
        await onboard(someone, follow=[])
    elm = world.group("Elm Street", admins=[owner.user], members=[ann.user, bo.user, cy.user])
    oak = world.group("Oak Road", admins=[owner.user], members=[ann.user])
    for group in (elm, oak):
        await world.add_bot(group, by=owner.user)
        await next_in(world, group)  # the greeting
    await allow(owner, elm)

    # Ann is in both groups; only Elm takes residents' polls.
    await ann.write("/newpoll", chat=oak)
    refused = await next_in(world, oak)
    assert text_of(refused) == "Organisers have not enabled polls by residents in this group."
    await ann.write("/newpoll", chat=elm)
    invited = await next_in(world, elm)
    assert text_of(invited) == "Ann, let's write your poll in a private chat."
    [link] = invited.flat_buttons
    assert link.url is not None and link.url.endswith("?start=newpoll")

    await publish(ann, elm, "Shall we hold a street party in June?")
    poll_message = await next_in(world, elm)
    assert text_of(poll_message).startswith("📊 Shall we hold a street party in June?")
    assert world.bot_messages(oak)[-1].message_id == refused.message_id  # nothing in Oak

    assert (await bo.press(poll_message, "Yes")).text == "You voted: Yes"
    assert (await cy.press(poll_message, "No")).text == "You voted: No"

    async def two_ballots() -> bool:
        async with database.unit_of_work() as uow:
            return len((await uow.session.scalars(select(Ballot))).all()) == 2

    await eventually(two_ballots, "two ballots")
    async with database.unit_of_work() as uow:
        [poll] = (await uow.session.scalars(select(Poll))).all()
        creator = await uow.members.get_by_telegram_id(ann.id)
        assert creator is not None and poll.creator_id == creator.id

    # Bo sees none of Ann's poll management, and a forged Close is refused.
    assert "There are no polls yet" in text_of(await bo.ask("/polls"))
    theirs = await bo.ask(f"/pollresults {poll.id}")
    assert text_of(theirs) == NOT_YOURS
    forged = await bo.press(theirs, data=f"1:pm.close:{poll.id}")
    assert forged.text == NOT_YOURS

    card = await ann.ask("/polls")
    assert re.search(r"Poll \d+: Shall we hold a street party in June\?", text_of(card))
    assert "Download file" not in [b.text for b in card.flat_buttons]
    await ann.tap(card, "Close")
    assert ann.toast is not None and (ann.toast.text or "").startswith("Closed.")
    # The edit to the final result comes after the live refreshes of the two votes (as many
    # as the slots they fell in); the outcome, sent through the outbox, before or after it.
    [final] = await world.wait_for(elm, lambda m: "Voting has closed." in text_of(m))
    assert final.buttons == ()

    async def outcome_posted() -> bool:
        return any(text_of(m).startswith("The poll has closed:") for m in world.bot_messages(elm))

    await eventually(outcome_posted, "the outcome in Elm")
    [outcome] = [m for m in world.bot_messages(elm) if text_of(m).startswith("The poll has closed")]
    assert text_of(outcome).startswith("The poll has closed: Shall we hold a street party in June?")
    assert "2 people voted." in text_of(outcome)


async def test_a_resident_with_no_allowed_group_is_refused_plainly(
    running_bot: RunningBot,
) -> None:
    world = running_bot.world
    owner = Person(world, world.user("Olga", user_id=OWNER_ID, username="olga"))
    ann = Person(world, world.user("Ann"))
    for someone in (owner, ann):
        await onboard(someone, follow=[])
    elm = world.group("Elm Street", admins=[owner.user], members=[ann.user])
    await world.add_bot(elm, by=owner.user)
    await next_in(world, elm)

    refused = await ann.ask("/newpoll")
    assert text_of(refused).startswith("Residents can post polls only in groups where an")
    await ann.write("/newpoll", chat=elm)
    assert "have not enabled polls by residents" in text_of(await next_in(world, elm))
    assert "I serve these groups" not in text_of(await ann.ask("/chats"))  # organisers' list
