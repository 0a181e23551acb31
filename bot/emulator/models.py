"""The records the emulated server keeps: people, groups, messages, files, polls, queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

MemberStatus = Literal["creator", "administrator", "member", "left", "kicked"]


@dataclass(frozen=True)
class BotIdentity:
    """Who the emulated bot is (what getMe answers)."""

    id: int = 7_000_000_001
    username: str = "townsquare_test_bot"
    first_name: str = "Townsquare"

    def to_json(self) -> dict[str, Any]:
        """Returns the bot as a Telegram ``User`` object."""
        return {
            "id": self.id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }


@dataclass(eq=False)
class User:
    """A simulated person.

    Attributes:
        started: The person has written to the bot in private (so the bot may write to them).
        blocked: The person has blocked the bot.
    """

    id: int
    first_name: str
    language_code: str | None = "en"
    username: str | None = None
    last_name: str | None = None
    started: bool = False
    blocked: bool = False

    @property
    def chat_id(self) -> int:
        """The id of the person's private chat with the bot (equal to the user id)."""
        return self.id

    def to_json(self) -> dict[str, Any]:
        """Returns the person as a Telegram ``User`` object."""
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    def chat_json(self) -> dict[str, Any]:
        """Returns the private chat with the bot as a Telegram ``Chat`` object."""
        data: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        return data


@dataclass(eq=False)
class Group:
    """A group or supergroup; ``statuses`` maps user ids to their membership status."""

    id: int
    title: str
    supergroup: bool = True
    username: str | None = None
    statuses: dict[int, MemberStatus] = field(default_factory=dict)
    bot_status: MemberStatus = "left"

    @property
    def chat_id(self) -> int:
        """The group's chat id."""
        return self.id

    @property
    def kind(self) -> Literal["group", "supergroup"]:
        """The Telegram chat type."""
        return "supergroup" if self.supergroup else "group"

    def has_member(self, user_id: int) -> bool:
        """Tells whether the user is currently in the group."""
        return self.statuses.get(user_id, "left") in ("creator", "administrator", "member")

    def is_admin(self, user_id: int) -> bool:
        """Tells whether the user is the creator or an administrator."""
        return self.statuses.get(user_id) in ("creator", "administrator")

    @property
    def bot_present(self) -> bool:
        """Tells whether the bot is in the group."""
        return self.bot_status in ("administrator", "member")

    def chat_json(self) -> dict[str, Any]:
        """Returns the group as a Telegram ``Chat`` object."""
        data: dict[str, Any] = {"id": self.id, "type": self.kind, "title": self.title}
        if self.username:
            data["username"] = self.username
        return data


@dataclass(eq=False)
class StoredMessage:
    """The current state of a message in a chat; ``content`` holds text/caption/media fields."""

    chat_id: int
    message_id: int
    sender_id: int
    date: int
    content: dict[str, Any] = field(default_factory=dict)
    reply_markup: dict[str, Any] | None = None
    edit_date: int | None = None
    deleted: bool = False
    poll_id: str | None = None


@dataclass(eq=False)
class StoredFile:
    """A file the server holds, with the path getFile hands out for downloading it."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    file_name: str | None
    mime_type: str | None


@dataclass(eq=False)
class PollState:
    """A poll sent by the bot and the current votes (``votes`` maps user id to options)."""

    id: str
    chat_id: int
    message_id: int
    question: str
    options: list[str]
    is_anonymous: bool
    type: str
    allows_multiple_answers: bool
    allows_revoting: bool
    correct_option_ids: list[int] | None
    is_closed: bool = False
    votes: dict[int, list[int]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Returns the poll as a Telegram ``Poll`` object."""
        counts = [0] * len(self.options)
        for chosen in self.votes.values():
            for option in chosen:
                counts[option] += 1
        data: dict[str, Any] = {
            "id": self.id,
            "question": self.question,
            "options": [
                {"persistent_id": str(i), "text": text, "voter_count": counts[i]}
                for i, text in enumerate(self.options)
            ],
            "total_voter_count": sum(1 for chosen in self.votes.values() if chosen),
            "is_closed": self.is_closed,
            "is_anonymous": self.is_anonymous,
            "type": self.type,
            "allows_multiple_answers": self.allows_multiple_answers,
            "allows_revoting": self.allows_revoting,
            "members_only": False,
        }
        if self.correct_option_ids is not None:
            data["correct_option_ids"] = list(self.correct_option_ids)
            data["correct_option_id"] = self.correct_option_ids[0]
        return data


@dataclass(frozen=True)
class CallbackAnswer:
    """How the bot answered a callback query (what the person saw as a toast or alert)."""

    text: str | None
    show_alert: bool
    url: str | None


@dataclass(eq=False)
class CallbackRecord:
    """A button press sent to the bot, and its answer once given."""

    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str | None
    answer: CallbackAnswer | None = None


@dataclass(frozen=True)
class CallRecord:
    """One Bot API call received by the emulator.

    Attributes:
        method: The canonical method name (``sendMessage``), or the name as sent if unknown.
        params: The parameters as decoded JSON values.
        result: The ``result`` answered, when the call succeeded.
        error_code: The error code answered, when it failed.
        description: The error description answered, when it failed.
    """

    method: str
    params: dict[str, Any]
    result: Any = None
    error_code: int | None = None
    description: str | None = None

    @property
    def ok(self) -> bool:
        """Tells whether the call succeeded."""
        return self.error_code is None
