"""Acting as people in scenario tests, and reading what they see and what the bot stored.

Nothing here sleeps blindly: waits are for something the bot does (a message, an edit, a button
answer, a call) through the emulator's wake-up signal, or, for database state the emulator cannot
see, a bounded poll of the database.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from bot.emulator import CallbackAnswer, ChatMessage, Group, User, World
from flows.i18n import Translator, language_name, translator
from flows.onboarding.texts import PRIVACY_NOTICE, WELCOME
from storage.db import Database
from storage.models import Base, Member
from tests.scenarios.conftest import COMMUNITY

EN = translator("en")
ZH = translator("zh_Hans")
ENGLISH = language_name("en")  # the label of the language button: "English"
CHINESE = language_name("zh_Hans")  # "中文 (简体)"
TRANSLATORS = {ENGLISH: EN, CHINESE: ZH}
WAIT = 10.0  # seconds; generous for PostgreSQL under `pytest -n 2`, never reached when green


async def wait_until(
    world: World, condition: Callable[[], object], what: str, within: float = WAIT
) -> None:
    """Wait until `condition()` holds for the emulator's state (calls, menus, chats).

    Woken by every change the emulator signals, so it returns as soon as the bot acted.
    """
    deadline = time.monotonic() + within
    while not condition():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"waited {within}s for {what}")
        await world.signal.wait(min(remaining, 0.5))


async def eventually(check: Callable[[], Awaitable[bool]], what: str, within: float = WAIT) -> None:
    """Wait until an async `check` (usually a database query) holds; polls every 20 ms.

    For state only the database shows, such as a status set on an update that sends nothing.
    """
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {within}s for {what}")
        await asyncio.sleep(0.02)


async def answer_of(world: World, callback_id: str, within: float = WAIT) -> CallbackAnswer:
    """Wait for the bot's answer to a button press (the toast, possibly empty)."""
    await wait_until(
        world, lambda: world.answer_for(callback_id) is not None, "a button answer", within
    )
    answer = world.answer_for(callback_id)
    assert answer is not None
    return answer


async def next_in(world: World, chat: Group | User | int) -> ChatMessage:
    """The next message the bot sends or edits in a chat (a group, usually), in order."""
    (message,) = await world.wait_for(chat, timeout=WAIT)
    return message


@dataclass
class Person:
    """Someone using Telegram: writes to the bot, presses buttons, reads their private chat."""

    world: World
    user: User
    toast: CallbackAnswer | None = field(default=None, init=False)

    @property
    def id(self) -> int:
        return self.user.id

    async def write(self, text: str, chat: Group | None = None) -> ChatMessage:
        """Send a text (or command) without waiting for an answer; returns the person's message."""
        return await self.world.send_text(self.user, text, chat=chat)

    async def ask(self, text: str) -> ChatMessage:
        """Send a text in the private chat and return the bot's next message there."""
        await self.write(text)
        return await self.next_message()

    async def next_message(
        self, predicate: Callable[[ChatMessage], bool] | None = None, within: float = WAIT
    ) -> ChatMessage:
        """The next message the bot sends or edits in the private chat (in order)."""
        (message,) = await self.world.wait_for(self.user, predicate, timeout=within)
        return message

    async def press(
        self, message: ChatMessage, label: str | None = None, data: str | None = None
    ) -> CallbackAnswer:
        """Press a button (see `button`), or send any raw data, and return the bot's answer."""
        label = None if label is None else button(message, label)
        callback_id = await self.world.press(self.user, message, label, data)
        self.toast = await answer_of(self.world, callback_id)
        return self.toast

    async def tap(self, message: ChatMessage, label: str) -> ChatMessage:
        """Press a button (see `button`) and return what the chat shows next (usually that
        message, edited). The answer to the press (the toast) is kept in `self.toast`.
        """
        callback_id = await self.world.press(self.user, message, button(message, label))
        shown = await self.next_message()
        self.toast = await answer_of(self.world, callback_id)
        return shown

    async def send_document(self, name: str, content: bytes) -> ChatMessage:
        """Send a file in the private chat without waiting for an answer; returns the message."""
        return await self.world.send_document(self.user, name, content)

    def chat(self) -> list[ChatMessage]:
        """The bot's messages in the private chat as they are now."""
        return self.world.bot_messages(self.user)

    async def send_sticker(self) -> ChatMessage:
        """Send a sticker, a message kind the bot does not read.

        The emulator has no sticker action; this builds Telegram's update from its primitives.
        """
        sticker = {
            "file_id": self.world.new_token("S"),
            "file_unique_id": self.world.new_token("U"),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        }
        self.user.started = True
        stored = self.world.store_message(self.id, self.id, {"sticker": sticker})
        self.world.updates.push("message", self.world.message_json(stored))
        await asyncio.sleep(0)
        return self.world.snapshot(stored)


