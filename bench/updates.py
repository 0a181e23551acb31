"""Updates per second: the full Townsquare stack next to bare aiogram, measured in one run.

Both sides get the same updates (residents sending /help in private chats, each answered with a
message) through the same aiogram `Dispatcher.feed_update`, and both answer through an aiogram
`Bot` whose session replies at once without a network, so the difference is exactly what
Townsquare adds: translation, the engine (ordering, update-id dedupe, member and conversation
loaded, one transaction committed), the router and flow, and the outbound path.

    python bench/updates.py [--updates 3000] [--people 300] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher, F
from aiogram.client.session.base import BaseSession
from aiogram.methods import SendMessage
from aiogram.methods.base import TelegramMethod
from aiogram.types import Chat, Message, TelegramObject, Update

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from scratch import scratch_database  # noqa: E402 - beside this script

from admin import build_router  # noqa: E402
from bot.aiogram_api import AiogramApi  # noqa: E402
from bot.frontends.base import InFlight  # noqa: E402
from bot.outbound import TelegramOutbound  # noqa: E402
from flows.config import CommunityConfig  # noqa: E402
from flows.engine import Engine  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Member, MemberStatus  # noqa: E402

BOT_ID = 999_000
BOT_USERNAME = "bench_bot"
TOKEN = f"{BOT_ID}:bench-token-bench-token-bench-token-00"
HELP_TEXT = "Here is what you can do: /help /language /topics /privacy /mydata /forget /stop"


class InstantSession(BaseSession):
    """An aiogram session that answers every call at once, as Telegram would, with no network."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0
        self._message_ids = 0

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[Any],
        timeout: int | None = None,  # noqa: ASYNC109 - aiogram's signature
    ) -> Any:
        if isinstance(method, SendMessage):
            self.sent += 1
            self._message_ids += 1
            return Message(
                message_id=self._message_ids,
                date=datetime.now(UTC),
                chat=Chat(id=int(method.chat_id), type="private"),
                text=method.text,
            )
        return True

    async def stream_content(self, *args: Any, **kwargs: Any) -> AsyncGenerator[bytes, None]:
        raise NotImplementedError
        yield b""

    async def close(self) -> None:
        return None


def make_updates(bot: Bot, count: int, people: int) -> list[Update]:
    updates = []
    for n in range(count):
        user_id = 10_000 + n % people
        data = {
            "update_id": n + 1,
            "message": {
                "message_id": n + 1,
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private", "first_name": "Resident"},
                "from": {"id": user_id, "is_bot": False, "first_name": "Resident"},
                "text": "/help",
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
            },
        }
        updates.append(Update.model_validate(data, context={"bot": bot}))
    return updates


async def feed(dispatcher: Dispatcher, bot: Bot, updates: list[Update]) -> None:
    # Like aiogram's polling: every update becomes a task as soon as it is read.
    await asyncio.gather(*(dispatcher.feed_update(bot, update) for update in updates))


async def bare_aiogram(count: int, people: int) -> tuple[float, int]:
    session = InstantSession()
    bot = Bot(TOKEN, session=session)
    updates = make_updates(bot, count, people)
    dispatcher = Dispatcher()

    @dispatcher.message(F.text == "/help")
    async def help_(message: Message) -> None:
        await message.answer(HELP_TEXT)

    started = time.perf_counter()
    await feed(dispatcher, bot, updates)
    return time.perf_counter() - started, session.sent


async def seed(database_url: str, people: int) -> None:
    now = datetime.now(UTC)
    database = Database(database_url)
    async with database.unit_of_work() as uow:
        for n in range(people):
            await uow.members.add(
                Member(
                    telegram_id=10_000 + n,
                    first_name="Resident",
                    language="en",
                    status=MemberStatus.ACTIVE,
                    consent_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
        await uow.commit()
    await database.dispose()


async def townsquare(count: int, people: int, database_url: str) -> tuple[float, int]:
    session = InstantSession()
    bot = Bot(TOKEN, session=session)
    updates = make_updates(bot, count, people)
    database = Database(database_url)

    async def ignore(_telegram_id: int) -> None:
        return None

    outbound = TelegramOutbound(AiogramApi(bot), on_unreachable=ignore, refresh_commands=ignore)
    engine = Engine(database, build_router(), outbound, CommunityConfig(BOT_USERNAME))
    in_flight = InFlight(engine.handle, BOT_USERNAME)
    dispatcher = Dispatcher()

    async def take_update(
        _handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        update: TelegramObject,
        _data: dict[str, Any],
    ) -> None:
        in_flight.accept(update)  # exactly what the aiogram front end does

    dispatcher.update.outer_middleware(take_update)
    try:
        started = time.perf_counter()
        await feed(dispatcher, bot, updates)
        await in_flight.drain()
        return time.perf_counter() - started, session.sent
    finally:
        await database.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--database-url", help="a PostgreSQL server to use (SQLite otherwise)")
    args = parser.parse_args()

    async with scratch_database(args.database_url) as url:
        await upgrade(url)
        await seed(url, args.people)
        await bare_aiogram(200, args.people)  # warm up (imports, caches)
        bare_seconds, bare_sent = await bare_aiogram(args.updates, args.people)
        ours_seconds, ours_sent = await townsquare(args.updates, args.people, url)

    bare_rate = args.updates / bare_seconds
    ours_rate = args.updates / ours_seconds
    engine = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"updates:                 {args.updates} from {args.people} people ({engine})")
    print(f"bare aiogram:            {bare_rate:8.0f} updates/s  ({bare_sent} replies)")
    print(f"Townsquare full stack:   {ours_rate:8.0f} updates/s  ({ours_sent} replies)")
    print(f"ratio (target >= 0.5):   {ours_rate / bare_rate:8.2f}")


if __name__ == "__main__":
    asyncio.run(main())
