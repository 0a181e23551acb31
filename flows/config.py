"""What the core needs to know about the deployment, decided once in the composition root."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
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
        quiet_hours: Local (start, end) during which non-urgent private messages wait; None
            for no quiet hours. The span may cross midnight (22:00-07:00).
        pseudonym_key: The secret that keys anonymous respondents' pseudonyms (never stored).
        poll_refresh_seconds: The length of a poll's refresh slot: its group messages are
            edited at most once a slot, at the slot's end.
    """

    bot_username: str
    owner_ids: frozenset[int] = field(default_factory=frozenset)
    default_language: str = "en"
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    community_name: str = "Townsquare"
    quiet_hours: tuple[time, time] | None = None
    pseudonym_key: bytes = field(default=b"townsquare", repr=False)
    poll_refresh_seconds: int = 5

    def deep_link(self, start_payload: str | None = None) -> str:
        """Return a t.me link that opens the private chat with the bot (with a /start payload)."""
        base = f"https://t.me/{self.bot_username}"
        return f"{base}?start={start_payload}" if start_payload else base

    def quiet_until(self, moment: datetime) -> datetime | None:
        """Return when the quiet hours around `moment` end, or None if `moment` is not in them."""
        if self.quiet_hours is None:
            return None
        start, end = self.quiet_hours
        local = moment.astimezone(self.timezone)
        now = local.time()
        crosses_midnight = start > end
        inside = (start <= now or now < end) if crosses_midnight else (start <= now < end)
        if not inside:
            return None
        end_day = local.date()
        if crosses_midnight and now >= start:
            end_day += timedelta(days=1)
        wall_clock = datetime.combine(end_day, end)
        return wall_clock.replace(tzinfo=self.timezone).astimezone(moment.tzinfo)
