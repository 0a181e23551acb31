"""What a respondent sees: a question, the "other" prompt, the summary."""

from __future__ import annotations

from flows.codec import payload
from flows.context import Context
from flows.effects import Button, Keyboard
from flows.survey.attempt import FLOW, Attempt
from flows.survey.conditions import visible_questions
from flows.survey.definition import Question
from flows.survey.questions import (
    CHECK,
    SUMMARY_TEXT_LIMIT,
    Place,
    describe,
    other_prompt,
    render,
)
from storage.models import ResponseStatus


async def show_question(
    ctx: Context,
    attempt: Attempt,
    question: Question,
    mode: str,
    *,
    note: str = "",
    fresh: bool = False,
) -> None:
    """Ask `question` (it becomes the response's current one), with `note` above it."""
    shown = visible_questions(attempt.definition, attempt.answers)
    number = next((i for i, q in enumerate(shown, start=1) if q.id == question.id), 1)
    place = Place(attempt.survey.id, number, len(shown), mode)
    values = attempt.answers.get(question.id, [])
    text, buttons = render(question, values, attempt.definition, place, ctx.t)
    if attempt.response.current != question.id:
        attempt.response.current = question.id
    # The conversation names the survey, not the question (that is `current`), so moving on
    # from one question to the next writes nothing here.
    data = {"survey": attempt.survey.id, "mode": mode}
    if ctx.state is None or ctx.state.flow != FLOW or ctx.state.data != data:
        await ctx.set_state(FLOW, "answer", data)
    tell(ctx, f"{note}\n\n{text}" if note else text, buttons, fresh=fresh)


async def ask_other(ctx: Context, attempt: Attempt, question: Question, mode: str) -> None:
    """Ask for the text of "Other, please specify"; the next typed message is that text."""
    shown = visible_questions(attempt.definition, attempt.answers)
    place = Place(attempt.survey.id, 0, len(shown), mode)
    text, buttons = other_prompt(question, attempt.definition, place, ctx.t)
    data = {"survey": attempt.survey.id, "mode": mode, "other": question.id}
    await ctx.set_state(FLOW, "other", data)
    ctx.show(text, buttons)


async def show_summary(ctx: Context, attempt: Attempt, *, fresh: bool = False) -> None:
    """Show every answer with an Edit button per question, and Submit."""
    t, definition, survey_id = ctx.t, attempt.definition, attempt.survey.id
    attempt.response.current = None
    if ctx.state is not None and ctx.state.flow == FLOW:
        await ctx.clear_state()
    submitted = attempt.response.status is ResponseStatus.COMPLETE
    lines = [definition.text(definition.title, t.language), ""]
    lines.append(
        t("You have already answered. You can change your answers until the survey closes.")
        if submitted
        else t("Here are your answers. Check them, then press Submit.")
    )
    edit_buttons: list[Button] = []
    for number, question in enumerate(visible_questions(definition, attempt.answers), start=1):
        values = attempt.answers.get(question.id, [])
        if values:
            answer = describe(question, values, definition, t)
            if len(answer) > SUMMARY_TEXT_LIMIT:
                answer = answer[: SUMMARY_TEXT_LIMIT - 1] + "…"
        else:
            answer = t("(not answered)") if question.required else t("(skipped)")
        lines += ["", f"{number}. {definition.text(question.text, t.language)}", f"→ {answer}"]
        edit_buttons.append(
            Button(t("Edit {number}", number=number), payload("sv.e", survey_id, question.id))
        )
    rows = [tuple(edit_buttons[i : i + 3]) for i in range(0, len(edit_buttons), 3)]
    label = t("Save changes") if submitted else t("Submit")
    rows.append((Button(CHECK + label, payload("sv.sub", survey_id)),))
    tell(ctx, "\n".join(lines), tuple(rows), fresh=fresh)


def tell(ctx: Context, text: str, buttons: Keyboard = (), *, fresh: bool) -> None:
    """Show `text` in place of the pressed message, or as a new message in the private chat."""
    sender = ctx.event.sender
    if fresh and sender is not None:
        ctx.say(text, buttons, chat_id=sender.user_id)
    else:
        ctx.show(text, buttons)
