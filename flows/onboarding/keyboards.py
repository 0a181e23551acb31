"""Keyboards shared by onboarding and the settings commands."""

from __future__ import annotations

from collections.abc import Sequence

from flows.codec import payload
from flows.effects import Button, Keyboard
from flows.i18n import available_languages, language_name
from storage.models import Followable, FollowKind

CHECK = "✓ "
ICONS = {FollowKind.TOPIC: "🏷 ", FollowKind.AREA: "📍 "}


def language_keyboard(current: str | None) -> Keyboard:
    """One button per language with a catalog, the current one ticked."""
    return tuple(
        (Button((CHECK if code == current else "") + language_name(code), payload("lang", code)),)
        for code in available_languages()
    )


def followable_name(item: Followable, language: str) -> str:
    """A topic's or area's name in `language`, else in English, else its slug."""
    names: dict[str, str] = item.names
    return names.get(language) or names.get("en") or item.slug


def topics_keyboard(
    items: Sequence[Followable], followed: set[int], language: str, mode: str, done_text: str
) -> Keyboard:
    """Toggle buttons for every topic and area (ticked when followed), then a Done button.

    Args:
        items: The topics and areas on offer.
        followed: Ids of those the member follows.
        language: For the names.
        mode: `o` during onboarding, `s` from /topics (decides what Done does).
        done_text: The translated label of the Done button.
    """
    buttons = [
        Button(
            (CHECK if item.id in followed else ICONS[FollowKind(item.kind)])
            + followable_name(item, language),
            payload("topic", mode, item.id),
        )
        for item in items
    ]
    rows = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
    rows.append((Button(done_text, payload("topics.done", mode)),))
    return tuple(rows)
