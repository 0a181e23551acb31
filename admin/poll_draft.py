"""A poll being written in /newpoll: its settings, how they cycle, and the Poll it becomes.

The wizard keeps everything in the conversation state as plain JSON (this module's `data`), so
a restart in the middle loses nothing. Settings are changed with buttons that step through a
few sensible values: typing a date or a number in a chat is where people make mistakes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from flows.codec import payload
from flows.effects import Button, Keyboard
from flows.i18n import N_, Translator
from flows.poll.kinds import FIXED_OPTIONS, PollKind
from flows.poll.native import NATIVE_KINDS
from flows.poll.suggestions import SUGGESTIBLE
from storage.models import NativeMode, Poll, PollAudience, PollStatus, PollVisibility

DEADLINES = (None, 1, 24, 72, 168)  # hours after publishing; None: closed by hand
QUORUMS = (None, 5, 10, 25, 50, 100)
POINTS = (5, 10, 20)
VISIBILITIES = tuple(PollVisibility)

VISIBILITY_NAMES = {
    PollVisibility.ALWAYS: N_("always"),
    PollVisibility.AFTER_VOTE: N_("after voting"),
    PollVisibility.AFTER_CLOSE: N_("after closing"),
}
AUDIENCE_NAMES = {
    PollAudience.GROUPS: N_("members of the groups it is posted in"),
    PollAudience.EVERYONE: N_("everyone"),
    PollAudience.FOLLOWERS: N_("followers of a topic or area"),
}
# Telegram shows a native poll's counts to whoever has voted (or to nobody until it closes).
NATIVE_VISIBILITIES = (PollVisibility.AFTER_VOTE, PollVisibility.AFTER_CLOSE)
SETTINGS = ("nat", "anon", "vis", "chg", "ddl", "quo", "aud", "max", "pts", "sug")
"""The settings buttons (`pw.set:<name>`); `nat`, `max`, `pts`, `sug` only for the kinds that use
them, and no `aud`, `max` or `sug` for a native poll (Telegram can enforce none of them)."""


def new_settings(kind: PollKind, option_count: int) -> dict[str, Any]:
    """The settings a new poll starts with."""
    return {
        "anonymous": False,
        "visibility": PollVisibility.ALWAYS.value,
        "changes": True,
        "deadline": None,
        "quorum": None,
        "audience": PollAudience.GROUPS.value,
        "max_choices": min(2, option_count) if kind is PollKind.MULTIPLE else None,
        "points": POINTS[1] if kind is PollKind.DOT_VOTE else None,
        "suggestions": False,
        "native": False,
    }


def is_native(data: dict[str, Any]) -> bool:
    """Whether the poll being written is to be posted as Telegram's own poll."""
    return bool(data.get("native")) and PollKind(data["kind"]) in NATIVE_KINDS


def _next(values: tuple[Any, ...], current: Any) -> Any:
    index = values.index(current) if current in values else -1
    return values[(index + 1) % len(values)]


def cycle(data: dict[str, Any], name: str, followables: Sequence[int] = ()) -> bool:
    """Step setting `name` to its next value. Returns False if the poll has no such setting.

    Args:
        data: The poll being written (changed in place).
        name: The setting's button name.
        followables: The topics and areas on offer (ids, in order), for "Who votes".
    """
    kind = PollKind(data["kind"])
    native = is_native(data)
    if name == "nat" and kind in NATIVE_KINDS:
        _switch_native(data, on=not native)
    elif name == "anon":
        data["anonymous"] = not data["anonymous"]
    elif name == "vis":
        values = NATIVE_VISIBILITIES if native else VISIBILITIES
        data["visibility"] = _next(tuple(v.value for v in values), data["visibility"])
    elif name == "chg":
        data["changes"] = not data["changes"]
    elif name == "ddl":
        data["deadline"] = _next(DEADLINES, data["deadline"])
    elif name == "quo":
        data["quorum"] = _next(QUORUMS, data["quorum"])
    elif name == "aud" and not native:
        _next_audience(data, followables)
    elif name == "max" and kind is PollKind.MULTIPLE and not native:
        data["max_choices"] = _next(tuple(range(1, len(data["options"]) + 1)), data["max_choices"])
    elif name == "pts" and kind is PollKind.DOT_VOTE:
        data["points"] = _next(POINTS, data["points"])
    elif name == "sug" and kind in SUGGESTIBLE and not native:
        data["suggestions"] = not data.get("suggestions", False)
    else:
        return False
    return True


def _next_audience(data: dict[str, Any], followables: Sequence[int]) -> None:
    """Groups' members, everyone, then the followers of each topic and area in turn."""
    values: tuple[tuple[str, int | None], ...] = (
        (PollAudience.GROUPS.value, None),
        (PollAudience.EVERYONE.value, None),
        *((PollAudience.FOLLOWERS.value, followable) for followable in followables),
    )
    data["audience"], data["followable"] = _next(values, (data["audience"], data.get("followable")))


