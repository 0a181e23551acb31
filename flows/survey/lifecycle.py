"""Facts about a survey every part of the capability needs: its definition, whether it is open."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flows.survey.definition import SurveyDefinition
from storage.models import Survey, SurveyStatus

_definitions: dict[tuple[int, datetime], tuple[dict[str, Any], SurveyDefinition]] = {}


def definition_of(survey: Survey) -> SurveyDefinition:
    """Return the survey's validated definition (parsed once per version of the survey)."""
    key = (survey.id, survey.updated_at)
    cached = _definitions.get(key)
    # Comparing the JSON is far cheaper than validating it, and keeps a survey id and time
    # reused by another database (tests, a restored backup) from getting a stale definition.
    # Within a transaction it is the very same JSON object, which is cheaper still to check:
    # so the object last compared equal is the one kept.
    if cached is not None:
        if cached[0] is survey.definition:
            return cached[1]
        if cached[0] == survey.definition:
            _definitions[key] = (survey.definition, cached[1])
            return cached[1]
    if len(_definitions) > 256:  # only the surveys in use need to stay parsed
        _definitions.clear()
    definition = SurveyDefinition.model_validate(survey.definition)
    _definitions[key] = (survey.definition, definition)
    return definition


def is_open(survey: Survey, now: datetime) -> bool:
    """Whether residents can answer now: opened, past its opening time, before its closing time."""
    if survey.status is not SurveyStatus.OPEN:
        return False
    if survey.opens_at is not None and now < survey.opens_at:
        return False
    return survey.closes_at is None or now < survey.closes_at
