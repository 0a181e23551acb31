"""Messages about a survey to many members: one outbox send per language, times shown locally."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from flows.effects import Broadcast, Keyboard
from storage.models import Member

Render = Callable[[str], tuple[str, Keyboard]]
"""Makes the message (text and buttons) in one language."""


def broadcasts(
    batch: str, members: Sequence[Member], default_language: str, render: Render
) -> list[Broadcast]:
    """Return one non-urgent Broadcast per language for the members who can be reached.

    Args:
        batch: The send's unique name; nobody gets two copies of one batch.
        members: Who gets it; members without a Telegram id (erased) are left out.
        default_language: The language of members who never chose one.
        render: Makes the message in a language.
    """
    by_language: dict[str, list[tuple[int, int | None]]] = defaultdict(list)
    for member in members:
        if member.telegram_id is not None:
            by_language[member.language or default_language].append((member.telegram_id, member.id))
    sends = []
    for language, recipients in by_language.items():
        text, buttons = render(language)
        sends.append(
            Broadcast(batch=batch, recipients=tuple(recipients), text=text, buttons=buttons)
        )
    return sends


def local_time(moment: datetime, timezone: ZoneInfo) -> str:
    """Show a time in the community's time zone, e.g. `2026-12-05 18:00 (Europe/London)`."""
    return f"{moment.astimezone(timezone):%Y-%m-%d %H:%M} ({timezone.key})"
