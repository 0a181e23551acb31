"""Poll definitions as files: YAML or JSON in, YAML out, with errors an organiser can act on.

A poll file has one top-level key, `poll:`, which is how an upload is told apart from a survey
file (`id:`, `title:`, `questions:`). Under it: the question, the kind, the options and the
settings (see `docs/polls.md`, "Polls as files"). A bad file is answered with every problem
found, each naming where it is ("option 3, line 9", "settings, field quorum, line 14").
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from admin.poll_draft import build_poll, new_settings
from admin.survey_files import (
    DefinitionError,
    Problem,
    dump_yaml,
    explain,
    line_numbers,
    line_of,
    read_document,
)
from flows.poll.kinds import FIXED_OPTIONS, PollKind
from flows.poll.native import NATIVE_KINDS
from flows.poll.suggestions import SUGGESTIBLE
from storage.models import Poll, PollAudience, PollStatus, PollVisibility
from storage.uow import UnitOfWork

MAX_QUESTION = 300  # the same limits as /newpoll
MAX_OPTION = 100
MIN_OPTIONS = 2
MAX_OPTIONS = 10  # one button per option under a group message: more does not fit a phone
MAX_DEADLINE_HOURS = 24 * 366
MAX_QUORUM = 1_000_000
MAX_POINTS = 100
DEFAULT_POINTS = 10

FOLLOWED = r"^((topic|area):)?[a-z0-9][a-z0-9_-]{0,39}$"
"""A topic's or area's slug, with `topic:` or `area:` in front when one of each has it."""

Question = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_QUESTION)
]
OptionText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_OPTION)
]


class _Strict(BaseModel):
    """Unknown fields are errors, so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class PollSettings(_Strict):
    """A poll's settings; each one left out keeps the default /newpoll starts with."""

    anonymous: bool = False
    results: PollVisibility = PollVisibility.ALWAYS
    vote_changes: bool = True
    deadline_hours: Annotated[int, Field(ge=1, le=MAX_DEADLINE_HOURS)] | None = None
    quorum: Annotated[int, Field(ge=1, le=MAX_QUORUM)] | None = None
    who_votes: PollAudience = PollAudience.GROUPS
    max_choices: Annotated[int, Field(ge=1, le=MAX_OPTIONS)] | None = None
    points: Annotated[int, Field(ge=1, le=MAX_POINTS)] | None = None
    suggestions: bool = False
    telegram_poll: bool = False
    followers_of: Annotated[str, Field(pattern=FOLLOWED)] | None = None


class PollDefinition(_Strict):
    """Everything about a poll that an organiser writes (not its votes, groups or times)."""

    question: Question
    kind: PollKind
    options: list[OptionText] = Field(default_factory=list)
    settings: PollSettings = PollSettings()


class PollFile(_Strict):
    """The whole file: a `poll:` mapping and nothing else."""

    poll: PollDefinition


def is_poll_file(content: bytes, filename: str | None) -> bool:
    """Whether an uploaded file is meant as a poll (a mapping with a top-level `poll` key).

    A file that cannot be read at all is not a poll file: the survey upload reports why.
    """
    try:
        data, _ = read_document(content, filename)
    except DefinitionError:
        return False
    return isinstance(data, dict) and "poll" in data


def parse_poll(content: bytes, filename: str | None) -> PollDefinition:
    """Read a poll definition from the bytes of a YAML or JSON file.

    Args:
        content: The file as uploaded.
        filename: Its name; `.json` is read as JSON, anything else as YAML.

    Raises:
        DefinitionError: the file cannot be read, or lists every problem with the definition.
    """
    data, text = read_document(content, filename)
    if not isinstance(data, dict):
        raise DefinitionError([Problem("the file", "the top level must be a mapping: poll: ...")])
    lines = line_numbers(text)
    try:
        definition = PollFile.model_validate(data).poll
    except ValidationError as exc:
        problems: list[Problem] = []
        for error in exc.errors():
            problem = _problem(tuple(error["loc"]), explain(error), lines)
            if problem not in problems:
                problems.append(problem)
        raise DefinitionError(problems) from None
    problems = [_problem(loc, what, lines) for loc, what in _cross_checks(definition)]
    if problems:
        raise DefinitionError(problems)
    return definition


