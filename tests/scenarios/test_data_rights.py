"""A member's rights through the real front ends: /mydata, /forget, /stop and /start again."""

from __future__ import annotations

import json

from bot.emulator import World
from storage.db import Database
from storage.models import MemberStatus
from tests.scenarios.conftest import COMMUNITY, OWNER_ID, RunningBot
from tests.scenarios.people import (
    WAIT,
    Person,
    eventually,
    member_row,
    next_in,
    onboard,
    text_of,
    traces_of,
    wait_until,
)


async def test_mydata_sends_a_json_document_with_everything_stored(
    running_bot: RunningBot,
) -> None:
    world = running_bot.world
    ann = Person(world, world.user("Ann", username="ann_r", last_name="Rivers"))
    await onboard(ann, follow=["Parks", "North End"])

    await ann.write("/mydata")
    document = await ann.next_message()
    assert document.caption == "Everything we store about you."
    assert document.document is not None
    assert document.document["file_name"] == "my-townsquare-data.json"
    data = json.loads(world.file_by_id(document.document["file_id"]).data)

    assert data["community"] == COMMUNITY
    profile = data["profile"]
    assert profile["telegram_id"] == ann.id
    assert (profile["first_name"], profile["last_name"], profile["username"]) == (
        "Ann",
        "Rivers",
        "ann_r",
    )
    assert profile["status"] == "active" and profile["consent_at"]
    assert sorted(f["slug"] for f in data["follows"]) == ["north", "parks"]
    assert data["conversation"] is None  # onboarding is over


def commands_of(world: World, scope: dict[str, object]) -> set[str]:
    return {entry["command"] for entry in world.my_commands(scope)}


async def test_forget_erases_every_trace_of_the_person(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    owner = Person(world, world.user("Olga", user_id=OWNER_ID, username="olga"))
    zed = Person(
        world, world.user("Zebulon", language_code="en", username="zebulon_q", last_name="Quill")
    )
    await onboard(owner, follow=[])
    await onboard(zed, follow=["Parks", "Safety"])
    # Zed is also in a group the bot serves, and was made a moderator.
    group = world.group("Elm Street", admins=[owner.user], members=[zed.user])
    await world.add_bot(group, by=owner.user, as_admin=True)
    await next_in(world, group)
    await world.leave(zed.user, group)
    await world.join(zed.user, group)
    await owner.ask("/role @zebulon_q moderator")
    await zed.next_message()  # told about the new role

    async def in_group() -> bool:
        member = await member_row(database, zed.id)
        async with database.unit_of_work() as uow:
            return member is not None and bool(await uow.chats.member_chat_ids(member.id))

    await eventually(in_group, "Zed's membership of the group")
    assert await traces_of(database, zed.id, "Zebulon", "zebulon_q", "Quill")  # the scan works

    confirm = await zed.ask("/forget")
    assert text_of(confirm).endswith("It cannot be undone. Erase everything?")
    cancelled = await zed.tap(confirm, "Cancel")
    assert text_of(cancelled) == "Nothing was erased."
    assert (await member_row(database, zed.id)) is not None

    confirm = await zed.ask("/forget")
    erased = await zed.tap(confirm, "Yes, erase everything")
    assert text_of(erased) == (
        "Done: everything we stored about you has been erased. "
        "If you ever want to take part again, press /start."
    )
    assert erased.buttons == ()
    await world.wait_idle(timeout=WAIT)

    assert await traces_of(database, zed.id, "Zebulon", "zebulon_q", "Quill") == []
    assert await member_row(database, owner.id) is not None  # nobody else was touched
    # Nor does Telegram keep showing Zed the menu of the role he had.
    zed_menu = {"type": "chat", "chat_id": zed.id}
    await wait_until(world, lambda: not commands_of(world, zed_menu) & {"chats"}, "Zed's menu")
    assert "forget" in commands_of(world, zed_menu)
    # Afterwards Zed is a stranger again, and may start afresh.
    assert text_of(await zed.ask("/mydata")).startswith("Welcome! Please press /start first")
    assert await traces_of(database, zed.id, "Zebulon", "zebulon_q", "Quill") == []


async def test_stop_then_start_resubscribes(running_bot: RunningBot, database: Database) -> None:
    world = running_bot.world
    ann = Person(world, world.user("Ann"))
    await onboard(ann, follow=[])

    stopped = await ann.ask("/stop")
    assert text_of(stopped) == (
        "You will no longer receive news or announcements. Answers to what you ask still reach "
        "you. Press /start to subscribe again."
    )
    member = await member_row(database, ann.id)
    assert member is not None and member.broadcasts_stopped_at is not None

    assert text_of(await ann.ask("/help")).startswith("Here is what you can do:")  # still served
    back = await ann.ask("/start")
    assert text_of(back) == "Welcome back! You will receive our news and consultations again."
    member = await member_row(database, ann.id)
    assert member is not None and member.broadcasts_stopped_at is None
    assert member.status is MemberStatus.ACTIVE
    again = await ann.ask("/start")
    assert text_of(again) == "Welcome back! /help shows what you can do."
