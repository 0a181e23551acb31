"""Saving an authored survey as a draft, shared by the upload, the wizard and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flows.survey.definition import SurveyDefinition
from storage.models import Survey, SurveyStatus
from storage.uow import UnitOfWork


class SurveyLocked(ValueError):
    """A definition names a survey that is already open or closed: it cannot be replaced."""

    def __init__(self, survey: Survey) -> None:
        """Remember which survey refused."""
        super().__init__(
            f"the survey {survey.slug!r} is {survey.status}; its definition can no longer be "
            "replaced: use a new id"
        )
        self.survey = survey


@dataclass(frozen=True, slots=True)
class Saved:
    """A draft that was saved: `replaced` is True when it overwrote an earlier draft."""

    survey: Survey
    replaced: bool


async def check_replaceable(uow: UnitOfWork, definition: SurveyDefinition) -> Survey | None:
    """Return the draft this definition would replace, or None if its id is new.

    Raises:
        SurveyLocked: a survey with this id is open or closed.
    """
    existing = await uow.surveys.get_by_slug(definition.id)
    if existing is not None and existing.status is not SurveyStatus.DRAFT:
        raise SurveyLocked(existing)
    return existing


async def save_draft(
    uow: UnitOfWork, definition: SurveyDefinition, member_id: int | None, now: datetime
) -> Saved:
    """Save `definition` as a draft survey, replacing the draft with the same id if any.

    Args:
        uow: The open unit of work.
        definition: The validated definition; its `id` becomes the survey's slug.
        member_id: Who saved it (None from the command line).
        now: When.

    Raises:
        SurveyLocked: a survey with this id is open or closed.
    """
    existing = await check_replaceable(uow, definition)
    settings = definition.settings
    title = {
        language or definition.default_language: text for language, text in definition.title.items()
    }
    stored = definition.model_dump(mode="json")
    if existing is None:
        survey = await uow.surveys.add(
            Survey(
                slug=definition.id,
                title=title,
                definition=stored,
                status=SurveyStatus.DRAFT,
                anonymous=settings.anonymous,
                opens_at=settings.opens_at,
                closes_at=settings.closes_at,
                created_by=member_id,
                created_at=now,
                updated_at=now,
            )
        )
    else:
        survey = existing
        survey.title = title
        survey.definition = stored
        survey.anonymous = settings.anonymous
        survey.opens_at = settings.opens_at
        survey.closes_at = settings.closes_at
        survey.updated_at = now
    action = "survey.replace" if existing is not None else "survey.draft"
    await uow.audit.record(member_id, action, f"survey:{survey.id}", now, {"slug": survey.slug})
    return Saved(survey, existing is not None)


async def find_survey(uow: UnitOfWork, reference: str) -> Survey | None:
    """Return the survey a person named by its number or its id (slug), or None."""
    reference = reference.strip().removeprefix("#")
    if reference.isdigit() and len(reference) <= 9:
        found = await uow.surveys.get(int(reference))
        if found is not None:
            return found
    return await uow.surveys.get_by_slug(reference.lower()) if reference else None
