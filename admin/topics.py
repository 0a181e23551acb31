"""Organisers define the topics and areas residents can follow."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from flows.i18n import available_languages
from storage.models import Followable, FollowKind
from storage.uow import UnitOfWork

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
MAX_NAME = 40  # a name is a button label: keep it short enough to read on a phone


class TopicError(ValueError):
    """A topic or area that cannot be added or changed; the message says why."""


async def add_followable(
    uow: UnitOfWork, kind: FollowKind, slug: str, names: dict[str, str], at: datetime
) -> Followable:
    """Add a topic or an area.

    Args:
        uow: The open unit of work.
        kind: Topic or area.
        slug: A short unique id: lower-case letters, digits and dashes, up to 40.
        names: Display names by language; English is required.
        at: When.

    Raises:
        TopicError: bad slug, missing or over-long name, unknown language, or slug taken.
    """
    if not SLUG.match(slug):
        raise TopicError("the slug must be 1-40 lower-case letters, digits or dashes")
    if not names.get("en", "").strip():
        raise TopicError("an English name is required")
    languages = set(available_languages())
    for language, name in names.items():
        if language not in languages:
            raise TopicError(
                f"unknown language {language!r}; known: {', '.join(sorted(languages))}"
            )
        if not name.strip() or len(name) > MAX_NAME:
            raise TopicError(f"the {language} name must be 1-{MAX_NAME} characters")
    if await uow.followables.by_slug(kind, slug) is not None:
        raise TopicError(f"a {kind} called {slug!r} exists already")
    clean = {language: name.strip() for language, name in names.items()}
    item = await uow.followables.add(kind, slug, clean, at)
    await uow.audit.record(None, f"{kind}.add", f"{kind}:{slug}", at, {"names": clean})
    return item


async def archive_followable(uow: UnitOfWork, kind: FollowKind, slug: str, at: datetime) -> None:
    """Stop offering a topic or area (members' past follows stay in their data until erased).

    Raises:
        TopicError: no such topic or area.
    """
    item = await uow.followables.by_slug(kind, slug)
    if item is None:
        raise TopicError(f"no {kind} called {slug!r}")
    item.archived = True
    await uow.audit.record(None, f"{kind}.archive", f"{kind}:{slug}", at)


async def list_followables(uow: UnitOfWork) -> Sequence[Followable]:
    """Return every topic and area, archived ones included."""
    return await uow.followables.listed(include_archived=True)