def dump_poll(definition: PollDefinition) -> bytes:
    """Write a definition as YAML that `parse_poll` reads back equal (defaults left out)."""
    data = definition.model_dump(mode="json", exclude_defaults=True)
    return dump_yaml({"poll": data})


async def followed(uow: UnitOfWork, definition: PollDefinition) -> int | None:
    """The id of the topic or area whose followers vote (`followers_of`), or None.

    Raises:
        DefinitionError: no topic or area (not archived) has that slug, or both one topic and
            one area have it and the file does not say which.
    """
    wanted = definition.settings.followers_of
    if wanted is None:
        return None
    kind, _, slug = wanted.rpartition(":")
    found = [
        item
        for item in await uow.followables.listed()
        if item.slug == slug and kind in ("", item.kind.value)
    ]
    where = "settings, field followers_of"
    if not found:
        raise DefinitionError(
            [
                Problem(
                    where,
                    f"there is no topic or area {wanted!r} (townsquare topics list shows them)",
                )
            ]
        )
    if len(found) > 1:
        raise DefinitionError(
            [
                Problem(
                    where,
                    f"a topic and an area are both called {slug!r}: write topic:{slug} "
                    f"or area:{slug}",
                )
            ]
        )
    return found[0].id


def wizard_data(definition: PollDefinition, followable: int | None = None) -> dict[str, Any]:
    """The /newpoll conversation data for a definition, as if typed in the wizard.

    Starting from the wizard's own new settings keeps any setting the file cannot name at
    its default. `followable` is what `followed` found for `followers_of`.
    """
    kind = definition.kind
    options = [] if kind in FIXED_OPTIONS else list(definition.options)
    settings = definition.settings
    data: dict[str, Any] = {
        "question": definition.question,
        "kind": kind.value,
        "options": options,
        **new_settings(kind, len(options)),
    }
    data.update(
        anonymous=settings.anonymous,
        visibility=settings.results.value,
        changes=settings.vote_changes,
        deadline=settings.deadline_hours,
        quorum=settings.quorum,
        audience=settings.who_votes.value,
        suggestions=settings.suggestions,
        native=settings.telegram_poll,
        followable=followable,
    )
    if kind is PollKind.MULTIPLE:
        data["max_choices"] = settings.max_choices or min(2, len(options))
        if settings.telegram_poll:  # Telegram has no "at most N" for multiple answers
            data["max_choices"] = len(options)
    if kind is PollKind.DOT_VOTE:
        data["points"] = settings.points or DEFAULT_POINTS
    return data


def draft_poll(definition: PollDefinition, followable: int | None, now: datetime) -> Poll:
    """A draft Poll for the definition (no creator: saved from the command line).

    A draft's deadline is kept as `closes_at - created_at`; publishing counts it from then.
    """
    return build_poll(wizard_data(definition, followable), None, now)


async def stored_definition(uow: UnitOfWork, poll: Poll) -> PollDefinition:
    """The definition of a stored poll, naming the topic or area of its voters by slug."""
    item = await uow.followables.get(poll.followable_id) if poll.followable_id else None
    return poll_definition(poll, item.slug if item is not None else None)


def poll_definition(poll: Poll, followed_slug: str | None = None) -> PollDefinition:
    """The definition of a stored poll, for "Download file" and `townsquare poll export`."""
    kind = PollKind(poll.kind)
    start = poll.opened_at or poll.created_at
    hours = None
    if poll.closes_at is not None:
        hours = max(1, round((poll.closes_at - start).total_seconds() / 3600))
    return PollDefinition(
        question=poll.question,
        kind=kind,
        options=[] if kind in FIXED_OPTIONS else [option["text"] for option in poll.options],
        settings=PollSettings(
            anonymous=poll.anonymous,
            results=poll.visibility,
            vote_changes=poll.changes_allowed,
            deadline_hours=min(hours, MAX_DEADLINE_HOURS) if hours else None,
            quorum=poll.quorum,
            who_votes=poll.audience,
            max_choices=poll.max_choices
            if kind is PollKind.MULTIPLE and poll.native is None
            else None,
            points=poll.points if kind is PollKind.DOT_VOTE else None,
            suggestions=bool(poll.suggestions),
            telegram_poll=poll.native is not None,
            followers_of=followed_slug if poll.audience is PollAudience.FOLLOWERS else None,
        ),
    )


