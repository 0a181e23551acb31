"""The pieces the in-process benchmarks share: a Bot API that answers at once, bare aiogram's
dispatch rate, seeded members, and the full Townsquare stack behind aiogram's dispatcher.

Both sides of a comparison get updates through the same aiogram `Dispatcher.feed_update` and
answer through an aiogram `Bot` whose session replies without a network, so the difference is
exactly what Townsquare adds.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher, F
from aiogram.client.session.base import BaseSession
from aiogram.methods import EditMessageText, SendMessage
from aiogram.methods.base import TelegramMethod
from aiogram.types import Chat, InlineKeyboardMarkup, Message, TelegramObject, Update

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from admin import build_router  # noqa: E402
from bot.aiogram_api import AiogramApi  # noqa: E402
from bot.frontends.base import InFlight  # noqa: E402
from bot.outbound import TelegramOutbound  # noqa: E402
from flows.config import CommunityConfig  # noqa: E402
from flows.engine import Engine  # noqa: E402
from flows.events import InboundEvent  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Member, MemberStatus  # noqa: E402

BOT_ID = 999_000
BOT_USERNAME = "bench_bot"
TOKEN = f"{BOT_ID}:bench-token-bench-token-bench-token-00"
FIRST_PERSON = 10_000  # Telegram id of the first seeded member
HELP_TEXT = "Here is what you can do: /help /language /topics /privacy /mydata /forget /stop"


@dataclass
class Shown:
    """A message as the person sees it now: its text and inline keyboard."""

    message_id: int
    text: str
    keyboard: InlineKeyboardMarkup | None


class InstantSession(BaseSession):
    """An aiogram session that answers every call at once, as Telegram would, with no network.

    It keeps the last state of every message it sent, per chat, so that a simulated person can
    press the buttons of the bot's latest reply.
    """

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0
        self.chats: dict[int, list[Shown]] = {}
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
            chat_id = int(method.chat_id)
            keyboard = method.reply_markup
            markup = keyboard if isinstance(keyboard, InlineKeyboardMarkup) else None
            self.chats.setdefault(chat_id, []).append(Shown(self._message_ids, method.text, markup))
            return self._message(chat_id, self._message_ids, method.text)
        if isinstance(method, EditMessageText) and method.chat_id is not None:
            chat_id, message_id = int(method.chat_id), int(method.message_id or 0)
            for shown in self.chats.get(chat_id, []):
                if shown.message_id == message_id:
                    shown.text = method.text
                    markup = method.reply_markup
                    shown.keyboard = markup if isinstance(markup, InlineKeyboardMarkup) else None
            return self._message(chat_id, message_id, method.text)
        return True

    @staticmethod
    def _message(chat_id: int, message_id: int, text: str) -> Message:
        return Message(
            message_id=message_id,
            date=datetime.now(UTC),
            chat=Chat(id=chat_id, type="private"),
            text=text,
        )

    async def stream_content(self, *args: Any, **kwargs: Any) -> AsyncGenerator[bytes, None]:
        raise NotImplementedError
        yield b""

    async def close(self) -> None:
        return None


def command_updates(bot: Bot, count: int, people: int, command: str = "/help") -> list[Update]:
    """`count` updates: people (in turn) sending `command` in their private chats."""
    updates = []
    for n in range(count):
        user_id = FIRST_PERSON + n % people
        data = {
            "update_id": n + 1,
            "message": {
                "message_id": n + 1,
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private", "first_name": "Resident"},
                "from": {"id": user_id, "is_bot": False, "first_name": "Resident"},
                "text": command,
                "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}],
            },
        }
        updates.append(Update.model_validate(data, context={"bot": bot}))
    return updates


async def feed(dispatcher: Dispatcher, bot: Bot, updates: list[Update]) -> None:
    """Like aiogram's polling: every update becomes a task as soon as it is read."""
    await asyncio.gather(*(dispatcher.feed_update(bot, update) for update in updates))


async def bare_aiogram(count: int, people: int) -> tuple[float, int]:
    """Seconds bare aiogram takes to answer `count` /help updates, and the replies sent."""
    session = InstantSession()
    bot = Bot(TOKEN, session=session)
    updates = command_updates(bot, count, people)
    dispatcher = Dispatcher()

    @dispatcher.message(F.text == "/help")
    async def help_(message: Message) -> None:
        await message.answer(HELP_TEXT)

    started = time.perf_counter()
    await feed(dispatcher, bot, updates)
    return time.perf_counter() - started, session.sent


async def seed_members(database_url: str, people: int) -> None:
    """`people` members who have consented, with Telegram ids from FIRST_PERSON on."""
    now = datetime.now(UTC)
    database = Database(database_url)
    async with database.unit_of_work() as uow:
        for n in range(people):
            await uow.members.add(
                Member(
                    telegram_id=FIRST_PERSON + n,
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


@dataclass
class Stack:
    """The full Townsquare stack behind aiogram's dispatcher, answering through `session`."""

    bot: Bot
    session: InstantSession
    dispatcher: Dispatcher
    in_flight: InFlight
    engine: Engine


@asynccontextmanager
async def townsquare_stack(
    database_url: str, on_handled: Callable[[InboundEvent], Awaitable[None]] | None = None
) -> AsyncIterator[Stack]:
    """The full stack, as the aiogram front end wires it; `on_handled` runs after each event."""
    session = InstantSession()
    bot = Bot(TOKEN, session=session)
    database = Database(database_url)

    async def ignore(_telegram_id: int) -> None:
        return None

    api = AiogramApi(bot)
    outbound = TelegramOutbound(api, on_unreachable=ignore, refresh_commands=ignore)
    engine = Engine(database, build_router(), outbound, CommunityConfig(BOT_USERNAME))

    async def handle(event: InboundEvent) -> None:
        await engine.handle(event)
        if on_handled is not None:
            await on_handled(event)

    in_flight = InFlight(handle, BOT_USERNAME, api)
    dispatcher = Dispatcher(disable_fsm=True)  # as the aiogram front end

    async def take_update(
        _handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        update: TelegramObject,
        _data: dict[str, Any],
    ) -> None:
        in_flight.accept(update)  # exactly what the aiogram front end does

    dispatcher.update.outer_middleware(take_update)
    try:
        yield Stack(bot, session, dispatcher, in_flight, engine)
    finally:
        await database.dispose()
