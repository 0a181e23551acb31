"""Onboarding as a resident lives it: /start, language, consent, topics, and what goes wrong."""

from __future__ import annotations

from datetime import UTC

from admin.topics import add_followable
from flows.codec import encode, payload
from flows.effects import EditMessage, SendMessage
from flows.i18n import translator
from flows.onboarding.texts import PRIVACY_NOTICE, WELCOME
from storage.db import Database
from storage.models import FollowKind, MemberStatus
from tests.flows.harness import Harness, find_button, messages, person, texts, toasts

ZH = translator("zh_Hans")


async def add_topics(database: Database, clock_now) -> None:  # type: ignore[no-untyped-def]
    async with database.unit_of_work() as uow:
        await add_followable(
            uow, FollowKind.TOPIC, "parks", {"en": "Parks", "zh_Hans": "公园"}, clock_now
        )
        await add_followable(uow, FollowKind.AREA, "north", {"en": "North End"}, clock_now)
        await uow.commit()


async def member_of(database: Database, telegram_id: int):  # type: ignore[no-untyped-def]
    async with database.unit_of_work() as uow:
        return await uow.members.get_by_telegram_id(telegram_id)


async def test_a_resident_onboards_in_english_and_follows_a_topic(harness: Harness) -> None:
    await add_topics(harness.database, harness.clock.now())
    ada = person("Ada", "en-GB")

    welcome = await harness.command(ada, "start")
    assert "Welcome to Elm Park!" in texts(welcome)
    assert find_button(welcome, "English").text.startswith("✓")  # preselected from language_code

    notice = await harness.tap(ada, welcome, "English")
    assert "What we store" in texts(notice)
    assert isinstance(messages(notice)[0], EditMessage)  # the same message moves on
    member = await member_of(harness.database, ada.user_id)
    assert member.status is MemberStatus.ONBOARDING and member.first_name is None

    topics = await harness.tap(ada, notice, "I agree")
    assert "What would you like to hear about?" in texts(topics)
    followed = await harness.tap(ada, topics, "Parks")
    assert find_button(followed, "Parks").text == "✓ Parks"
    done = await harness.tap(ada, followed, "Done")
    assert "You're all set!" in texts(done)
    assert "You follow: Parks." in texts(done)

    member = await member_of(harness.database, ada.user_id)
    assert member.status is MemberStatus.ACTIVE
    assert member.consent_at == harness.clock.now().astimezone(UTC)
    assert member.first_name == "Ada" and member.language == "en"
    async with harness.database.unit_of_work() as uow:
        assert len(await uow.followables.followed_by(member.id)) == 1
        assert await uow.states.get(member.id) is None


async def test_a_chinese_speaker_is_welcomed_in_chinese_and_can_switch(harness: Harness) -> None:
    li = person("Li", "zh-hans")
    welcome = await harness.command(li, "start")
    assert ZH(WELCOME, community="Elm Park") in texts(welcome)
    assert ZH(WELCOME, community="Elm Park") != translator("en")(WELCOME, community="Elm Park")
    assert find_button(welcome, "中文").text.startswith("✓")

    notice = await harness.tap(li, welcome, "中文")
    assert ZH(PRIVACY_NOTICE, community="Elm Park") in texts(notice)
    done = await harness.tap(li, notice, ZH("I agree"))
    assert ZH("You're all set!") in texts(done)

    switched = await harness.command(li, "language")
    english = await harness.tap(li, switched, "English")
    assert "From now on I'll write to you in English." in texts(english)
    assert (await member_of(harness.database, li.user_id)).language == "en"


async def test_onboarding_resumes_after_a_restart(harness: Harness) -> None:
    ada = person()
    welcome = await harness.command(ada, "start")
    await harness.tap(ada, welcome, "English")

    harness.restart()  # the process dies between two steps
    resumed = await harness.command(ada, "start")
    assert "What we store" in texts(resumed)
    done = await harness.tap(ada, resumed, "I agree")
    assert "You're all set!" in texts(done)


