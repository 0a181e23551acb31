"""Drive the engine directly with events and read back the effects: no network, no framework."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from admin import build_router
from flows.codec import decode, encode
from flows.config import CommunityConfig
from flows.effects import Button, EditMessage, Effect, SendDocument, SendMessage, Toast
from flows.engine import Engine
from flows.events import (
    ButtonPressed,
    Chat,
    ChatKind,
    CommandReceived,
    InboundEvent,
    MemberJoined,
    MemberLeft,
    Person,
    TextReceived,
)
from storage.db import Database
from tests.conftest import FakeClock

_ids = itertools.count(1_000_000)


def person(
    first_name: str = "Ada", language: str | None = "en", user_id: int | None = None
) -> Person:
    return Person(
        user_id=user_id or next(_ids),
        first_name=first_name,
        username=first_name.lower(),
        language_code=language,
    )


def private(who: Person) -> Chat:
    return Chat(who.user_id, ChatKind.PRIVATE)


def group(chat_id: int = -100123, title: str = "Elm Street residents") -> Chat:
    return Chat(chat_id, ChatKind.SUPERGROUP, title)


@dataclass
class Recorder:
    """A fake outbound path that remembers what would have been delivered."""

    delivered: list[Effect] = field(default_factory=list)

    async def deliver(self, effects: Sequence[Effect]) -> None:
        self.delivered.extend(effects)


class Harness:
    """An engine on a real database, a recording outbound path and a fake clock."""

    def __init__(
        self, database: Database, clock: FakeClock, owner_ids: frozenset[int] = frozenset()
    ) -> None:
        self.database = database
        self.clock = clock
        self.outbound = Recorder()
        self.config = CommunityConfig(
            bot_username="townsquare_test_bot", owner_ids=owner_ids, community_name="Elm Park"
        )
        self.engine = Engine(database, build_router(), self.outbound, self.config, clock)
        self.update_ids = itertools.count(1)

    def restart(self) -> None:
        """A new engine on the same database, as after a process restart."""
        self.engine = Engine(self.database, build_router(), self.outbound, self.config, self.clock)

    async def send(self, event: InboundEvent) -> list[Effect]:
        before = len(self.outbound.delivered)
        await self.engine.handle(event)
        return self.outbound.delivered[before:]

    def _base(self, who: Person | None, chat: Chat) -> dict[str, object]:
        return {
            "update_id": next(self.update_ids),
            "at": self.clock.now(),
            "chat": chat,
            "sender": who,
        }

    async def command(
        self, who: Person, command: str, args: str = "", chat: Chat | None = None
    ) -> list[Effect]:
        event = CommandReceived(
            **self._base(who, chat or private(who)), command=command, args=args, message_id=1
        )  # type: ignore[arg-type]
        return await self.send(event)

    async def text(self, who: Person, text: str, chat: Chat | None = None) -> list[Effect]:
        event = TextReceived(**self._base(who, chat or private(who)), text=text, message_id=1)  # type: ignore[arg-type]
        return await self.send(event)

    async def press(
        self, who: Person, data: str | None, message_id: int = 7, chat: Chat | None = None
    ) -> list[Effect]:
        event = ButtonPressed(
            **self._base(who, chat or private(who)),  # type: ignore[arg-type]
            callback_id=f"cb{next(_ids)}",
            payload=decode(data),
            message_id=message_id,
        )
        return await self.send(event)

    async def joins(self, who: Person, chat: Chat) -> list[Effect]:
        """`who` joins the group `chat` while the bot is in it."""
        return await self.send(MemberJoined(**self._base(who, chat), member=who))  # type: ignore[arg-type]

    async def leaves(self, who: Person, chat: Chat) -> list[Effect]:
        """`who` leaves the group `chat`."""
        return await self.send(MemberLeft(**self._base(who, chat), member=who))  # type: ignore[arg-type]

    async def tap(self, who: Person, effects: Sequence[Effect], label: str) -> list[Effect]:
        """Press the button whose text contains `label` on the last message in `effects`."""
        button = find_button(effects, label)
        assert button.payload is not None, f"{label!r} is a link, not a button"
        return await self.press(who, encode(button.payload))


def messages(effects: Sequence[Effect]) -> list[SendMessage | EditMessage]:
    return [e for e in effects if isinstance(e, SendMessage | EditMessage)]


def texts(effects: Sequence[Effect]) -> str:
    """Everything shown, joined: messages, edits, toasts and document captions."""
    parts: list[str] = []
    for effect in effects:
        if isinstance(effect, SendMessage | EditMessage | Toast):
            parts.append(effect.text)
        elif isinstance(effect, SendDocument):
            parts.append(effect.caption)
    return "\n".join(parts)


def find_button(effects: Sequence[Effect], label: str) -> Button:
    for message in reversed(messages(effects)):
        for row in message.buttons:
            for button in row:
                if label in button.text:
                    return button
    raise AssertionError(f"no button {label!r} in {texts(effects)!r}")


def toasts(effects: Sequence[Effect]) -> list[Toast]:
    return [e for e in effects if isinstance(e, Toast)]
