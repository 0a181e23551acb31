"""Onboarding through the real front ends: several people at once, two languages, a restart."""

from __future__ import annotations

import asyncio

from bot.emulator import ChatMessage
from flows.onboarding.texts import WELCOME
from storage.db import Database
from storage.models import MemberStatus
from tests.scenarios.conftest import COMMUNITY, RunningBot
from tests.scenarios.people import (
    CHINESE,
    EN,
    ENGLISH,
    WAIT,
    ZH,
    Person,
    labels,
    member_row,
    onboard,
    text_of,
    wait_until,
)


async def test_people_onboard_in_english_and_chinese_at_the_same_time(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    ann = Person(world, world.user("Ann", language_code="en-GB", username="ann"))
    mei = Person(world, world.user("Mei", language_code="zh-hans", username="mei"))
    tom = Person(world, world.user("Tom", language_code="de"))  # no catalog: English offered

    # Everyone presses /start at once; each is welcomed in the language Telegram reports.
    await asyncio.gather(ann.write("/start"), mei.write("/start"), tom.write("/start"))
    welcome_ann, welcome_mei, welcome_tom = await asyncio.gather(
        ann.next_message(), mei.next_message(), tom.next_message()
    )
    assert text_of(welcome_ann) == EN(WELCOME, community=COMMUNITY)
    assert text_of(welcome_ann).startswith(f"Welcome to {COMMUNITY}!")
    assert text_of(welcome_mei) == ZH(WELCOME, community=COMMUNITY)
    assert text_of(welcome_mei).startswith(f"欢迎来到{COMMUNITY}！")
    assert text_of(welcome_tom) == text_of(welcome_ann)
    assert labels(welcome_ann) == [f"✓ {ENGLISH}", CHINESE]
    assert labels(welcome_mei) == [ENGLISH, f"✓ {CHINESE}"]
    assert labels(welcome_tom) == [f"✓ {ENGLISH}", CHINESE]

    # ... and goes through the steps concurrently; Tom prefers Chinese after all.
    done_ann, done_mei, done_tom = await asyncio.gather(
        _continue(ann, welcome_ann, ENGLISH, ["Parks", "North End"]),
        _continue(mei, welcome_mei, CHINESE, ["公园"]),
        _continue(tom, welcome_tom, CHINESE, []),
    )
    assert text_of(done_ann) == (
        "You're all set!\nYou follow: Parks, North End.\n\n/help shows what you can do."
    )
    assert text_of(done_mei) == (
        ZH("You're all set!")
        + "\n"
        + ZH("You follow: {names}.", names="公园")
        + "\n\n"
        + ZH("/help shows what you can do.")
    )
    assert text_of(done_mei).startswith("一切就绪！")
    assert ZH("You follow nothing in particular: you will hear about everything important.") in (
        text_of(done_tom)
    )

    # One message per person carried the whole conversation, edited step by step.
    for person in (ann, mei, tom):
        assert len(person.chat()) == 1
    for person, language in ((ann, "en"), (mei, "zh_Hans"), (tom, "zh_Hans")):
        member = await member_row(database, person.id)
        assert member is not None and member.status is MemberStatus.ACTIVE
        assert member.language == language and member.consent_at is not None
    member = await member_row(database, ann.id)
    assert member is not None and member.username == "ann"  # names are kept after consent


async def _continue(
    person: Person, welcome: ChatMessage, language: str, follow: list[str]
) -> ChatMessage:
    """From the welcome: language, consent, topics toggled (✓ shown by edits), Done."""
    t = ZH if language == CHINESE else EN
    notice = await person.tap(welcome, language)
    assert notice.edited and text_of(notice).endswith(t("Do you agree?"))
    topics = await person.tap(notice, t("I agree"))
    assert person.toast is not None and person.toast.text == t("Thank you!")
    for name in follow:
        topics = await person.tap(topics, name)
        assert f"✓ {name}" in labels(topics)
        assert person.toast is not None and person.toast.text == t("Following.")
    if follow:  # tapping again unfollows, tapping once more follows again
        name = follow[0]
        topics = await person.tap(topics, f"✓ {name}")
        assert f"✓ {name}" not in labels(topics)
        assert person.toast is not None and person.toast.text == t("Unfollowed.")
        topics = await person.tap(topics, name)
        assert f"✓ {name}" in labels(topics)
    return await person.tap(topics, t("Done"))


async def test_help_language_and_topics_after_onboarding(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    ann = Person(world, world.user("Ann"))
    await onboard(ann, ENGLISH, follow=["Parks"])

    help_text = text_of(await ann.ask("/help"))
    assert help_text.startswith("Here is what you can do:")
    for command in ("/start", "/help", "/language", "/topics", "/privacy", "/mydata", "/forget"):
        assert command in help_text
    assert "/role" not in help_text and "/chats" not in help_text  # not for residents

    # /language: Chinese from now on, in this chat and in her command menu.
    choice = await ann.ask("/language")
    assert labels(choice) == [f"✓ {ENGLISH}", CHINESE]
    switched = await ann.tap(choice, CHINESE)
    assert switched.message_id == choice.message_id
    assert text_of(switched) == ZH("From now on I'll write to you in {language}.", language=CHINESE)
    assert labels(switched) == [ENGLISH, f"✓ {CHINESE}"]
    assert ann.toast is not None and ann.toast.text == "语言已保存。"
    assert text_of(await ann.ask("/help")).startswith("您可以做这些事情：")
    scope = {"type": "chat", "chat_id": ann.id}
    await wait_until(
        world,
        lambda: any(c["command"] == "topics" for c in world.my_commands(scope)),
        "Ann's own command menu",
    )
    topics_entry = next(c for c in world.my_commands(scope) if c["command"] == "topics")
    assert topics_entry["description"] == ZH("Choose the topics and areas you follow")

    # /topics: what she follows is ticked; she changes it and sees the summary.
    topics = await ann.ask("/topics")
    assert labels(topics) == ["✓ 公园", "🏷 安全", "📍 北区", "完成"]
    topics = await ann.tap(topics, "✓ 公园")
    assert ann.toast is not None and ann.toast.text == ZH("Unfollowed.")
    topics = await ann.tap(topics, "🏷 安全")
    assert labels(topics) == ["🏷 公园", "✓ 安全", "📍 北区", "完成"]
    saved = await ann.tap(topics, "完成")
    assert text_of(saved) == "已保存。\n" + ZH("You follow: {names}.", names="安全")

    member = await member_row(database, ann.id)
    assert member is not None and member.language == "zh_Hans"
    async with database.unit_of_work() as uow:
        followed = await uow.followables.followed_by(member.id)
        assert {item.slug for item in await uow.followables.listed() if item.id in followed} == {
            "safety"
        }


async def test_a_restart_in_the_middle_of_onboarding_resumes_at_consent(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    mei = Person(world, world.user("Mei", language_code="zh-hans"))
    welcome = await mei.ask("/start")
    notice = await mei.tap(welcome, CHINESE)
    assert text_of(notice).endswith(ZH("Do you agree?"))

    await world.wait_idle(timeout=WAIT)
    await running_bot.restart()  # the process stops between two steps; a new one starts

    resumed = await mei.ask("/start")
    assert resumed.message_id != notice.message_id  # a new message, at the step she was at
    assert text_of(resumed) == text_of(notice)
    assert labels(resumed) == [ZH("I agree"), ZH("No, thanks")]
    topics = await mei.tap(resumed, ZH("I agree"))
    assert mei.toast is not None and mei.toast.text == ZH("Thank you!")
    done = await mei.tap(topics, ZH("Done"))
    assert text_of(done).startswith("一切就绪！")
    member = await member_row(database, mei.id)  # committed before the message was shown
    assert member is not None and member.status is MemberStatus.ACTIVE
