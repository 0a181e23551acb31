"""Polls from files, suggested options, editing and deleting, through the real front ends."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.emulator import ChatMessage, Group, World
from storage.db import Database
from storage.models import Poll
from tests.scenarios.conftest import OWNER_ID, RunningBot
from tests.scenarios.people import Person, eventually, labels, next_in, onboard, text_of

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
BENCH = (EXAMPLES / "bench-poll.yaml").read_bytes()
EDIT_WAIT = 20.0  # a refresh is due at the end of a 5-second slot, then the scheduler ticks


@pytest.fixture
def bot_settings(bot_settings: Settings) -> Settings:
    return bot_settings.model_copy(
        update={"scheduler_tick_seconds": 0.2, "poll_refresh_seconds": 1}
    )


async def community(world: World) -> tuple[Person, Person, Group]:
    owner = Person(world, world.user("Olga", user_id=OWNER_ID, username="olga"))
    ann = Person(world, world.user("Ann", username="ann"))
    await onboard(owner, follow=[])
    await onboard(ann, follow=[])
    group = world.group("Elm Street", admins=[owner.user], members=[ann.user])
    await world.add_bot(group, by=owner.user)
    await next_in(world, group)  # the greeting
    return owner, ann, group


async def upload_and_publish(owner: Person, group: Group, name: str, content: bytes) -> None:
    await owner.send_document(name, content)
    heading = await owner.next_message()
    assert text_of(heading).startswith(f"Here is the poll in {name}.")
    await owner.next_message()  # the preview, as the group will see it
    ask = await owner.next_message()
    chooser = await owner.tap(ask, "Choose groups")
    chooser = await owner.tap(chooser, group.title)
    done = await owner.tap(chooser, "Publish")
    assert "is posted in: " + group.title in text_of(done)


async def shown_in(world: World, group: Group, check: object) -> ChatMessage:
    [message] = await world.wait_for(group, check, timeout=EDIT_WAIT)  # type: ignore[arg-type]
    return message


async def test_a_poll_file_is_posted_and_a_residents_suggestion_is_approved(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    owner, ann, group = await community(world)
    await upload_and_publish(owner, group, "bench-poll.yaml", BENCH)
    poll = await next_in(world, group)
    assert text_of(poll).startswith("📊 Where should the new bench on Elm Street go?")
    assert labels(poll) == [
        "By the lake",
        "Near the playground",
        "Under the old oak",
        "💡 Suggest an option",
    ]
    link = poll.flat_buttons[-1].url
    assert link is not None and link.endswith("?start=pollsug-1")

    prompt = await ann.ask("/start pollsug-1")
    assert "What option would you add" in text_of(prompt)
    thanks = await ann.ask("By the fountain")
    assert text_of(thanks).startswith("Thank you! A moderator will look at your suggestion")
    review = await owner.next_message()
    assert "Ann suggests a new option for poll 1" in text_of(review)
    decided = await owner.tap(review, "Approve")
    assert text_of(decided) == "Approved: “By the fountain” is an option of poll 1 now."
    told = await ann.next_message()
    assert text_of(told).startswith("Good news: your suggestion “By the fountain” was added")

    updated = await shown_in(world, group, lambda m: "By the fountain" in labels(m))
    assert labels(updated)[3:] == ["By the fountain", "💡 Suggest an option"]
    answer = await ann.press(updated, "By the fountain")
    assert (answer.text or "").startswith("You voted: By the fountain")


async def test_the_creator_edits_then_deletes_a_poll_and_others_cannot(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    owner, ann, group = await community(world)
    trees = b"poll:\n  question: Plant more trees?\n  kind: yes_no\n"
    await upload_and_publish(owner, group, "trees.yaml", trees)
    poll = await next_in(world, group)
    assert (await ann.press(poll, "Yes")).text == "You voted: Yes"

    card = await owner.ask("/polls")
    menu = await owner.tap(card, "Edit")
    assert labels(menu) == ["Question", "Back"]
    await owner.press(menu, "Question")
    prompt = await owner.next_message()
    assert text_of(prompt).startswith("Send the new question")
    saved = await owner.ask("Plant more trees on Elm Street?")
    assert text_of(saved).startswith("Saved. Every copy of the poll shows it")
    await shown_in(
        world, group, lambda m: (m.text or "").startswith("📊 Plant more trees on Elm Street?")
    )

    mine = await ann.ask("/help")  # any message of hers to press forged data on
    forged = await ann.press(mine, data="1:pm.del1:1")
    assert forged.text == "Sorry, this is only for organisers and the poll's creator."

    card = await owner.ask("/polls")
    asked = await owner.tap(card, "Delete")
    assert "its 1 vote are deleted for good" in text_of(asked)
    gone = await owner.tap(asked, "Delete it")
    assert text_of(gone).startswith("Poll 1 is deleted")

    async def message_deleted() -> bool:
        return world.message(group, poll.message_id) is None

    await eventually(message_deleted, "the poll's group message deleted")
    async with database.unit_of_work() as uow:
        assert (await uow.session.scalars(select(Poll))).all() == []
