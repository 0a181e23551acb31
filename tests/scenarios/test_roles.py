"""Roles through the real front ends: the owner appoints a moderator; residents may not."""

from __future__ import annotations

from storage.db import Database
from storage.models import Role
from tests.scenarios.conftest import COMMUNITY, OWNER_ID, RunningBot
from tests.scenarios.people import (
    CHINESE,
    ZH,
    Person,
    member_row,
    onboard,
    text_of,
    wait_until,
)


def commands_of(menu: list[dict[str, str]]) -> list[str]:
    return [entry["command"] for entry in menu]


async def test_the_owner_makes_a_member_moderator_who_is_told_and_gets_the_menu(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    owner = Person(world, world.user("Olga", user_id=OWNER_ID, username="olga"))
    mei = Person(world, world.user("Mei", language_code="zh-hans", username="mei_w"))
    await onboard(owner, follow=[])
    await onboard(mei, CHINESE, follow=[])
    # The owner's own menu has the admin commands; Mei, a resident, has no menu of her own.
    owner_scope = {"type": "chat", "chat_id": owner.id}
    await wait_until(world, lambda: "role" in commands_of(world.my_commands(owner_scope)), "menu")
    mei_scope = {"type": "chat", "chat_id": mei.id}
    assert "chats" not in commands_of(world.my_commands(mei_scope))

    confirmed = await owner.ask("/role @mei_w moderator")
    assert text_of(confirmed) == "Mei's role is now: moderator."
    told = await mei.next_message()
    assert text_of(told) == ZH(
        "Your role in {community} is now: {role}. /help shows your commands.",
        community=COMMUNITY,
        role=ZH("moderator"),
    )
    assert text_of(told).startswith(f"您在{COMMUNITY}的角色现在是：管理员")
    await wait_until(
        world, lambda: "chats" in commands_of(world.my_commands(mei_scope)), "Mei's new menu"
    )
    menu = world.my_commands(mei_scope)
    assert "role" not in commands_of(menu)  # moderators do not appoint
    chats_entry = next(entry for entry in menu if entry["command"] == "chats")
    assert chats_entry["description"] == ZH("List the groups I serve")

    member = await member_row(database, mei.id)
    assert member is not None and member.role is Role.MODERATOR
    assert "/chats" in text_of(await mei.ask("/help"))
    assert text_of(await mei.ask("/chats")) == ZH(
        "I am not in any community group yet. An organiser can add me to one."
    )


async def test_a_resident_may_not_give_roles(running_bot: RunningBot, database: Database) -> None:
    world = running_bot.world
    ann = Person(world, world.user("Ann", username="ann"))
    li = Person(world, world.user("Li", language_code="zh-hans", username="li"))
    await onboard(ann, follow=[])
    await onboard(li, CHINESE, follow=[])

    refused = await li.ask("/role @ann organiser")
    assert text_of(refused) == "抱歉，此功能仅供组织者和管理员使用。"
    refused = await ann.ask("/role @ann moderator")  # not even for herself
    assert text_of(refused) == "Sorry, this is only for organisers and moderators."
    assert text_of(await ann.ask("/chats")) == "Sorry, this is only for organisers and moderators."
    for person in (ann, li):
        member = await member_row(database, person.id)
        assert member is not None and member.role is Role.RESIDENT
    assert len(li.chat()) == 2 and len(ann.chat()) == 3  # nobody else was told anything
