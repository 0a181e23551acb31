"""A person's response being worked on: loading it for a step, storing an answer."""

from __future__ import annotations

from dataclasses import dataclass

from flows.codec import PayloadError
from flows.context import Context
from flows.events import ButtonPressed
from flows.i18n import N_
from flows.survey.closing import ANSWERING_FLOW
from flows.survey.conditions import visible_questions
from flows.survey.definition import Question, SurveyDefinition
from flows.survey.export import answer_line
from flows.survey.lifecycle import definition_of, is_open
from flows.survey.questions import is_complete
from flows.survey.respondent import respondent_key, stored_time
from storage.models import ResponseStatus, Survey, SurveyStatus
from storage.repositories.response_records import ResponseRecord
from storage.repositories.survey_responses import Answers, AnswerValue

FLOW = ANSWERING_FLOW  # state data: "survey", "mode", and "other" (a question id)
CLOSED = N_("This survey has closed; your answers so far are kept.")
ALREADY_ANSWERED = N_("You have already answered this survey. Thank you!")


@dataclass
class Attempt:
    """A person's response being worked on, with everything a step needs."""

    survey: Survey
    definition: SurveyDefinition
    response: ResponseRecord
    answers: Answers

    def question(self, question_id: str) -> Question:
        """The question a payload names; a forged or outdated id is a PayloadError."""
        question = self.definition.question(question_id)
        if question is None:
            raise PayloadError(f"no question {question_id!r}")
        return question


async def load_attempt(ctx: Context, survey_id: int) -> Attempt | None:
    """Load the sender's response to a survey, or say why there is nothing to work on.

    Raises:
        PayloadError: no such survey, or the sender has no response to it.
    """
    member, sender = ctx.member, ctx.event.sender
    assert member is not None and sender is not None
    survey = await ctx.uow.surveys.get(survey_id)
    if survey is None:
        raise PayloadError("no such survey")
    key = respondent_key(survey, member, sender.user_id, ctx.config.pseudonym_key)
    found = await ctx.uow.responses.find_with_answers(survey.id, key)
    if found is None:
        raise PayloadError("no response to this survey")
    response, answers = found
    if not is_open(survey, ctx.now):
        if ctx.state is not None and ctx.state.flow == FLOW:
            await ctx.clear_state()
        notify(ctx, not_open_text(ctx, survey, response))
        return None
    definition = definition_of(survey)
    if response.status is ResponseStatus.COMPLETE and not definition.settings.editable:
        notify(ctx, ctx.t(ALREADY_ANSWERED))
        return None
    return Attempt(survey, definition, response, answers)


def not_open_text(ctx: Context, survey: Survey, response: ResponseRecord | None) -> str:
    """Why a survey takes no answers now, told to someone with `response` (or none)."""
    if survey.status is SurveyStatus.OPEN and survey.opens_at and ctx.now < survey.opens_at:
        when = survey.opens_at.astimezone(ctx.config.timezone).strftime("%Y-%m-%d %H:%M")
        return ctx.t("This survey opens on {time}.", time=when)
    if response is not None and response.status is ResponseStatus.COMPLETE:
        return ctx.t("This survey has closed. Thank you for taking part!")
    if response is not None:
        return ctx.t(CLOSED)
    return ctx.t("Sorry, this survey has closed.")


async def store_answer(
    ctx: Context, attempt: Attempt, question: Question, values: list[AnswerValue]
) -> None:
    """Replace the answer to `question` (no values: no answer, as when skipped)."""
    at = stored_time(attempt.survey, ctx.now)
    ctx.uow.responses.replace_answer(
        attempt.response, question.id, values, at, answered_before=question.id in attempt.answers
    )
    if values:
        attempt.answers[question.id] = values
    else:
        attempt.answers.pop(question.id, None)
    attempt.response.updated_at = at
    refresh_export_line(attempt)


def refresh_export_line(attempt: Attempt) -> None:
    """Rewrite the response's stored export line after its answers changed."""
    attempt.response.cells = answer_line(attempt.definition, attempt.answers)


def first_missing(attempt: Attempt) -> Question | None:
    """The first question shown that is required and not (wholly) answered."""
    for question in visible_questions(attempt.definition, attempt.answers):
        if question.required and not is_complete(question, attempt.answers.get(question.id, [])):
            return question
    return None


def notify(ctx: Context, text: str) -> None:
    """A short notice: a toast for a press, a message for a typed answer."""
    if isinstance(ctx.event, ButtonPressed):
        ctx.toast(text, alert=True)
    else:
        ctx.say(text)
