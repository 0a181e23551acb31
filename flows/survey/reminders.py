"""Reminders: once to people who started a survey and stopped, once to invitees who never began.

Both go through the outbox and respect quiet hours; neither is sent when the survey has closed,
or when quiet hours would hold it back until after the survey closes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from flows.codec import payload
from flows.effects import Button, Keyboard
from flows.i18n import N_, translator
from flows.jobs import JobContext
from flows.router import Router
from flows.survey.lifecycle import definition_of, is_open
from flows.survey.notices import broadcasts, local_time
from storage.models import Member, Survey

REMIND_JOB = "survey.remind"
INVITE_REMINDER_JOB = "survey.invite_reminder"
# A reminder to finish may run up to a day late (after downtime): while the survey is open it
# still helps. Later than that, after a long outage, a burst of stale nudges would feel like spam.
REMIND_LATENESS = timedelta(days=1)

MIDWAY_REMINDER = N_(
    "You started the survey “{title}” but have not finished it yet. Your answers so far are "
    "saved: tap below to carry on where you left off."
)
INVITEE_REMINDER = N_("A reminder: you are invited to take the survey “{title}”.")
CLOSES_AT = N_("It closes on {time}.")
CONTINUE = N_("Continue the survey")
TAKE = N_("Take the survey")


def register_jobs(router: Router) -> None:
    """Register the two reminder jobs."""

    @router.job(REMIND_JOB, max_lateness=REMIND_LATENESS)
    async def remind_midway(job: JobContext) -> None:
        survey = await _survey_still_taking_answers(job)
        if survey is None:
            return
        member_id = int(job.data["member"])
        people = await job.uow.contacts.to_remind(survey.id, started=True, member_id=member_id)
        await _remind(job, survey, people, MIDWAY_REMINDER, CONTINUE, f"remind:{member_id}")

    # The deadline of an invitee's reminder is the survey's closing time, which the handler
    # checks; it needs no lateness limit of its own.
    @router.job(INVITE_REMINDER_JOB, max_lateness=None)
    async def remind_invitees(job: JobContext) -> None:
        survey = await _survey_still_taking_answers(job)
        if survey is None:
            return
        people = await job.uow.contacts.to_remind(survey.id, started=False)
        await _remind(job, survey, people, INVITEE_REMINDER, TAKE, "invite-remind")


async def _survey_still_taking_answers(job: JobContext) -> Survey | None:
    """The job's survey if a reminder sent now would reach people before it closes."""
    survey = await job.uow.surveys.get(int(job.data["survey"]))
    if survey is None or not is_open(survey, job.now):
        return None
    arrives = job.config.quiet_until(job.now) or job.now
    if survey.closes_at is not None and arrives >= survey.closes_at:
        return None
    return survey


async def _remind(
    job: JobContext,
    survey: Survey,
    people: Sequence[Member],
    message: str,
    button: str,
    batch: str,
) -> None:
    """Remind `people` once, each in their language, with a button that opens the survey."""
    definition = definition_of(survey)
    closes_at = survey.closes_at

    def render(language: str) -> tuple[str, Keyboard]:
        t = translator(language)
        text = t(message, title=definition.text(definition.title, language))
        if closes_at is not None:
            text += "\n\n" + t(CLOSES_AT, time=local_time(closes_at, job.config.timezone))
        return text, ((Button(t(button), payload("sv.take", survey.id)),),)

    job.effects += broadcasts(
        f"survey:{survey.id}:{batch}", people, definition.default_language, render
    )
    await job.uow.contacts.mark_reminded(survey.id, [member.id for member in people])
