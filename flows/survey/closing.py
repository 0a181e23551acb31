"""Closing a survey: by an organiser, at its closing time, or once it has all its responses.

Whoever closes it, the same things happen once: the survey stops taking answers, people
half-way through are told (their answers so far are kept and count as incomplete), their
survey conversation ends, and the results are published to participants if the survey says so.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from flows.effects import Effect, Keyboard, Schedule
from flows.i18n import N_, translator
from flows.jobs import JobContext
from flows.router import Router
from flows.survey.lifecycle import definition_of
from flows.survey.notices import broadcasts
from storage.models import MemberStatus, Survey, SurveyStatus
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

ANSWERING_FLOW = "survey"  # the residents' answering conversation; its data names the survey
CLOSE_JOB = "survey.close"
PUBLISH_JOB = "survey.publish"
CLOSED_MIDWAY = N_(
    "The survey “{title}” has closed, so it takes no more answers. The answers you gave so far "
    "are kept. Thank you for your time!"
)


async def close_survey(uow: UnitOfWork, survey: Survey, now: datetime) -> list[Effect]:
    """Close a survey; closing a closed survey does nothing.

    Args:
        uow: The open unit of work.
        survey: The survey (loaded in `uow`).
        now: When it closes.

    Returns:
        The effects for the caller to add to its own: the notices to people half-way through
        (through the outbox, one send per language) and, if the survey publishes its results,
        the job that does it.
    """
    if survey.status is SurveyStatus.CLOSED:
        return []
    survey.status = SurveyStatus.CLOSED
    survey.closed_at = now
    definition = definition_of(survey)
    midway = await uow.contacts.midway(survey.id)
    await uow.contacts.end_conversations([m.id for m in midway], ANSWERING_FLOW, survey.id)

    def render(language: str) -> tuple[str, Keyboard]:
        title = definition.text(definition.title, language)
        return translator(language)(CLOSED_MIDWAY, title=title), ()

    reachable = [m for m in midway if m.status is MemberStatus.ACTIVE]
    effects: list[Effect] = list(
        broadcasts(f"survey:{survey.id}:closed", reachable, definition.default_language, render)
    )
    if definition.settings.publish_results:
        effects.append(
            Schedule(kind=PUBLISH_JOB, due_at=now, key=str(survey.id), data={"survey": survey.id})
        )
    return effects


def close_job(survey: Survey) -> Schedule | None:
    """The job that closes an opened survey at its closing time (None if it has none)."""
    if survey.closes_at is None:
        return None
    return Schedule(
        kind=CLOSE_JOB, due_at=survey.closes_at, key=str(survey.id), data={"survey": survey.id}
    )


def register_jobs(router: Router) -> None:
    """Register the job that closes a survey at its closing time."""

    # A close always happens, however late (after downtime too): until then the survey takes
    # no answers anyway (`is_open` checks the time), but people half-way have not been told.
    @router.job(CLOSE_JOB, max_lateness=None)
    async def close_when_due(job: JobContext) -> None:
        survey = await job.uow.surveys.get_locked(int(job.data["survey"]))
        if survey is None or survey.status is not SurveyStatus.OPEN:
            return  # deleted, or closed by hand before its time
        if survey.closes_at is None:
            log.info("survey %s no longer has a closing time; left open", survey.id)
            return
        if survey.closes_at > job.now:
            # Its closing time was moved later; this job's key is taken, so the new one gets
            # a key naming its time.
            later = close_job(survey)
            assert later is not None
            job.effects.append(replace(later, key=f"{survey.id}@{survey.closes_at:%Y%m%dT%H%M%S}"))
            return
        job.effects += await close_survey(job.uow, survey, job.now)
        await job.uow.audit.record(
            None, "survey.close", f"survey:{survey.id}", job.now, {"by": "schedule"}
        )