MARKS = ("✓ ", "🏷 ", "📍 ")  # a ticked choice, a topic, an area


def button(message: ChatMessage, name: str) -> str:
    """The label of the button called `name`: exactly, or after its mark (`✓ English`)."""
    current = labels(message)
    if name in current:
        return name
    marked = [label for label in current if label in (mark + name for mark in MARKS)]
    assert len(marked) == 1, f"no single button {name!r} in {current}"
    return marked[0]


def labels(message: ChatMessage) -> list[str]:
    """The labels of a message's buttons, in order."""
    return [button.text for button in message.flat_buttons]


def text_of(message: ChatMessage) -> str:
    assert message.text is not None, message
    return message.text


async def onboard(
    person: Person, language: str = ENGLISH, follow: Iterable[str] = ("Parks",)
) -> ChatMessage:
    """Go through /start: pick `language`, agree, follow `follow` (English names), Done.

    Checks what the person sees at every step and returns the final message.
    """
    t = TRANSLATORS[language]
    welcome = await person.ask("/start")
    assert text_of(welcome) == t(WELCOME, community=COMMUNITY)
    notice = await person.tap(welcome, language)
    assert notice.message_id == welcome.message_id and notice.edited
    assert text_of(notice) == t(PRIVACY_NOTICE, community=COMMUNITY) + "\n\n" + t("Do you agree?")
    topics = await person.tap(notice, t("I agree"))
    assert person.toast is not None and person.toast.text == t("Thank you!")
    assert text_of(topics) == t(
        "What would you like to hear about? Tap a topic or an area to follow it, tap again to "
        "unfollow. You can change this any time with /topics."
    )
    for name in follow:
        local = topic_name(name, t)
        topics = await person.tap(topics, local)
        assert f"✓ {local}" in labels(topics), labels(topics)
        assert person.toast is not None and person.toast.text == t("Following.")
    done = await person.tap(topics, t("Done"))
    assert text_of(done).startswith(t("You're all set!"))
    assert done.buttons == ()
    return done


TOPIC_NAMES = {"Parks": "公园", "Safety": "安全", "North End": "北区"}


def topic_name(english: str, t: Translator) -> str:
    """A seeded topic's name as a person reading `t`'s language sees it."""
    return TOPIC_NAMES[english] if t is ZH else english


async def member_row(database: Database, telegram_id: int) -> Member | None:
    """The member row of a Telegram user, as the bot stored it."""
    async with database.unit_of_work() as uow:
        return await uow.members.get_by_telegram_id(telegram_id)


async def traces_of(database: Database, *needles: str | int) -> list[str]:
    """Scan every column of every table for any of `needles`; return where each was found.

    Integers are matched as whole numbers (in integer columns and inside text and JSON),
    strings as substrings.
    """
    patterns = [
        re.compile(rf"(?<!\d){needle}(?!\d)" if isinstance(needle, int) else re.escape(needle))
        for needle in needles
    ]
    found: list[str] = []
    async with database.unit_of_work() as uow:
        for table in Base.metadata.sorted_tables:
            for row in (await uow.session.execute(select(table))).mappings():
                for column, value in row.items():
                    if isinstance(value, bool) or value is None:
                        continue
                    if isinstance(value, int):
                        hit = value in needles
                    elif isinstance(value, str | dict | list):
                        text = (
                            value
                            if isinstance(value, str)
                            else json.dumps(value, ensure_ascii=False)
                        )
                        hit = any(p.search(text) for p in patterns)
                    else:
                        continue  # dates and times
                    if hit:
                        found.append(f"{table.name}.{column} = {value!r}")
    return found
