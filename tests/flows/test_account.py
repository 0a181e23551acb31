"""A member's rights: /mydata, /forget (with a scan of every table), /stop, /help, reachability."""

from __future__ import annotations

import json

from sqlalchemy import select

from admin.topics import add_followable
from flows.codec import encode, payload
from flows.effects import SendDocument
from flows.events import BotAddedToChat, BotBlocked, BotUnblocked, MemberJoined
from storage.db import Database
from storage.models import Base, FollowKind, MemberStatus
from tests.flows.harness import Harness, Person, group, person, private, texts


async def onboard(harness: Harness, who: Person, language: str = "English") -> None:
    """Go through /start as `who`: pick `language`, agree, follow Parks if it is offered."""
    welcome = await harness.command(who, "start")
    await harness.tap(who, welcome, language)
    topics = await harness.press(who, encode(payload("consent", "yes")))
    if "Parks" in str(topics):
        await harness.tap(who, topics, "Parks")
        await harness.press(who, encode(payload("topics.done", "o")))


async def status_of(database: Database, telegram_id: int) -> MemberStatus | None:
    async with database.unit_of_work() as uow:
        member = await uow.members.get_by_telegram_id(telegram_id)
        return member.status if member else None


async def every_value_in_the_database(database: Database) -> list[object]:
    values: list[object] = []
    async with database.unit_of_work() as uow:
        for table in Base.metadata.sorted_tables:
            for row in (await uow.session.execute(select(table))).all():
                for value in row:
                    values.append(value)
                    if isinstance(value, dict | list):
                        values.append(json.dumps(value, ensure_ascii=False))
    return values


async def seed_topic(harness: Harness) -> None:
    async with harness.database.unit_of_work() as uow:
        await add_followable(uow, FollowKind.TOPIC, "parks", {"en": "Parks"}, harness.clock.now())
        await uow.commit()


async def test_mydata_exports_everything_stored_about_the_member(harness: Harness) -> None:
    await seed_topic(harness)
    ada = person("Ada")
    await onboard(harness, ada)
    effects = await harness.command(ada, "mydata")
    document = next(e for e in effects if isinstance(e, SendDocument))
    data = json.loads(document.content)
    assert data["profile"]["telegram_id"] == ada.user_id
    assert data["profile"]["first_name"] == "Ada"
    assert data["profile"]["consent_at"] == harness.clock.now().isoformat()
    assert [f["slug"] for f in data["follows"]] == ["parks"]


async def test_forget_erases_every_trace_of_the_person(harness: Harness) -> None:
    await seed_topic(harness)
    ada = person("Zeynep", user_id=987654321)
    await onboard(harness, ada)
    await harness.send(
        BotAddedToChat(
            update_id=9999,
            at=harness.clock.now(),
            chat=group(),
            sender=Person(42, "Owner"),
            as_admin=False,
        )
    )
    await harness.send(
        MemberJoined(update_id=10000, at=harness.clock.now(), chat=group(), sender=ada, member=ada)
    )
    confirm = await harness.command(ada, "forget")
    assert "cannot be undone" in texts(confirm)
    done = await harness.tap(ada, confirm, "Yes, erase everything")
    assert "has been erased" in texts(done)

    values = await every_value_in_the_database(harness.database)
    for trace in (ada.user_id, "Zeynep", "zeynep"):
        assert not [v for v in values if v == trace or (isinstance(v, str) and str(trace) in v)], (
            trace
        )
    assert await status_of(harness.database, ada.user_id) is None
    # The person is a stranger again: they must start over to take part.
    assert "Please press /start first" in texts(await harness.command(ada, "topics"))


async def test_cancelling_forget_keeps_everything(harness: Harness) -> None:
    ada = person()
    await onboard(harness, ada)
    confirm = await harness.command(ada, "forget")
    assert "Nothing was erased." in texts(await harness.tap(ada, confirm, "Cancel"))
    assert await status_of(harness.database, ada.user_id) is MemberStatus.ACTIVE


async def test_stop_then_start_resubscribes(harness: Harness) -> None:
    ada = person()
    await onboard(harness, ada)
    assert "no longer receive news" in texts(await harness.command(ada, "stop"))
    async with harness.database.unit_of_work() as uow:
        member = await uow.members.get_by_telegram_id(ada.user_id)
        assert member is not None and member.broadcasts_stopped_at is not None
    assert "receive our news and consultations again" in texts(await harness.command(ada, "start"))
    async with harness.database.unit_of_work() as uow:
        member = await uow.members.get_by_telegram_id(ada.user_id)
        assert member is not None and member.broadcasts_stopped_at is None


async def test_blocking_and_unblocking_the_bot(harness: Harness) -> None:
    ada = person()
    await onboard(harness, ada)

    def base(update_id: int) -> dict[str, object]:
        return {
            "update_id": update_id,
            "at": harness.clock.now(),
            "chat": private(ada),
            "sender": ada,
        }

    await harness.send(BotBlocked(**base(800)))  # type: ignore[arg-type]
    assert await status_of(harness.database, ada.user_id) is MemberStatus.UNREACHABLE
    await harness.send(BotUnblocked(**base(801)))  # type: ignore[arg-type]
    assert await status_of(harness.database, ada.user_id) is MemberStatus.ACTIVE
    await harness.engine.report_unreachable(ada.user_id)  # a 403 while sending
    assert await status_of(harness.database, ada.user_id) is MemberStatus.UNREACHABLE


async def test_help_lists_only_what_the_person_may_use(harness: Harness) -> None:
    stranger, resident, owner = person("S"), person("R"), person("O", user_id=42)
    assert "/privacy" in texts(await harness.command(stranger, "help"))
    assert "/mydata" not in texts(await harness.command(stranger, "help"))
    await onboard(harness, resident)
    await onboard(harness, owner)
    resident_help = texts(await harness.command(resident, "help"))
    owner_help = texts(await harness.command(owner, "help"))
    assert "/forget" in resident_help and "/role" not in resident_help
    assert "/role" in owner_help and "/chats" in owner_help


async def test_a_topic_button_naming_no_possible_topic_is_refused_politely(
    harness: Harness,
) -> None:
    ada = person("Ada")
    await onboard(harness, ada)
    for forged in (10**15, 0, -5):  # beyond PostgreSQL's INTEGER, and ids no row has
        effects = await harness.press(ada, encode(payload("topic", "s", forged)))
        assert "That option is no longer available." in texts(effects)
        assert "went wrong" not in texts(effects)
