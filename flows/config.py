"""What the core needs to know about the deployment, decided once in the composition root."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class CommunityConfig:
    """Deployment facts the flows use.

    Attributes:
        bot_username: The bot's @username without the @ (for deep links), from getMe.
        owner_ids: Telegram user ids with full rights (from OWNER_IDS).
        default_language: Interface language when nothing better is known.
        timezone: The community's time zone, for showing times.
        community_name: How the bot names the community in its texts.
    """

    bot_username: str
    owner_ids: frozenset[int] = field(default_factory=frozenset)
    default_language: str = "en"
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    community_name: str = "Townsquare"

    def deep_link(self, start_payload: str | None = None) -> str:
        """Return a t.me link that opens the private chat with the bot (with a /start payload)."""
        base = f"https://t.me/{self.bot_username}"
        return f"{base}?start={start_payload}" if start_payload else base
