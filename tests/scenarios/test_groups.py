"""Groups through the real front ends: who may add the bot, one greeting, quiet, memberships."""

from __future__ import annotations

from bot.emulator import ChatMessage, Group, User, World
from storage.db import Database
from tests.scenarios.conftest import COMMUNITY, OWNER_ID, RunningBot
from tests.scenarios.people import (
    WAIT,
    Person,
    eventually,
    member_row,
    next_in,
    onboard,
    text_of,
    wait_until,
)

PRIVATE_CHAT = "https://t.me/townsquare_test_bot"


def url_buttons(message: ChatMessage) -> list[tuple[str, str | None]]:
    return [(button.text, button.url) for button in message.flat_buttons]


async def registered(database: Database, group: Group) -> bool:
    async with database.unit_of_work() as uow:
        chat = await uow.chats.get(group.id)
        return chat is not None and chat.active


async def test_the_owner_adds_the_bot_which_registers_and_greets_once(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    owner = world.user("Olga", user_id=OWNER_ID, username="olga")
    group = world.group("Elm Street", admins=[owner])

    await world.add_bot(group, by=owner)  # my_chat_member and the "joined" service message
    greeting = await next_in(world, group)
    assert text_of(greeting).startswith(f"Hello, Elm Street! I am {COMMUNITY}'s consultation bot.")
    assert url_buttons(greeting) == [("Open the private chat", PRIVATE_CHAT)]
    assert await registered(database, group)

    # Olga's updates are handled in order: once her /help is answered, both "added" updates
    # before it are done, and they gave one greeting.
    await world.send_text(owner, "/help", chat=group)
    answered = await next_in(world, group)
    assert [m.message_id for m in world.bot_messages(group)] == [
        greeting.message_id,
        answered.message_id,
    ]
    assert not world.calls_of("leaveChat")
    assert group.bot_status == "member"


async def test_a_stranger_adds_the_bot_which_explains_and_leaves(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    mallory = world.user("Mallory")
    group = world.group("Mallory's fan club", admins=[mallory])

    await world.add_bot(group, by=mallory)
    explained = await next_in(world, group)
    assert text_of(explained) == (
        f"Hello! Only {COMMUNITY}'s organisers can add me to a group, so I am leaving. "
        "Please ask them to add me."
    )
    await wait_until(world, lambda: world.calls_of("leaveChat"), "the bot to leave the group")
    [leave] = world.calls_of("leaveChat")
    assert leave.params["chat_id"] == group.id and leave.error_code is None
    assert group.bot_status == "left"
    await world.wait_idle(
        timeout=WAIT
    )  # Telegram reports the bot's leaving back; it stays gone and quiet
    assert len(world.bot_messages(group)) == 1
    assert not await registered(database, group)


async def test_in_a_served_group_the_bot_is_quiet_but_answers_its_commands(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    owner = Person(world, world.user("Olga", user_id=OWNER_ID, username="olga"))
    ann = Person(world, world.user("Ann"))
    sam = world.user("Sam")  # never pressed /start
    await onboard(ann, follow=[])
    group = world.group("Elm Street", admins=[owner.user], members=[ann.user, sam])
    # As an administrator the bot sees every message and every join and leave.
    await world.add_bot(group, by=owner.user, as_admin=True)
    await next_in(world, group)  # the greeting

    await world.send_text(ann.user, "Hi all, is the bin collection late again?", chat=group)
    await world.send_text(sam, "no idea", chat=group)
    await world.send_text(ann.user, "/start", chat=group)
    start = await next_in(world, group)
    assert text_of(start) == "Hello! Everything personal happens in a private chat with me."
    assert url_buttons(start) == [("Open the private chat", PRIVATE_CHAT)]
    await world.send_text(sam, "/help@some_other_bot", chat=group)  # not for us
    await world.send_text(sam, "/help@townsquare_test_bot", chat=group)
    help_ = await next_in(world, group)
    assert text_of(help_).startswith(f"I am {COMMUNITY}'s consultation bot.")
    assert url_buttons(help_) == [("Open the private chat", PRIVATE_CHAT)]
    await world.send_text(ann.user, "/mydata", chat=group)  # private: not shown in the group
    elsewhere = await next_in(world, group)
    assert text_of(elsewhere) == "Let's continue in a private chat."
    texts = [text_of(m) for m in world.bot_messages(group)]
    assert len(texts) == 4  # greeting, /start, /help, /mydata: no answer to the chatter
    assert not ann.chat()[1:]  # and nothing was sent privately

    # Memberships: recorded for Ann, who consented; never for Sam.
    async def ann_in_group(expected: bool) -> bool:
        member = await member_row(database, ann.id)
        assert member is not None
        async with database.unit_of_work() as uow:
            return (group.id in await uow.chats.member_chat_ids(member.id)) == expected

    await world.leave(ann.user, group)
    await eventually(lambda: ann_in_group(False), "Ann's leaving to be recorded")
    await world.join(ann.user, group)
    await eventually(lambda: ann_in_group(True), "Ann's joining to be recorded")
    await world.leave(sam, group)
    await world.join(sam, group)
    await _barrier(world, group, sam)
    assert await member_row(database, sam.id) is None
    await world.leave(ann.user, group)
    await eventually(lambda: ann_in_group(False), "Ann's leaving to be recorded")


async def _barrier(world: World, group: Group, user: User) -> None:
    """Wait until this person's updates so far are handled.

    One person's updates (their joins and leaves included) are handled in order, so once a
    command of theirs is answered, everything before it is done.
    """
    await world.send_text(user, "/start", chat=group)
    await next_in(world, group)
