"""Reaching a survey (deep link or button): start it, resume it, or say why not."""

from __future__ import annotations

from datetime import timedelta

from flows.context import Context
from flows.effects import Schedule
from flows.i18n import N_
from flows.survey.attempt import ALREADY_ANSWERED, FLOW, Attempt, not_open_text
from flows.survey.conditions import visible_questions
from flows.survey.definition import SurveyDefinition
from flows.survey.lifecycle import definition_of, is_open
from flows.survey.questions import EDITING, IN_ORDER
from flows.survey.reminders import REMIND_JOB
from flows.survey.respondent import is_eligible, respondent_key, stored_time
from flows.survey.screens import show_question, show_summary, tell
from storage.models import ResponseStatus, Survey, SurveyStatus

NOT_FOUND = N_("Sorry, that link is not valid (any more).")  # also what other links say


async def open_survey(ctx: Context, survey_id: int, *, fresh: bool) -> None:
    """Start, resume or revisit a survey for the sender (a consented member).

    Args:
        ctx: The handling context.
        survey_id: The survey's id, from a deep link or a button (not trusted).
        fresh: Send new messages to the private chat rather than editing the pressed one.
    """
    member, sender = ctx.member, ctx.event.sender
    assert member is not None and sender is not None, "the router admits members only"
    survey = await ctx.uow.surveys.get(survey_id)
    if survey is None or survey.status is SurveyStatus.DRAFT:
        tell(ctx, ctx.t(NOT_FOUND), fresh=fresh)
        return
    definition = definition_of(survey)
    key = respondent_key(survey, member, sender.user_id, ctx.config.pseudonym_key)
    found = await ctx.uow.responses.find_with_answers(survey.id, key)
    if not is_open(survey, ctx.now):
        tell(ctx, not_open_text(ctx, survey, found[0] if found else None), fresh=fresh)
        return
    if found is not None:
        await resume(ctx, Attempt(survey, definition, *found), fresh=fresh)
        return
    refusal = await _refusal(ctx, survey, definition)
    if refusal:
        tell(ctx, refusal, fresh=fresh)
        return
    first = definition.questions[0]
    at = stored_time(survey, ctx.now)
    member_id = None if survey.anonymous else member.id
    response, created = await ctx.uow.responses.start(
        survey.id, key, member_id, ctx.t.language, first.id, at
    )
    if not created:  # a concurrent start won the race: carry on with that one
        answers = await ctx.uow.responses.answers(response.id)
        await resume(ctx, Attempt(survey, definition, response, answers), fresh=fresh)
        return
    attempt = Attempt(survey, definition, response, {})
    ctx.uow.responses.mark_contact(survey.id, member.id, started=True)
    hours = definition.settings.remind_after_hours
    if hours > 0:
        ctx.effects.append(
            Schedule(
                kind=REMIND_JOB,
                due_at=ctx.now + timedelta(hours=hours),
                key=f"{survey.id}:{member.id}",
                data={"survey": survey.id, "member": member.id},
            )
        )
    preface = definition.text(definition.title, ctx.t.language)
    if definition.intro is not None:
        preface += "\n\n" + definition.text(definition.intro, ctx.t.language)
    await show_question(ctx, attempt, first, IN_ORDER, note=preface, fresh=fresh)


async def _refusal(ctx: Context, survey: Survey, definition: SurveyDefinition) -> str | None:
    """Why the sender may not start this survey, or None if they may."""
    assert ctx.member is not None
    if not await is_eligible(ctx.uow, definition, ctx.member):
        return ctx.t("Sorry, this survey is for a particular group of residents, not for you.")
    limit = definition.settings.max_responses
    if limit is not None and await ctx.uow.responses.count_complete(survey.id) >= limit:
        return ctx.t("Sorry, this survey already has all the responses it needs.")
    return None


async def resume(ctx: Context, attempt: Attempt, *, fresh: bool = True) -> None:
    """Carry on where the person was: their current question, or the summary."""
    response = attempt.response
    if response.status is ResponseStatus.COMPLETE:
        if attempt.definition.settings.editable:
            await show_summary(ctx, attempt, fresh=fresh)
        else:
            tell(ctx, ctx.t(ALREADY_ANSWERED), fresh=fresh)
        return
    question = attempt.definition.question(response.current) if response.current else None
    if question is None or question not in visible_questions(attempt.definition, attempt.answers):
        await show_summary(ctx, attempt, fresh=fresh)
        return
    state = ctx.state
    editing = (
        state is not None
        and state.flow == FLOW
        and state.data.get("survey") == attempt.survey.id
        and state.data.get("mode") == EDITING
    )
    note = ctx.t("Welcome back! Let's continue where you left off.")
    mode = EDITING if editing else IN_ORDER
    await show_question(ctx, attempt, question, mode, note=note, fresh=fresh)
