"""A poll being written in /newpoll: its settings, how they cycle, and the Poll it becomes.

The wizard keeps everything in the conversation state as plain JSON (this module's `data`), so
a restart in the middle loses nothing. Settings are changed with buttons that step through a
few sensible values: typing a date or a number in a chat is where people make mistakes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flows.codec import payload
from flows.effects import Button, Keyboard
from flows.i18n import N_, Translator
from flows.poll.kinds import FIXED_OPTIONS, PollKind
from storage.models import Poll, PollAudience, PollStatus, PollVisibility

DEADLINES = (None, 1, 24, 72, 168)  # hours after publishing; None: closed by hand
QUORUMS = (None, 5, 10, 25, 50, 100)
POINTS = (5, 10, 20)
VISIBILITIES = tuple(PollVisibility)
AUDIENCES = tuple(PollAudience)

VISIBILITY_NAMES = {
    PollVisibility.ALWAYS: N_("always"),
    PollVisibility.AFTER_VOTE: N_("after voting"),
    PollVisibility.AFTER_CLOSE: N_("after closing"),
}
AUDIENCE_NAMES = {
    PollAudience.GROUPS: N_("members of the groups it is posted in"),
    PollAudience.EVERYONE: N_("everyone"),
}
SETTINGS = ("anon", "vis", "chg", "ddl", "quo", "aud", "max", "pts")
"""The settings buttons (`pw.set:<name>`); `max` and `pts` only for the kinds that use them."""


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
    }


def _next(values: tuple[Any, ...], current: Any) -> Any:
    index = values.index(current) if current in values else -1
    return values[(index + 1) % len(values)]


def cycle(data: dict[str, Any], name: str) -> bool:
    """Step setting `name` to its next value. Returns False if the poll has no such setting."""
    kind = PollKind(data["kind"])
    if name == "anon":
        data["anonymous"] = not data["anonymous"]
    elif name == "vis":
        data["visibility"] = _next(tuple(v.value for v in VISIBILITIES), data["visibility"])
    elif name == "chg":
        data["changes"] = not data["changes"]
    elif name == "ddl":
        data["deadline"] = _next(DEADLINES, data["deadline"])
    elif name == "quo":
        data["quorum"] = _next(QUORUMS, data["quorum"])
    elif name == "aud":
        data["audience"] = _next(tuple(a.value for a in AUDIENCES), data["audience"])
    elif name == "max" and kind is PollKind.MULTIPLE:
        data["max_choices"] = _next(tuple(range(1, len(data["options"]) + 1)), data["max_choices"])
    elif name == "pts" and kind is PollKind.DOT_VOTE:
        data["points"] = _next(POINTS, data["points"])
    else:
        return False
    return True


def _deadline(t: Translator, hours: int | None) -> str:
    if hours is None:
        return t("closed by hand")
    if hours % 24 == 0:
        return t.plural(
            "{count} day after publishing", "{count} days after publishing", hours // 24
        )
    return t.plural("{count} hour after publishing", "{count} hours after publishing", hours)


def settings_keyboard(t: Translator, data: dict[str, Any]) -> Keyboard:
    """One button per setting, showing its value; a press steps it on."""
    kind = PollKind(data["kind"])
    on, off = t("on"), t("off")
    rows = [
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
        (t("Who votes: {value}", value=t(AUDIENCE_NAMES[data["audience"]])), "aud"),
    ]
    if kind is PollKind.MULTIPLE:
        rows.append((t("Up to {count} choices", count=data["max_choices"]), "max"))
    if kind is PollKind.DOT_VOTE:
        rows.append((t("Points to share: {count}", count=data["points"]), "pts"))
    buttons = [(Button(text, payload("pw.set", name)),) for text, name in rows]
    buttons.append((Button(t("Preview"), payload("pw.preview")),))
    buttons.append((Button(t("Cancel"), payload("pw.cancel")),))
    return tuple(buttons)


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
        audience=PollAudience(data["audience"]),
        status=PollStatus.DRAFT,
        created_at=now,
        updated_at=now,
    )
