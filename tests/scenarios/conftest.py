"""Scenario fixtures: the real bot (runtime + front end) against the Bot API emulator.

`running_bot` is parametrised over both front ends and over every database engine under test
(SQLite, and PostgreSQL when TEST_DATABASE_URL is set, through `database_url`). The database
is migrated and seeded with `topics` before the bot starts; `RunningBot.restart()` stops the
bot and starts a new one on the same database, as after a process restart.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from admin.topics import add_followable
from bot.config import Settings
from bot.emulator import RunningEmulator, World
from storage.db import Database
from storage.models import FollowKind
from tests.bot_process import BotProcess

OWNER_ID = 1000
COMMUNITY = "Riverside"


@dataclass(frozen=True)
class TopicSeed:
    """A topic or area organisers defined before the bot started."""

    kind: FollowKind
    slug: str
    names: dict[str, str]


STANDARD_TOPICS = (
    TopicSeed(FollowKind.TOPIC, "parks", {"en": "Parks", "zh_Hans": "公园"}),
    TopicSeed(FollowKind.TOPIC, "safety", {"en": "Safety", "zh_Hans": "安全"}),
    TopicSeed(FollowKind.AREA, "north", {"en": "North End", "zh_Hans": "北区"}),
)


@dataclass
class RunningBot:
    """The bot under test, as a scenario sees it."""

    world: World
    framework: str
    settings: Settings
    process: BotProcess = field(repr=False)

    async def restart(self) -> None:
        """Stop this bot and start a new one on the same database and emulator."""
        await self.process.stop()
        self.process = BotProcess(self.settings)
        await self.process.start()


@pytest.fixture(params=["aiogram", "ptb"])
def framework(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def topics() -> tuple[TopicSeed, ...]:
    """The topics and areas on offer when the bot starts (override in a module for others)."""
    return STANDARD_TOPICS


@pytest.fixture
async def seeded_database_url(database_url: str, topics: tuple[TopicSeed, ...]) -> str:
    """The test database, migrated (by `database_url`) and seeded with `topics`."""
    database = Database(database_url)
    try:
        async with database.unit_of_work() as uow:
            for seed in topics:
                await add_followable(uow, seed.kind, seed.slug, seed.names, datetime.now(UTC))
            await uow.commit()
    finally:
        await database.dispose()
    return database_url


@pytest.fixture
def bot_settings(framework: str, emulator: RunningEmulator, seeded_database_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=emulator.token,
        bot_framework=framework,
        telegram_api_url=emulator.base_url,
        database_url=seeded_database_url,
        owner_ids=frozenset({OWNER_ID}),
        community_name=COMMUNITY,
        # Scenario people tap faster than anyone can read; at Telegram's one message a second
        # per chat (20 a minute in groups) every step would wait. Pacing has tests of its own.
        rate_limit_chat_per_second=50,
        rate_limit_group_per_minute=1200,
    )


@pytest.fixture
async def running_bot(
    framework: str, emulator: RunningEmulator, bot_settings: Settings
) -> AsyncIterator[RunningBot]:
    process = BotProcess(bot_settings)
    await process.start()
    bot = RunningBot(emulator.world, framework, bot_settings, process)
    try:
        yield bot
    finally:
        await bot.process.stop()