async def test_declining_consent_keeps_nothing(harness: Harness) -> None:
    ada = person()
    welcome = await harness.command(ada, "start")
    notice = await harness.tap(ada, welcome, "English")
    declined = await harness.tap(ada, notice, "No, thanks")
    assert "nothing has been kept" in texts(declined)
    assert await member_of(harness.database, ada.user_id) is None
    # The old consent button now belongs to nobody: it changes nothing.
    late = await harness.press(ada, encode(payload("consent", "yes")))
    assert toasts(late) and await member_of(harness.database, ada.user_id) is None


async def test_forged_and_stale_buttons_change_nothing(harness: Harness) -> None:
    await add_topics(harness.database, harness.clock.now())
    ada = person()
    welcome = await harness.command(ada, "start")
    notice = await harness.tap(ada, welcome, "English")
    await harness.tap(ada, notice, "I agree")

    for forged in ("garbage", "2:topic:o:1", "1:topic:o:999999", "1:topic:x:1", "1:nope", "", None):
        effects = await harness.press(ada, forged)
        assert [t.text for t in toasts(effects)] != [""], forged
        assert not [m for m in messages(effects) if isinstance(m, SendMessage)], forged
    member = await member_of(harness.database, ada.user_id)
    async with harness.database.unit_of_work() as uow:
        assert await uow.followables.followed_by(member.id) == set()

    again = await harness.tap(ada, notice, "I agree")  # the consent button of an old message
    assert "already agreed" in texts(again)
    wrong_language = await harness.press(ada, encode(payload("lang", "xx")))
    assert "no longer valid" in texts(wrong_language)


async def test_a_stranger_is_asked_to_start_first(harness: Harness) -> None:
    bob = person("Bob")
    for effects in (
        await harness.text(bob, "hello?"),
        await harness.command(bob, "topics"),
        await harness.command(bob, "mydata"),
    ):
        assert "Please press /start first" in texts(effects)
    assert "What we store" in texts(await harness.command(bob, "privacy"))
    assert await member_of(harness.database, bob.user_id) is None  # asking stores nothing


async def test_unknown_commands_and_stray_text_get_a_pointer_to_help(harness: Harness) -> None:
    ada = person()
    welcome = await harness.command(ada, "start")
    await harness.tap(ada, await harness.tap(ada, welcome, "English"), "I agree")
    assert "I don't know /frobnicate" in texts(await harness.command(ada, "frobnicate"))
    assert "/help" in texts(await harness.text(ada, "x" * 4096))


async def test_a_deep_link_waits_for_onboarding_then_opens(harness: Harness) -> None:
    await add_topics(harness.database, harness.clock.now())
    ada = person()
    welcome = await harness.command(ada, "start", "privacy")
    notice = await harness.tap(ada, welcome, "English")
    topics = await harness.tap(ada, notice, "I agree")
    done = await harness.tap(ada, topics, "Done")
    assert "You're all set!" in texts(done)
    assert texts(done).count("What we store") == 1  # the privacy link opened after onboarding

    unknown = await harness.command(ada, "start", "survey-999")
    assert "that link is not valid" in texts(unknown)


async def test_a_failing_handler_commits_nothing_and_apologises(harness: Harness) -> None:
    ada = person()

    @harness.engine.router.command("boom", "explodes", in_menu=False, audience="anyone")  # type: ignore[arg-type]
    async def boom(ctx, args):  # type: ignore[no-untyped-def]
        await ctx.set_state("x", "y")
        raise RuntimeError("bug")

    await harness.command(ada, "start")  # creates the member row
    effects = await harness.command(ada, "boom")
    assert "something went wrong" in texts(effects)
    member = await member_of(harness.database, ada.user_id)
    async with harness.database.unit_of_work() as uow:
        state = await uow.states.get(member.id)
    assert state is not None and state.flow == "onboarding"  # the handler's write rolled back
