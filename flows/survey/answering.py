"""Residents answer a survey in the private chat: one question at a time, a summary, Submit.

Where a person is lives in the database only: `SurveyResponse.current` names the question being
asked (None at the summary), and while a question is asked the conversation state names the
survey, so that typed text (or a photo, for a photo question) is taken as the answer. So
leaving and coming back, also after a restart, resumes at the same place. Every press is checked
against that: a button of another question, of a closed survey or of someone without a response
changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from flows.codec import Payload, PayloadError
from flows.context import Context
from flows.events import PhotoReceived
from flows.i18n import N_
from flows.router import Router
from flows.survey.attempt import (
    FLOW,
    Attempt,
    first_missing,
    load_attempt,
    refresh_export_line,
    store_answer,
)
from flows.survey.closing import close_survey
from flows.survey.conditions import hidden_answers, visible_questions
from flows.survey.definition import NO, OTHER, YES, Question, QuestionType
from flows.survey.opening import open_survey
from flows.survey.questions import (
    EDITING,
    IN_ORDER,
    OTHER_VALUE,
    RESTART_VALUE,
    TYPED_TYPES,
    InvalidAnswer,
    is_complete,
    parse_text,
    parse_typed,
    photo_answer,
)
from flows.survey.respondent import stored_time
from flows.survey.screens import ask_other, show_question, show_summary
from storage.models import ResponseStatus
from storage.repositories.survey_responses import AnswerValue

THANK_YOU = N_("Thank you! Your answers have been recorded.")
USE_BUTTONS = N_("Please answer with the buttons above.")
SEND_PHOTO_INSTEAD = N_("This question is answered with a photo, not with text.")
CANNOT_READ = N_("Sorry, I can only read text messages and button presses here.")
PHOTO_AS_FILE = N_("Please send the picture as a photo, not as a file.")


def register(router: Router) -> None:
    """Register the deep link, the survey buttons and the typed answers."""

    @router.deep_link("survey")
    async def survey_link(ctx: Context, argument: str) -> None:
        if not argument.isdigit() or len(argument) > 9:
            ctx.say(ctx.t("Sorry, that link is not valid (any more)."))
            return
        await open_survey(ctx, int(argument), fresh=True)

    @router.button("sv.take")
    async def take(ctx: Context, value: Payload) -> None:
        survey_id = value.int_arg(0)
        if ctx.event.chat.is_group:
            ctx.toast(ctx.t("I've sent you the survey in our private chat."))
        await open_survey(ctx, survey_id, fresh=ctx.event.chat.is_group)

    @on_question(router, "sv.a")
    async def answer(
        ctx: Context, value: Payload, attempt: Attempt, question: Question, mode: str
    ) -> None:
        raw = value.str_arg(3)
        if raw == OTHER_VALUE and question.type is QuestionType.SINGLE_CHOICE and question.other:
            await ask_other(ctx, attempt, question, mode)
            return
        await store_answer(ctx, attempt, question, [_button_value(question, raw)])
        await _advance(ctx, attempt, question, mode)

    @on_question(router, "sv.t")
    async def toggle(
        ctx: Context, value: Payload, attempt: Attempt, question: Question, mode: str
    ) -> None:
        if question.type is not QuestionType.MULTIPLE_CHOICE:
            raise PayloadError("toggle on a question that is not multiple choice")
        picks = attempt.answers.get(question.id, [])
        raw = value.str_arg(3)
        choice = OTHER if raw == OTHER_VALUE and question.other else _option_id(question, raw)
        if any(pick.choice == choice for pick in picks):
            kept = [pick for pick in picks if pick.choice != choice]
        elif len(picks) >= question.picks[1]:
            ctx.toast(ctx.t("You can pick at most {count}.", count=question.picks[1]), alert=True)
            return
        elif choice == OTHER:
            await ask_other(ctx, attempt, question, mode)
            return
        else:
            kept = [*picks, AnswerValue(choice=choice)]
        await store_answer(ctx, attempt, question, _in_option_order(question, kept))
        await show_question(ctx, attempt, question, mode)

    @on_question(router, "sv.d")
    async def done(
        ctx: Context, value: Payload, attempt: Attempt, question: Question, mode: str
    ) -> None:
        low = question.picks[0]
        if question.type is not QuestionType.MULTIPLE_CHOICE:
            raise PayloadError("Done on a question that is not multiple choice")
        if len(attempt.answers.get(question.id, [])) < low:
            ctx.toast(ctx.t("Please pick at least {count}.", count=low), alert=True)
            return
        await _advance(ctx, attempt, question, mode)

    @on_question(router, "sv.r")
    async def rank(
        ctx: Context, value: Payload, attempt: Attempt, question: Question, mode: str
    ) -> None:
        if question.type is not QuestionType.RANKING:
            raise PayloadError("rank on a question that is not a ranking")
        ranked = attempt.answers.get(question.id, [])
        raw = value.str_arg(3)
        if raw == RESTART_VALUE:
            ranked = []
        else:
            choice = _option_id(question, raw)
            if any(item.choice == choice for item in ranked):
                raise PayloadError("option ranked already")
            ranked = [*ranked, AnswerValue(choice=choice, number=len(ranked) + 1)]
        await store_answer(ctx, attempt, question, ranked)
        if len(ranked) == len(question.options):
            await _advance(ctx, attempt, question, mode)
        else:
            await show_question(ctx, attempt, question, mode)

    @on_question(router, "sv.b")
    async def back(
        ctx: Context, value: Payload, attempt: Attempt, question: Question, mode: str
    ) -> None:
        if mode == EDITING:
            await show_summary(ctx, attempt)
            return
        shown = visible_questions(attempt.definition, attempt.answers)
        index = next((i for i, q in enumerate(shown) if q.id == question.id), 0)
        if index == 0:
            raise PayloadError("no question before the first")
        await show_question(ctx, attempt, shown[index - 1], mode)

    @on_question(router, "sv.s")
    async def skip(
        ctx: Context, value: Payload, attempt: Attempt, question: Question, mode: str
    ) -> None:
        if question.required:
            raise PayloadError("a required question cannot be skipped")
        await store_answer(ctx, attempt, question, [])
        await _advance(ctx, attempt, question, mode)

    @on_question(router, "sv.k")
    async def keep(
        ctx: Context, value: Payload, attempt: Attempt, question: Question, mode: str
    ) -> None:
        if not is_complete(question, attempt.answers.get(question.id, [])):
            raise PayloadError("nothing to keep")
        await _advance(ctx, attempt, question, mode)

    @on_question(router, "sv.q")
    async def show_again(
        ctx: Context, value: Payload, attempt: Attempt, question: Question, mode: str
    ) -> None:
        await show_question(ctx, attempt, question, mode)

    @router.button("sv.e")
    async def edit(ctx: Context, value: Payload) -> None:
        attempt = await load_attempt(ctx, value.int_arg(0))
        if attempt is None:
            return
        if attempt.response.current is not None:
            raise PayloadError("not at the summary")
        question = attempt.question(value.str_arg(1))
        if question not in visible_questions(attempt.definition, attempt.answers):
            raise PayloadError("question not shown")
        await show_question(ctx, attempt, question, EDITING)

    @router.button("sv.sub")
    async def submit(ctx: Context, value: Payload) -> None:
        attempt = await load_attempt(ctx, value.int_arg(0))
        if attempt is None:
            return
        if attempt.response.current is not None:
            raise PayloadError("not at the summary")
        missing = first_missing(attempt)
        if missing is not None:
            ctx.toast(ctx.t("Please answer this question first."), alert=True)
            await show_question(ctx, attempt, missing, EDITING)
            return
        await _submit(ctx, attempt)

    @router.conversation(FLOW)
    async def typed(ctx: Context, text: str) -> None:
        assert ctx.state is not None
        data = ctx.state.data
        survey_id = data.get("survey")
        try:
            attempt = await load_attempt(ctx, survey_id) if isinstance(survey_id, int) else None
        except PayloadError:
            attempt = None
        question_id = attempt.response.current if attempt is not None else None
        if attempt is None or question_id is None:
            # The conversation outlived its survey (closed, erased) or the person is at the
            # summary, which is answered with buttons only.
            if ctx.state is not None:
                await ctx.clear_state()
                if attempt is not None:
                    await show_summary(ctx, attempt)
                elif not ctx.effects:
                    ctx.say(
                        ctx.t(
                            "I'm not sure what to do with that message. /help lists what I can do."
                        )
                    )
            return
        question = attempt.question(question_id)
        mode = EDITING if data.get("mode") == EDITING else IN_ORDER
        try:
            if data.get("other") == question.id:
                await _take_other(ctx, attempt, question, mode, parse_text(question, text, ctx.t))
                return
            if question.type is QuestionType.PHOTO:
                raise InvalidAnswer(ctx.t(SEND_PHOTO_INSTEAD))
            if question.type not in TYPED_TYPES:
                raise InvalidAnswer(ctx.t(USE_BUTTONS))
            value = parse_typed(question, text, ctx.t)
        except InvalidAnswer as error:
            await show_question(ctx, attempt, question, mode, note=str(error))
            return
        await store_answer(ctx, attempt, question, [value])
        await _advance(ctx, attempt, question, mode)

    @router.on(PhotoReceived)
    async def photo(ctx: Context) -> None:
        event = ctx.event
        assert isinstance(event, PhotoReceived)
        if not event.chat.is_private:
            return  # the bot stays quiet in groups
        found = await _photo_question(ctx)
        if found is None:
            if not ctx.effects:  # load_attempt may have said why (e.g. the survey closed)
                ctx.say(ctx.t(CANNOT_READ))
            return
        attempt, question, mode = found
        # Only the file_id is kept: no caption, message or chat, nothing that names the sender.
        await store_answer(ctx, attempt, question, [photo_answer(event.file_id)])
        await _advance(ctx, attempt, question, mode)


async def hint_photo_sent_as_file(ctx: Context) -> bool:
    """Answer an image sent as a file (a document) while a photo question is asked.

    Returns:
        True if the image was answered: a photo question was being asked (it is shown again
        with a hint), or its survey has just closed (the person was told so).
    """
    said = len(ctx.effects)
    found = await _photo_question(ctx)
    if found is None:
        return len(ctx.effects) > said
    attempt, question, mode = found
    await show_question(ctx, attempt, question, mode, note=ctx.t(PHOTO_AS_FILE))
    return True


async def _photo_question(ctx: Context) -> tuple[Attempt, Question, str] | None:
    """The photo question the sender is being asked, with their attempt and the mode.

    None when no photo question is being asked: no survey conversation, another kind of
    question, the "other" text, or a survey that takes no answers now.
    """
    state = ctx.state
    if not ctx.consented or state is None or state.flow != FLOW or state.data.get("other"):
        return None
    survey_id = state.data.get("survey")
    if not isinstance(survey_id, int):
        return None
    try:
        attempt = await load_attempt(ctx, survey_id)
    except PayloadError:
        return None
    if attempt is None or attempt.response.current is None:
        return None
    question = attempt.definition.question(attempt.response.current)
    if question is None or question.type is not QuestionType.PHOTO:
        return None
    return attempt, question, EDITING if state.data.get("mode") == EDITING else IN_ORDER


async def _take_other(
    ctx: Context, attempt: Attempt, question: Question, mode: str, typed: AnswerValue
) -> None:
    """Store the text of "Other, please specify" (with the other picks of a multiple choice)."""
    other = AnswerValue(choice=OTHER, text=typed.text, language=typed.language)
    if question.type is QuestionType.MULTIPLE_CHOICE:
        picks = [p for p in attempt.answers.get(question.id, []) if p.choice != OTHER]
        await store_answer(ctx, attempt, question, _in_option_order(question, [*picks, other]))
        await show_question(ctx, attempt, question, mode)
    else:
        await store_answer(ctx, attempt, question, [other])
        await _advance(ctx, attempt, question, mode)


QuestionHandler = Callable[[Context, Payload, Attempt, Question, str], Awaitable[None]]


def on_question(router: Router, action: str) -> Callable[[QuestionHandler], QuestionHandler]:
    """Register a button of the question being asked.

    The handler runs only when the press is for the current question of a survey that takes
    answers, and gets the person's attempt, the question and the mode (in order, or editing).
    """

    def register_handler(handler: QuestionHandler) -> QuestionHandler:
        @router.button(action)
        async def pressed(ctx: Context, value: Payload) -> None:
            found = await _current(ctx, value)
            if found is not None:
                await handler(ctx, value, *found)

        return handler

    return register_handler


async def _current(ctx: Context, value: Payload) -> tuple[Attempt, Question, str] | None:
    """Load the attempt a question's button belongs to; the question must be the current one.

    Returns:
        The attempt, the question and the mode; None if the survey takes no answers now.

    Raises:
        PayloadError: the payload is malformed or names a question other than the current one.
    """
    survey_id, question_id, mode = value.int_arg(0), value.str_arg(1), value.str_arg(2)
    if mode not in (IN_ORDER, EDITING):
        raise PayloadError("bad mode")
    attempt = await load_attempt(ctx, survey_id)
    if attempt is None:
        return None
    if attempt.response.current != question_id:
        raise PayloadError("not the current question")
    if attempt.response.status is ResponseStatus.COMPLETE:
        mode = EDITING  # a submitted response is only ever changed from its summary
    return attempt, attempt.question(question_id), mode


def _option_id(question: Question, raw: str) -> str:
    if not raw.isdigit() or int(raw) >= len(question.options):
        raise PayloadError("unknown option")
    return question.options[int(raw)].id


def _button_value(question: Question, raw: str) -> AnswerValue:
    """The value a single-choice, scale, NPS or yes/no button stands for."""
    kind = question.type
    if kind is QuestionType.SINGLE_CHOICE:
        return AnswerValue(choice=_option_id(question, raw))
    if kind in (QuestionType.SCALE, QuestionType.NPS):
        if not raw.isdigit() or int(raw) not in question.points:
            raise PayloadError("not a point of this scale")
        return AnswerValue(number=float(raw))
    if kind is QuestionType.YES_NO and raw in (YES, NO):
        return AnswerValue(choice=raw)
    raise PayloadError("this question is not answered with that button")


def _in_option_order(question: Question, picks: list[AnswerValue]) -> list[AnswerValue]:
    order = {choice: index for index, choice in enumerate(question.option_ids())}
    return sorted(picks, key=lambda pick: order.get(pick.choice or "", len(order)))


async def _advance(ctx: Context, attempt: Attempt, answered: Question, mode: str) -> None:
    """After an answer: drop answers the change hid, then ask the next question or sum up."""
    hidden = hidden_answers(attempt.definition, attempt.answers)
    if hidden:
        await ctx.uow.responses.delete_answers(attempt.response.id, hidden)
        for question_id in hidden:
            attempt.answers.pop(question_id)
        refresh_export_line(attempt)
    shown = visible_questions(attempt.definition, attempt.answers)
    if mode == EDITING:
        following = first_missing(attempt)  # a change may have revealed a required question
    else:
        ids = [question.id for question in shown]
        index = ids.index(answered.id) if answered.id in ids else len(ids)
        following = shown[index + 1] if index + 1 < len(shown) else None
    if following is None:
        await show_summary(ctx, attempt)
    else:
        await show_question(ctx, attempt, following, mode)


async def _submit(ctx: Context, attempt: Attempt) -> None:
    response, survey, definition = attempt.response, attempt.survey, attempt.definition
    first_time = response.status is ResponseStatus.IN_PROGRESS
    response.status = ResponseStatus.COMPLETE
    response.submitted_at = response.updated_at = stored_time(survey, ctx.now)
    response.current = None
    assert ctx.member is not None
    ctx.uow.responses.mark_contact(survey.id, ctx.member.id, started=True, finished=True)
    thanks = (
        definition.text(definition.thank_you, ctx.t.language)
        if definition.thank_you is not None
        else ctx.t(THANK_YOU)
    )
    ctx.toast(ctx.t("Submitted."))
    ctx.show(thanks)
    limit = definition.settings.max_responses
    # The response that reaches the limit closes the survey (and tells anyone half-way).
    if (
        first_time
        and limit is not None
        and await ctx.uow.responses.count_complete(survey.id) >= limit
    ):
        locked = await ctx.uow.surveys.get_locked(survey.id)  # another closer may be first
        if locked is not None:
            ctx.effects += await close_survey(ctx.uow, locked, ctx.now)
