from __future__ import annotations

from tests.scenarios.conftest import RunningBot


async def test_start_welcomes_in_the_persons_language_and_help_answers(
    running_bot: RunningBot,
) -> None:
    world = running_bot.world
    mei = world.user("Mei", language_code="zh-hans")
    ann = world.user("Ann", language_code="en")

    await world.send_text(mei, "/start")
    await world.send_text(ann, "/start")
    (welcome_zh,) = await world.wait_for(mei)
    (welcome_en,) = await world.wait_for(ann)
    assert welcome_zh.text is not None and welcome_zh.text.startswith("欢迎来到Riverside")
    assert welcome_en.text is not None and welcome_en.text.startswith("Welcome to Riverside!")
    assert welcome_en.buttons  # the language choice

    await world.send_text(ann, "/help")
    (help_text,) = await world.wait_for(ann)
    assert help_text.text is not None and "/start" in help_text.text


async def test_command_menus_published_per_language(running_bot: RunningBot) -> None:
    world = running_bot.world
    private_en = world.my_commands({"type": "all_private_chats"}, "en")
    private_zh = world.my_commands({"type": "all_private_chats"}, "zh")
    assert private_en and private_zh
    assert world.my_commands({"type": "all_group_chats"})