def _switch_native(data: dict[str, Any], *, on: bool) -> None:
    """Post as Telegram's own poll or not, and bring the settings it limits into line."""
    data["native"] = on
    if not on:
        return
    # Telegram shows counts once you have voted, takes any group member's vote, has no "at
    # most N" for multiple answers, and a sent poll gets no new options: the settings say what
    # the poll will really do.
    if data["visibility"] not in {v.value for v in NATIVE_VISIBILITIES}:
        data["visibility"] = PollVisibility.AFTER_VOTE.value
    data["audience"], data["followable"] = PollAudience.GROUPS.value, None
    data["suggestions"] = False
    if PollKind(data["kind"]) is PollKind.MULTIPLE:
        data["max_choices"] = len(data["options"])


def settings_notes(t: Translator, data: dict[str, Any]) -> list[str]:
    """What the organiser should know about the settings before publishing."""
    if not is_native(data):
        return []
    if data["anonymous"]:
        return [
            t(
                "Telegram's anonymous poll gives counts only: I never learn who voted, so "
                "someone in two of the groups can vote in each, the results have no list of "
                "ballots, and no reminder is sent (it could not skip those who voted)."
            )
        ]
    return [
        t(
            "Telegram's own poll, not anonymous: everyone in the group can see who voted "
            "what. Each answer counts as that person's ballot, one per person across groups."
        )
    ]


def _deadline(t: Translator, hours: int | None) -> str:
    if hours is None:
        return t("closed by hand")
    if hours % 24 == 0:
        return t.plural(
            "{count} day after publishing", "{count} days after publishing", hours // 24
        )
    return t.plural("{count} hour after publishing", "{count} hours after publishing", hours)


def settings_keyboard(t: Translator, data: dict[str, Any], topic: str | None = None) -> Keyboard:
    """One button per setting, showing its value; a press steps it on.

    `topic` is the name of the topic or area whose followers vote, for a poll for followers.
    """
    kind = PollKind(data["kind"])
    native = is_native(data)
    on, off = t("on"), t("off")
    rows = []
    if kind in NATIVE_KINDS:
        rows.append((t("Telegram's own poll: {value}", value=on if native else off), "nat"))
    rows += [
        (t("Anonymous: {value}", value=on if data["anonymous"] else off), "anon"),
        (
            t("Results shown: {value}", value=t(VISIBILITY_NAMES[data["visibility"]])),
            "vis",
        ),
        (
            t("Vote changes: {value}", value=t("allowed") if data["changes"] else t("not allowed")),
            "chg",
        ),
        (t("Deadline: {value}", value=_deadline(t, data["deadline"])), "ddl"),
        (t("Quorum: {value}", value=data["quorum"] or t("none")), "quo"),
    ]
    if not native:
        rows.append((_audience(t, data, topic), "aud"))
    if kind is PollKind.MULTIPLE and not native:
        rows.append((t("Up to {count} choices", count=data["max_choices"]), "max"))
    if kind is PollKind.DOT_VOTE:
        rows.append((t("Points to share: {count}", count=data["points"]), "pts"))
    if kind in SUGGESTIBLE and not native:
        suggest = on if data.get("suggestions") else off
        rows.append((t("Residents suggest options: {value}", value=suggest), "sug"))
    buttons = [(Button(text, payload("pw.set", name)),) for text, name in rows]
    buttons.append((Button(t("Preview"), payload("pw.preview")),))
    buttons.append((Button(t("Cancel"), payload("pw.cancel")),))
    return tuple(buttons)


def _audience(t: Translator, data: dict[str, Any], topic: str | None) -> str:
    if data["audience"] == PollAudience.FOLLOWERS.value:
        return t("Who votes: followers of {topic}", topic=topic or "?")
    return t("Who votes: {value}", value=t(AUDIENCE_NAMES[data["audience"]]))


def build_poll(data: dict[str, Any], creator_id: int | None, now: datetime) -> Poll:
    """The Poll the wizard's data describes (not yet stored), as it would open `now`."""
    kind = PollKind(data["kind"])
    if kind in FIXED_OPTIONS:
        # Fixed options are stored without text: they are shown in each reader's language.
        options = [{"id": option, "text": ""} for option in FIXED_OPTIONS[kind]]
    else:
        options = [
            {"id": f"o{number}", "text": text}
            for number, text in enumerate(data["options"], start=1)
        ]
    hours = data["deadline"]
    return Poll(
        creator_id=creator_id,
        question=data["question"],
        options=options,
        kind=kind.value,
        anonymous=data["anonymous"],
        visibility=PollVisibility(data["visibility"]),
        changes_allowed=data["changes"],
        closes_at=now + timedelta(hours=hours) if hours else None,
        quorum=data["quorum"],
        max_choices=data["max_choices"],
        points=data["points"],
        suggestions=bool(data.get("suggestions", False)),
        audience=PollAudience(data["audience"]),
        followable_id=data.get("followable") if data["audience"] == "followers" else None,
        native=_native_mode(data),
        status=PollStatus.DRAFT,
        created_at=now,
        updated_at=now,
    )


def _native_mode(data: dict[str, Any]) -> NativeMode | None:
    if not is_native(data):
        return None
    # Only Telegram's identified poll sends answers; its anonymous one sends counts alone.
    return NativeMode.COUNTS if data["anonymous"] else NativeMode.ANSWERS