def is_draft(poll: Poll) -> bool:
    """Whether the poll is a draft (saved from a file, not yet posted)."""
    return poll.status is PollStatus.DRAFT


# -- checks across fields ------------------------------------------------------------------

Loc = tuple[str | int, ...]


def _cross_checks(definition: PollDefinition) -> list[tuple[Loc, str]]:
    """What pydantic cannot see field by field: options against the kind, settings against both."""
    kind, options, settings = definition.kind, definition.options, definition.settings
    found: list[tuple[Loc, str]] = []
    fixed = FIXED_OPTIONS.get(kind)
    if fixed is not None:
        if options:
            found.append(
                (
                    ("poll", "options"),
                    f"a {kind.value} poll has fixed options ({', '.join(fixed)}): leave them out",
                )
            )
    elif len(options) < MIN_OPTIONS:
        found.append((("poll", "options"), f"a {kind.value} poll needs at least two options"))
    elif len(options) > MAX_OPTIONS:
        found.append((("poll", "options"), f"a poll has at most {MAX_OPTIONS} options"))
    seen: set[str] = set()
    for index, option in enumerate(options):
        if option.casefold() in seen:
            found.append((("poll", "options", index), f"the option {option!r} is given twice"))
        seen.add(option.casefold())
    if settings.max_choices is not None:
        if kind is not PollKind.MULTIPLE:
            found.append((_setting("max_choices"), "only multiple-choice polls have max_choices"))
        elif options and settings.max_choices > len(options):
            found.append(
                (_setting("max_choices"), f"is more than the {len(options)} options there are")
            )
    if settings.points is not None and kind is not PollKind.DOT_VOTE:
        found.append((_setting("points"), "only dot votes have points to share"))
    if settings.suggestions and kind not in SUGGESTIBLE:
        names = ", ".join(sorted(k.value for k in SUGGESTIBLE))
        found.append((_setting("suggestions"), f"only {names} polls take suggested options"))
    if settings.telegram_poll:
        found += _native_checks(kind, settings)
    following = settings.who_votes is PollAudience.FOLLOWERS
    if following and settings.followers_of is None:
        found.append(
            (_setting("who_votes"), "followers need followers_of: the slug of a topic or area")
        )
    if settings.followers_of is not None and not following:
        found.append((_setting("followers_of"), "is only for who_votes: followers"))
    return found


def _native_checks(kind: PollKind, settings: PollSettings) -> list[tuple[Loc, str]]:
    """What Telegram's own poll cannot do (the wizard's settings screen keeps to the same)."""
    found: list[tuple[Loc, str]] = []
    where = _setting("telegram_poll")
    if kind not in NATIVE_KINDS:
        found.append((where, "only single and multiple polls can be Telegram's own poll"))
    if settings.results is PollVisibility.ALWAYS:
        found.append(
            (
                where,
                "Telegram shows the counts only after voting or after closing: "
                "give results: after_vote or after_close",
            )
        )
    if settings.suggestions:
        found.append((where, "Telegram's own poll gets no new options: leave out suggestions"))
    if settings.who_votes is not PollAudience.GROUPS:
        found.append((where, "Telegram's own poll is voted by its groups' members only"))
    if settings.max_choices is not None:
        found.append((where, "Telegram's own poll has no maximum of choices"))
    return found


def _setting(name: str) -> Loc:
    return ("poll", "settings", name)


def _problem(loc: Loc, what: str, lines: dict[Loc, int]) -> Problem:
    where = _where(loc)
    line = line_of(loc, lines)
    if line is not None:
        where += f", line {line}"
    return Problem(where, what)


def _where(loc: Loc) -> str:
    """Name a place in plain words: "option 3", "settings, field quorum", "field question"."""
    parts: list[str] = []
    rest = loc[1:] if loc[:1] == ("poll",) else loc
    if not rest:
        return "field poll" if loc else "the poll"
    index = 0
    while index < len(rest):
        key = rest[index]
        following = rest[index + 1] if index + 1 < len(rest) else None
        if key == "options" and isinstance(following, int):
            parts.append(f"option {following + 1}")
            index += 2
            continue
        parts.append("settings" if key == "settings" and following is not None else f"field {key}")
        index += 1
    return ", ".join(parts)
