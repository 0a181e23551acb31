"""Organisers author surveys as files: upload a YAML or JSON definition, preview, save a draft.

Sending a `.yaml`, `.yml` or `.json` document in the private chat validates it and shows a
preview with Save and Cancel; nothing is stored before Save. The pending definition waits in
the conversation state (`survey_upload`), tied to the upload it came from, so Save on an older
preview cannot save a newer file. `sa.file` and `/surveyfile` send a survey's definition back.
"""

from __future__ import annotations

from admin.file_problems import problems_text
from admin.poll_files import is_poll_file
from admin.poll_upload import offer_poll
from admin.survey_drafts import SurveyLocked, check_replaceable, find_survey, save_draft
from admin.survey_files import EXTENSIONS, MAX_BYTES, DefinitionError, dump_definition
from admin.survey_files import parse_definition as parse_file
from admin.survey_preview import summary
from admin.survey_wizard import register as register_wizard
from flows.codec import Payload, PayloadError, payload
from flows.context import Context
from flows.effects import Button, SendDocument
from flows.events import DocumentReceived
from flows.i18n import N_
from flows.router import NOT_ALLOWED, START_FIRST, Router
from flows.survey.answering import hint_photo_sent_as_file
from flows.survey.definition import SurveyDefinition
from flows.survey.lifecycle import definition_of
from storage.models import Role, Survey, SurveyStatus

FLOW = "survey_upload"
NO_FILES = N_("Sorry, I can't use files here. Please write your message as text.")


def register(router: Router) -> None:
    """Register the document upload, its buttons, `sa.file`, /surveyfile and the wizard."""
    register_wizard(router)

    @router.on(DocumentReceived)
    async def document(ctx: Context) -> None:
        event = ctx.event
        assert isinstance(event, DocumentReceived)
        if not event.chat.is_private:
            return  # the bot stays quiet in groups
        if not ctx.consented:
            ctx.say(ctx.t(START_FIRST))
        elif (event.mime_type or "").startswith("image/") and await hint_photo_sent_as_file(ctx):
            return  # a picture for a photo question, sent as a file
        elif not ctx.has_role(Role.ORGANISER):
            ctx.say(ctx.t(NO_FILES))
        else:
            await _upload(ctx, event)

    @router.conversation(FLOW)
    async def typed_during_upload(ctx: Context, text: str) -> None:
        if not ctx.has_role(Role.ORGANISER):  # demoted while the preview waited
            await ctx.clear_state()
            ctx.say(ctx.t(NOT_ALLOWED))
            return
        ctx.say(ctx.t("Please press Save or Cancel above, or /cancel."))

    @router.button("sa.save", min_role=Role.ORGANISER)
    async def save(ctx: Context, value: Payload) -> None:
        definition = _pending(ctx, value)
        assert ctx.member is not None
        try:
            saved = await save_draft(ctx.uow, definition, ctx.member.id, ctx.now)
        except SurveyLocked as exc:
            await ctx.clear_state()
            ctx.show(_locked(ctx, exc.survey))
            return
        await ctx.clear_state()
        title = definition.text(definition.title, ctx.t.language)
        text = (
            ctx.t("Draft replaced: {title} (survey {id}).", title=title, id=saved.survey.id)
            if saved.replaced
            else ctx.t("Saved as a draft: {title} (survey {id}).", title=title, id=saved.survey.id)
        )
        ctx.toast(ctx.t("Saved."))
        ctx.show(
            text + "\n" + ctx.t("Residents can't see it until it is opened."),
            ((Button(ctx.t("Download the file"), payload("sa.file", saved.survey.id)),),),
        )

    @router.button("sa.cancel", min_role=Role.ORGANISER)
    async def cancel(ctx: Context, value: Payload) -> None:
        if ctx.state is not None and ctx.state.flow == FLOW:
            await ctx.clear_state()
        ctx.show(ctx.t("Cancelled: nothing was saved."))

    @router.button("sa.file", min_role=Role.ORGANISER)
    async def file(ctx: Context, value: Payload) -> None:
        survey = await ctx.uow.surveys.get(value.int_arg(0))
        if survey is None:
            raise PayloadError("no such survey")
        ctx.toast(ctx.t("Here is the file."))
        _send_file(ctx, survey)

    @router.command(
        "surveyfile", N_("Download a survey's definition file"), min_role=Role.ORGANISER
    )
    async def survey_file(ctx: Context, args: str) -> None:
        if not args.strip():
            ctx.say(ctx.t("Which survey? For example: /surveyfile 3 or /surveyfile park-survey"))
            return
        survey = await find_survey(ctx.uow, args)
        if survey is None:
            ctx.say(ctx.t("There is no survey {reference}.", reference=args.strip()[:40]))
            return
        _send_file(ctx, survey)


