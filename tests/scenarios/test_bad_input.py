"""Bad input through the real front ends: each gets a clear answer and changes nothing."""

from __future__ import annotations

from bot.emulator import World
from storage.db import Database
from storage.models import MemberStatus
from tests.scenarios.conftest import RunningBot
from tests.scenarios.people import (
    CHINESE,
    EN,
    ENGLISH,
    ZH,
    Person,
    labels,
    member_row,
    onboard,
    text_of,
)

EXPIRED = EN("This button is no longer valid. Please use the latest message.")
START_FIRST = "Welcome! Please press /start first: it takes a few seconds."
NOT_SURE = "I'm not sure what to do with that message. /help lists what I can do."


async def followed_slugs(database: Database, telegram_id: int) -> set[str]:
    async with database.unit_of_work() as uow:
        member = await uow.members.get_by_telegram_id(telegram_id)
        assert member is not None
        followed = await uow.followables.followed_by(member.id)
        return {item.slug for item in await uow.followables.listed() if item.id in followed}


async def test_forged_and_garbage_button_data_get_a_polite_toast_and_change_nothing(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    ann = Person(world, world.user("Ann"))
    await onboard(ann, follow=["Parks"])
    topics = await ann.ask("/topics")
    shown = labels(topics)

    for data, toast in (
        ("1:topic:o:99999", "That option is no longer available."),  # no such topic
        ("1:topic:s:-1", "That option is no longer available."),
        ("garbage", EXPIRED),
        ("9:topic:s:1", EXPIRED),  # a codec version that does not exist
        ("1:topic:x:1", EXPIRED),  # a mode that does not exist
        ("1:lang:xx", EXPIRED),
        ("1:role.grant:1000", EXPIRED),  # an action nobody registered
        ("1:" + "a" * 62, EXPIRED),  # 64 bytes of nonsense
    ):
        answer = await ann.press(topics, data=data)
        assert answer.text == toast, data
        assert not answer.show_alert

    assert await followed_slugs(database, ann.id) == {"parks"}
    current = world.message(ann.user, topics.message_id)
    assert current is not None and labels(current) == shown  # the keyboard did not move
    assert len(ann.chat()) == 2  # the onboarding message and /topics: nothing was added


async def test_a_consent_payload_from_someone_who_never_pressed_start_changes_nothing(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    sam = Person(world, world.user("Sam", username="sam"))
    asked = await sam.ask("hello?")
    assert text_of(asked) == START_FIRST
    # Sam crafts the button data of the consent step and "presses" it under the bot's answer.
    answer = await sam.press(asked, data="1:consent:yes")
    assert answer.text == EXPIRED
    answer = await sam.press(asked, data="1:topics.done:o")
    assert answer.text == START_FIRST and answer.show_alert
    assert await member_row(database, sam.id) is None
    assert len(sam.chat()) == 1


async def test_pressing_an_old_messages_button_again_is_stale_and_nothing_doubles(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    li = Person(world, world.user("Li", language_code="zh-hans"))
    first = await li.ask("/start")
    second = await li.ask("/start")  # impatient: /start twice, two language choices
    assert text_of(second) == text_of(first)
    consent = await li.tap(second, CHINESE)
    old_consent = await li.tap(first, CHINESE)  # the first message reaches the same step
    assert text_of(old_consent) == text_of(consent)

    await li.tap(consent, ZH("I agree"))
    agreed = await member_row(database, li.id)
    assert agreed is not None and agreed.status is MemberStatus.ACTIVE
    messages_before = li.chat()

    stale = await li.press(old_consent, ZH("I agree"))
    assert stale.text == ZH("You have already agreed. /privacy shows the notice.")
    assert li.chat() == messages_before  # no message sent, none edited
    again = await member_row(database, li.id)
    assert again is not None and again.consent_at == agreed.consent_at


async def test_long_and_unicode_text_unknown_commands_and_strangers(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    ann = Person(world, world.user("Ann"))
    sam = Person(world, world.user("Sam"))
    await onboard(ann, follow=[])

    assert text_of(await ann.ask("x" * 4096)) == NOT_SURE
    assert text_of(await ann.ask("👋🏽 你好 — ça va? مرحبا " + "😀" * 2000)) == NOT_SURE
    assert text_of(await ann.ask("/frobnicate now")) == (
        "Sorry, I don't know /frobnicate. /help lists what I can do."
    )
    assert text_of(await ann.ask("/")) == NOT_SURE  # a lone slash is just text

    # Someone who never pressed /start is pointed there, whatever they send...
    for text in ("hi", "/topics", "/mydata", "/forget", "z" * 4096):
        assert text_of(await sam.ask(text)) == START_FIRST, text
    # ... except what anyone may read; and asking stores nothing about them.
    assert "What we store" in text_of(await sam.ask("/privacy"))
    assert text_of(await sam.ask("/help")).startswith("Press /start to take part.")
    assert await member_row(database, sam.id) is None


async def test_edited_messages_and_stickers_are_answered_politely(running_bot: RunningBot) -> None:
    world = running_bot.world
    ann = Person(world, world.user("Ann"))
    await onboard(ann, follow=[])
    mine = await ann.write("I want to report a broken lamp")
    assert text_of(await ann.next_message()) == NOT_SURE
    await world.edit_text(ann.user, mine, "I want to report a broken bench")
    assert text_of(await ann.next_message()) == (
        "I can't take edits into account. Please send a new message instead."
    )
    await ann.send_sticker()
    assert text_of(await ann.next_message()) == (
        "Sorry, I can only read text messages and button presses here."
    )

    # A stranger's edit is not answered: the next reply they get is to their next message.
    sam = Person(world, world.user("Sam"))
    hello = await sam.write("hello")
    assert text_of(await sam.next_message()) == START_FIRST
    await world.edit_text(sam.user, hello, "hello there")
    assert text_of(await sam.ask("/privacy")).startswith("How Riverside handles your data")
    assert len(sam.chat()) == 2


async def test_a_duplicate_update_is_handled_once(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    ann = Person(world, world.user("Ann"))
    await onboard(ann, follow=[])

    assert text_of(await ann.ask("/help")).startswith("Here is what you can do:")
    # The same /help again, with the same update_id, as after a lost confirmation.
    update_id = await world.redeliver_last(ann.user, kind="message")
    await _barrier(world, ann)
    assert times_received(world, update_id) == 2
    helps = [m for m in ann.chat() if text_of(m).startswith("Here is what you can do:")]
    assert len(helps) == 1

    # A toggle delivered twice would undo itself: it must count once.
    topics = await ann.ask("/topics")
    topics = await ann.tap(topics, "Parks")
    assert "✓ Parks" in labels(topics)
    calls_before = len(world.calls_of("editMessageText"))
    update_id = await world.redeliver_last(ann.user, kind="callback_query")
    await _barrier(world, ann)
    assert times_received(world, update_id) == 2
    assert await followed_slugs(database, ann.id) == {"parks"}
    assert len(world.calls_of("editMessageText")) == calls_before
    current = world.message(ann.user, topics.message_id)
    assert current is not None and "✓ Parks" in labels(current)


def times_received(world: World, update_id: int) -> int:
    """How many times the bot fetched an update (getUpdates answers in the call log)."""
    return sum(
        1
        for call in world.calls_of("getUpdates")
        for update in call.result or ()
        if update["update_id"] == update_id
    )


async def _barrier(world: World, person: Person) -> None:
    """Wait until every update of this person delivered so far has been handled.

    One person's updates are handled strictly in update order, so once the answer to a new
    message arrives, everything before it (a redelivered update included) is done.
    """
    assert text_of(await person.ask("/privacy")).startswith("How Riverside handles your data")


async def test_language_buttons_of_an_old_message_keep_working_in_place(
    running_bot: RunningBot,
) -> None:
    world = running_bot.world
    ann = Person(world, world.user("Ann"))
    await onboard(ann, follow=[])
    old = await ann.ask("/language")
    new = await ann.ask("/language")
    await ann.tap(new, CHINESE)
    # The older keyboard is re-checked against the database, not trusted: English again.
    back = await ann.tap(old, ENGLISH)
    assert back.message_id == old.message_id
    assert text_of(back) == "From now on I'll write to you in English."
    assert ann.toast is not None and ann.toast.text == "Language saved."
