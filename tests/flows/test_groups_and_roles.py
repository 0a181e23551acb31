"""Groups the bot serves and the roles that decide who may do what."""

from __future__ import annotations

from flows.effects import LeaveChat, RefreshCommands, SendMessage
from flows.events import BotAddedToChat, BotRemovedFromChat, MemberJoined, MemberLeft
from storage.models import Role
from tests.flows.harness import Harness, Person, group, person, texts
from tests.flows.test_account import onboard

OWNER = Person(42, "Olga", username="olga", language_code="en")


def added(harness: Harness, by: Person, update_id: int) -> BotAddedToChat:
    return BotAddedToChat(
        update_id=update_id, at=harness.clock.now(), chat=group(), sender=by, as_admin=False
    )


async def test_a_stranger_cannot_add_the_bot_to_a_group(harness: Harness) -> None:
    effects = await harness.send(added(harness, person("Mallory"), 100))
    assert "Only Elm Park's organisers can add me" in texts(effects)
    assert LeaveChat(chat_id=group().chat_id) in effects
    async with harness.database.unit_of_work() as uow:
        assert await uow.chats.get(group().chat_id) is None


async def test_an_owner_adds_the_bot_which_greets_once(harness: Harness) -> None:
    first = await harness.send(added(harness, OWNER, 100))
    greeting = [e for e in first if isinstance(e, SendMessage)]
    assert len(greeting) == 1 and "Hello, Elm Street residents!" in greeting[0].text
    assert greeting[0].buttons[0][0].url == "https://t.me/townsquare_test_bot"
    assert await harness.send(added(harness, OWNER, 101)) == []  # promoted to admin: quiet

    await harness.send(
        BotRemovedFromChat(update_id=102, at=harness.clock.now(), chat=group(), sender=OWNER)
    )
    async with harness.database.unit_of_work() as uow:
        chat = await uow.chats.get(group().chat_id)
        assert chat is not None and not chat.active
        assert [e.action for e in await uow.audit.recent()] == [
            "chat.removed",
            "chat.register",
            "chat.register",
        ]
    again = await harness.send(added(harness, OWNER, 103))
    assert "Hello, Elm Street residents!" in texts(again)


async def test_the_bot_is_quiet_in_groups_except_for_its_commands(harness: Harness) -> None:
    await harness.send(added(harness, OWNER, 100))
    ada = person()
    assert await harness.text(ada, "hello everyone", chat=group()) == []
    assert await harness.command(ada, "someotherbotcommand", chat=group()) == []
    start = await harness.command(ada, "start", chat=group())
    assert start[0].buttons[0][0].url == "https://t.me/townsquare_test_bot"  # type: ignore[union-attr]
    private_only = await harness.command(ada, "mydata", chat=group())
    assert "continue in a private chat" in texts(private_only)


async def test_memberships_are_kept_only_for_members_who_consented(harness: Harness) -> None:
    await harness.send(added(harness, OWNER, 100))
    ada, stranger = person("Ada"), person("Sam")
    await onboard(harness, ada)
    for update_id, who in ((200, ada), (201, stranger)):
        await harness.send(
            MemberJoined(
                update_id=update_id, at=harness.clock.now(), chat=group(), sender=who, member=who
            )
        )
    async with harness.database.unit_of_work() as uow:
        member = await uow.members.get_by_telegram_id(ada.user_id)
        assert member is not None
        assert await uow.chats.member_chat_ids(member.id) == [group().chat_id]
        assert await uow.members.get_by_telegram_id(stranger.user_id) is None
    await harness.send(
        MemberLeft(update_id=202, at=harness.clock.now(), chat=group(), sender=ada, member=ada)
    )
    async with harness.database.unit_of_work() as uow:
        assert await uow.chats.member_chat_ids(member.id) == []


async def test_roles_are_granted_by_rank(harness: Harness) -> None:
    owner, organiser, resident = OWNER, person("Orla"), person("Rui", "zh-hans")
    for who in (owner, organiser):
        await onboard(harness, who)
    await onboard(harness, resident, language="中文")

    denied = await harness.command(resident, "role", f"{organiser.user_id} moderator")
    assert "仅供组织者和管理员使用" in texts(denied)  # refused in their own language

    granted = await harness.command(owner, "role", "@orla organiser")
    assert "Orla's role is now: organiser." in texts(granted)
    assert RefreshCommands(user_id=organiser.user_id) in granted
    notice = [e for e in granted if isinstance(e, SendMessage) and e.chat_id == organiser.user_id]
    assert "Your role in Elm Park is now: organiser." in notice[0].text

    too_high = await harness.command(organiser, "role", f"{resident.user_id} organiser")
    assert "Only an owner can make someone an organiser." in texts(too_high)
    moderator = await harness.command(organiser, "role", f"{resident.user_id} moderator")
    zh_notice = [
        e for e in moderator if isinstance(e, SendMessage) and e.chat_id == resident.user_id
    ]
    assert "管理员" in zh_notice[0].text  # told in their own language
    demote_owner = await harness.command(organiser, "role", "42 resident")
    assert "Only an owner can change" in texts(demote_owner)
    unknown = await harness.command(owner, "role", "@nobody moderator")
    assert "need to press /start first" in texts(unknown)
    assert "Usage" in texts(await harness.command(owner, "role", "garbage"))

    async with harness.database.unit_of_work() as uow:
        member = await uow.members.get_by_telegram_id(resident.user_id)
        assert member is not None and member.role is Role.MODERATOR
    assert "还没有加入任何社区群组" in texts(await harness.command(resident, "chats"))