async def _upload(ctx: Context, event: DocumentReceived) -> None:
    name = event.file_name or ""
    if not name.lower().endswith(EXTENSIONS):
        ctx.say(
            ctx.t(
                "I can only read surveys and polls from .yaml, .yml or .json files. "
                "/newsurvey and /newpoll write one with you step by step."
            )
        )
        return
    if (event.file_size or 0) > MAX_BYTES:
        ctx.say(
            ctx.t(
                "That file is {size} KB; a survey or poll file may be at most {limit} KB.",
                size=(event.file_size or 0) // 1024,
                limit=MAX_BYTES // 1024,
            )
        )
        return
    if event.content is None:
        ctx.say(ctx.t("I couldn't download that file. Please send it again."))
        return
    if is_poll_file(event.content, name):  # a top-level `poll:` key: a poll, not a survey
        await offer_poll(ctx, name, event.content)
        return
    try:
        definition = parse_file(event.content, name)
    except DefinitionError as exc:
        ctx.say(problems_text(ctx, name, exc))
        return
    try:
        replaces = await check_replaceable(ctx.uow, definition)
    except SurveyLocked as exc:
        ctx.say(_locked(ctx, exc.survey))
        return
    upload = str(event.update_id)
    await ctx.set_state(
        FLOW, "confirm", {"upload": upload, "definition": definition.model_dump(mode="json")}
    )
    text = ctx.t("Here is the survey in {name}:", name=name) + "\n\n"
    text += summary(ctx.t, ctx.config, definition) + "\n\n"
    if replaces is not None:
        text += ctx.t(
            "Saving replaces the draft {slug} (survey {id}).", slug=replaces.slug, id=replaces.id
        )
    else:
        text += ctx.t("Save it as a draft? Residents can't see it until it is opened.")
    ctx.say(
        text,
        (
            (Button(ctx.t("Save"), payload("sa.save", upload)),),
            (Button(ctx.t("Cancel"), payload("sa.cancel")),),
        ),
    )


def _pending(ctx: Context, value: Payload) -> SurveyDefinition:
    """The definition waiting for Save; an older preview's button or a demoted sender is refused."""
    state = ctx.state
    if state is None or state.flow != FLOW or state.data.get("upload") != value.str_arg(0):
        raise PayloadError("no such upload waiting")
    return SurveyDefinition.model_validate(state.data["definition"])


def _locked(ctx: Context, survey: Survey) -> str:
    return ctx.t(
        "The survey {slug} (survey {id}) has already been opened, so it can't be replaced. "
        "Nothing was saved. Please use a new id in the file.",
        slug=survey.slug,
        id=survey.id,
    )


def _send_file(ctx: Context, survey: Survey) -> None:
    ctx.effects.append(
        SendDocument(
            chat_id=ctx.chat_id,
            filename=f"{survey.slug}.yaml",
            content=dump_definition(definition_of(survey)),
            caption=ctx.t("The definition of survey {id} ({slug}).", id=survey.id, slug=survey.slug)
            + (
                "\n" + ctx.t("Edit it and send it back to replace the draft.")
                if survey.status is SurveyStatus.DRAFT
                else ""
            ),
        )
    )
