"""/newsurvey: a simple survey written in the chat, one step at a time, previewed, then saved.

Steps of the `survey_wizard` conversation: `title` → `intro` (or Skip) → for each question
`question` (its text) → `type` (buttons) → `options` (choice types only, one per line) → `more`
(add another, or finish) → `preview` (Save or Cancel). Everything typed so far lives in the
conversation state, so a restart in the middle loses nothing; /cancel leaves.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from admin.survey_drafts import save_draft
from admin.survey_preview import TYPE_NAMES, questions, summary
from flows.codec import Payload, PayloadError, payload
from flows.context import Context
from flows.effects import Button, Keyboard
from flows.i18n import N_
from flows.router import NOT_ALLOWED, Router
from flows.survey.definition import MAX_QUESTIONS, QuestionType, SurveyDefinition
from storage.models import Role

FLOW = "survey_wizard"
MAX_TITLE = 200
MAX_INTRO = 1000
MAX_QUESTION = 500
MAX_OPTION = 100
MIN_OPTIONS, MAX_OPTIONS = 2, 20
TYPES = (
    QuestionType.SINGLE_CHOICE,
    QuestionType.MULTIPLE_CHOICE,
    QuestionType.YES_NO,
    QuestionType.SCALE,
    QuestionType.SHORT_TEXT,
    QuestionType.LONG_TEXT,
    QuestionType.PHOTO,
)
"""The question types the wizard offers; files can use every type."""
CHOICES = frozenset({QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE})
USE_BUTTONS = N_("Please use the buttons above, or /cancel.")


def register(router: Router) -> None:
    """Register /newsurvey, its conversation and its buttons."""

    @router.command("newsurvey", N_("Write a simple survey step by step"), min_role=Role.ORGANISER)
    async def new_survey(ctx: Context, args: str) -> None:
        await ctx.set_state(FLOW, "title")
        ctx.say(
            ctx.t(
                "Let's write a survey. What is its title? (up to {limit} characters; "
                "/cancel stops)",
                limit=MAX_TITLE,
            )
        )

    @router.conversation(FLOW)
    async def typed(ctx: Context, text: str) -> None:
        if not ctx.has_role(Role.ORGANISER):  # demoted while writing
            await ctx.clear_state()
            ctx.say(ctx.t(NOT_ALLOWED))
            return
        assert ctx.state is not None
        step, data = ctx.state.step, dict(ctx.state.data)
        text = text.strip()
        if step == "title":
            if _fits(ctx, text, MAX_TITLE):
                await ctx.set_state(FLOW, "intro", {**data, "title": text})
                _ask_intro(ctx)
        elif step == "intro":
            if _fits(ctx, text, MAX_INTRO):
                await ctx.set_state(FLOW, "question", {**data, "intro": text})
                _ask_question(ctx, data)
        elif step == "question":
            if _fits(ctx, text, MAX_QUESTION):
                await ctx.set_state(FLOW, "type", {**data, "text": text})
                _ask_type(ctx)
        elif step == "options":
            options = _options(ctx, text)
            if options is not None:
                await _add_question(ctx, data, QuestionType(data["type"]), options)
        else:
            ctx.say(ctx.t(USE_BUTTONS))

    @router.button("sw.skip", min_role=Role.ORGANISER)
    async def skip_intro(ctx: Context, value: Payload) -> None:
        data = _data(ctx, "intro")
        await ctx.set_state(FLOW, "question", data)
        ctx.show(ctx.t("No introduction."))
        _ask_question(ctx, data)

    @router.button("sw.type", min_role=Role.ORGANISER)
    async def choose_type(ctx: Context, value: Payload) -> None:
        data = _data(ctx, "type")
        try:
            kind = QuestionType(value.str_arg(0))
        except ValueError as exc:
            raise PayloadError("not a question type") from exc
        if kind not in TYPES:
            raise PayloadError("not a question type the wizard offers")
        ctx.show(ctx.t("Type: {kind}", kind=ctx.t(TYPE_NAMES[kind])))
        if kind in CHOICES:
            await ctx.set_state(FLOW, "options", {**data, "type": kind.value})
            ctx.say(
                ctx.t(
                    "Send the options, one per line ({low} to {high}, each up to {limit} "
                    "characters).",
                    low=MIN_OPTIONS,
                    high=MAX_OPTIONS,
                    limit=MAX_OPTION,
                )
            )
        else:
            await _add_question(ctx, data, kind, [])

    @router.button("sw.more", min_role=Role.ORGANISER)
    async def another(ctx: Context, value: Payload) -> None:
        data = _data(ctx, "more")
        if len(data["questions"]) >= MAX_QUESTIONS:
            raise PayloadError("no room for more questions")
        await ctx.set_state(FLOW, "question", data)
        ctx.show(ctx.t("Next question."))
        _ask_question(ctx, data)

    @router.button("sw.finish", min_role=Role.ORGANISER)
    async def finish(ctx: Context, value: Payload) -> None:
        data = _data(ctx, "more")
        data["slug"] = _new_slug(data["title"])
        definition = _definition(ctx, data)
        await ctx.set_state(FLOW, "preview", data)
        ctx.show(
            summary(ctx.t, ctx.config, definition)
            + "\n\n"
            + questions(ctx.t, definition)
            + "\n\n"
            + ctx.t("Save it as a draft? Residents can't see it until it is opened."),
            (
                (Button(ctx.t("Save"), payload("sw.save")),),
                (Button(ctx.t("Cancel"), payload("sw.cancel")),),
            ),
        )

    @router.button("sw.save", min_role=Role.ORGANISER)
    async def save(ctx: Context, value: Payload) -> None:
        data = _data(ctx, "preview")
        assert ctx.member is not None
        while await ctx.uow.surveys.get_by_slug(data["slug"]) is not None:
            data["slug"] = _new_slug(data["title"])  # taken since the preview: pick another
        definition = _definition(ctx, data)
        saved = await save_draft(ctx.uow, definition, ctx.member.id, ctx.now)
        await ctx.clear_state()
        ctx.toast(ctx.t("Saved."))
        ctx.show(
            ctx.t(
                "Saved as a draft: {title} (survey {id}).",
                title=data["title"],
                id=saved.survey.id,
            )
            + "\n"
            + ctx.t("Residents can't see it until it is opened."),
            ((Button(ctx.t("Download the file"), payload("sa.file", saved.survey.id)),),),
        )

    @router.button("sw.cancel", min_role=Role.ORGANISER)
    async def cancel(ctx: Context, value: Payload) -> None:
        if ctx.state is not None and ctx.state.flow == FLOW:
            await ctx.clear_state()
        ctx.show(ctx.t("Cancelled: nothing was saved."))


def _data(ctx: Context, step: str) -> dict[str, Any]:
    """The survey being written; a button of another step or an ended wizard is refused."""
    state = ctx.state
    if state is None or state.flow != FLOW or state.step != step:
        raise PayloadError("the wizard is not at this step")
    data = dict(state.data)
    data.setdefault("questions", [])
    return data


def _fits(ctx: Context, text: str, limit: int) -> bool:
    """Whether a typed text is usable; if not, say why (the step is asked again)."""
    if not text:
        ctx.say(ctx.t("Please write some text, or /cancel."))
        return False
    if len(text) > limit:
        ctx.say(
            ctx.t(
                "That is {length} characters; the limit is {limit}. Please shorten it.",
                length=len(text),
                limit=limit,
            )
        )
        return False
    return True


def _options(ctx: Context, text: str) -> list[str] | None:
    """The options typed one per line, or None after saying what is wrong."""
    options = [line.strip() for line in text.splitlines() if line.strip()]
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        ctx.say(
            ctx.t(
                "Please send {low} to {high} options, one per line (that was {count}).",
                low=MIN_OPTIONS,
                high=MAX_OPTIONS,
                count=len(options),
            )
        )
        return None
    too_long = next((option for option in options if len(option) > MAX_OPTION), None)
    if too_long is not None:
        ctx.say(
            ctx.t(
                "Each option may have at most {limit} characters; this one has {length}: {option}",
                limit=MAX_OPTION,
                length=len(too_long),
                option=too_long[:40] + "…",
            )
        )
        return None
    if len(set(options)) != len(options):
        ctx.say(ctx.t("Two options are the same. Please send each option once."))
        return None
    return options


async def _add_question(
    ctx: Context, data: dict[str, Any], kind: QuestionType, options: list[str]
) -> None:
    question = {"text": data["text"], "type": kind.value, "options": options}
    data = {key: value for key, value in data.items() if key not in ("text", "type")}
    data["questions"] = [*data.get("questions", []), question]
    await ctx.set_state(FLOW, "more", data)
    count = len(data["questions"])
    rows: list[tuple[Button, ...]] = []
    if count < MAX_QUESTIONS:
        rows.append((Button(ctx.t("Add another question"), payload("sw.more")),))
    rows.append((Button(ctx.t("Finish"), payload("sw.finish")),))
    keyboard: Keyboard = tuple(rows)
    ctx.say(ctx.t("Question {number} added.", number=count), keyboard)


def _ask_intro(ctx: Context) -> None:
    ctx.say(
        ctx.t(
            "Write a short introduction residents see first (up to {limit} characters), "
            "or press Skip.",
            limit=MAX_INTRO,
        ),
        ((Button(ctx.t("Skip"), payload("sw.skip")),),),
    )


def _ask_question(ctx: Context, data: dict[str, Any]) -> None:
    number = len(data.get("questions", [])) + 1
    ctx.say(
        ctx.t(
            "Question {number}: what do you want to ask? (up to {limit} characters)",
            number=number,
            limit=MAX_QUESTION,
        )
    )


def _ask_type(ctx: Context) -> None:
    rows = tuple(
        (Button(ctx.t(TYPE_NAMES[kind]), payload("sw.type", kind.value)),) for kind in TYPES
    )
    ctx.say(ctx.t("What kind of answer?"), rows)


def _definition(ctx: Context, data: dict[str, Any]) -> SurveyDefinition:
    """Build the definition from the wizard's data (validated like an uploaded file)."""
    built: dict[str, Any] = {
        "id": data["slug"],
        "default_language": ctx.t.language,
        "title": data["title"],
        "questions": [
            {
                "id": f"q{number}",
                "type": question["type"],
                "text": question["text"],
                "options": [
                    {"id": f"o{index}", "text": text}
                    for index, text in enumerate(question["options"], start=1)
                ],
            }
            for number, question in enumerate(data["questions"], start=1)
        ],
    }
    if data.get("intro"):
        built["intro"] = data["intro"]
    return SurveyDefinition.model_validate(built)


def _new_slug(title: str) -> str:
    """A survey id from the title plus a short random suffix, e.g. `park-benches-3f9a`."""
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:30].strip("-") or "survey"
    return f"{base}-{secrets.token_hex(2)}"
