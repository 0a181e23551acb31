"""Survey results for organisers and moderators: /results, CSV and Excel exports, publishing.

`/results <id or short name>` (or the Results button of a survey's card) shows the results in
the reader's language, as a message, or as a short summary with the full report attached when
it would not fit one message. Its buttons export every response as CSV or XLSX and, for each
photo question that received photos, send those photos a page at a time. The "survey.publish"
job sends a summary to everyone who submitted the survey.
"""

from __future__ import annotations

import asyncio

from flows.codec import Payload, PayloadError, payload
from flows.context import Context
from flows.effects import Broadcast, Button, Keyboard, SendDocument, SendPhoto
from flows.i18n import N_, translator
from flows.jobs import JobContext
from flows.router import Router
from flows.survey.closing import PUBLISH_JOB
from flows.survey.definition import QuestionType
from flows.survey.export import (
    BASE_COLUMNS,
    IDENTITY_COLUMNS,
    export_table,
    to_csv,
    to_xlsx,
)
from flows.survey.lifecycle import definition_of
from flows.survey.notices import broadcasts
from flows.survey.results import SurveyResults, survey_results
from flows.survey.results_text import MESSAGE_TEXTS, fits_a_message, full_report, summary
from storage.models import Role, Survey
from storage.uow import UnitOfWork

XLSX_MAX_CELLS = 200_000
"""The largest Excel file made (responses x columns): openpyxl takes about 10 µs a cell, and
the survey's unit of work stays open meanwhile, which on SQLite holds every other update back.
CSV has no such limit: it is written twenty times faster."""
NO_SUCH_SURVEY = N_("There is no survey “{name}”. /surveys lists them.")
PHOTOS_PER_PRESS = 10
"""Photos sent for one press of "Show photos": at one message a second per chat, ten seconds."""


def register(router: Router) -> None:
    """Register /results, its buttons and the job that publishes results to participants."""

    @router.command("results", N_("Results of a survey"), min_role=Role.MODERATOR)
    async def results_command(ctx: Context, args: str) -> None:
        name = args.strip()
        if not name:
            ctx.say(
                ctx.t(
                    "Which survey? Send /results with its number or short name, "
                    "e.g. /results 3 or /results parks-2027. /surveys lists them."
                )
            )
            return
        survey = await find_survey(ctx.uow, name)
        if survey is None:
            ctx.say(ctx.t(NO_SUCH_SURVEY, name=name[:40]))
            return
        await show_results(ctx, survey)

    @router.button("sr.results", min_role=Role.MODERATOR)
    async def results_button(ctx: Context, value: Payload) -> None:
        # A new message, so that the survey card the button sits on stays as it is.
        await show_results(ctx, await _survey(ctx, value))

    @router.button("sr.csv", min_role=Role.MODERATOR)
    async def csv_button(ctx: Context, value: Payload) -> None:
        await _export(ctx, await _survey(ctx, value), "csv")

    @router.button("sr.xlsx", min_role=Role.MODERATOR)
    async def xlsx_button(ctx: Context, value: Payload) -> None:
        await _export(ctx, await _survey(ctx, value), "xlsx")

    @router.button("sr.ph", min_role=Role.MODERATOR)
    async def photos_button(ctx: Context, value: Payload) -> None:
        await _send_photos(ctx, await _survey(ctx, value), value.int_arg(1), value.int_arg(2))

    @router.job(PUBLISH_JOB, max_lateness=None)
    async def publish(job: JobContext) -> None:
        survey = await job.uow.surveys.get(int(job.key))
        if survey is None:
            return  # deleted since it closed: nothing to publish
        job.effects.extend(await publication(job.uow, survey))


async def find_survey(uow: UnitOfWork, name: str) -> Survey | None:
    """The survey with this number (its id, "#3" too) or short name (its slug), or None."""
    name = name.strip().removeprefix("#")
    if name.isdigit() and len(name) < 10:
        return await uow.surveys.get(int(name))
    return await uow.surveys.get_by_slug(name.lower())


async def show_results(ctx: Context, survey: Survey) -> None:
    """Send the results to the sender: one message, or a summary and the full report as a file."""
    results = await survey_results(ctx.uow, survey)
    buttons = _export_buttons(ctx, survey) + _photo_buttons(ctx, results)
    text = full_report(results, ctx.t, texts=MESSAGE_TEXTS)
    if fits_a_message(text):
        ctx.say(text, buttons)
        return
    ctx.effects.append(
        SendDocument(
            chat_id=ctx.chat_id,
            filename=f"{survey.slug}-results.txt",
            content=full_report(results, ctx.t).encode(),
            caption=ctx.t(
                "The full report. Every typed answer is also in the CSV and Excel exports."
            ),
        )
    )
    note = ctx.t("This is a summary; the full report is in the file above.")
    ctx.say(summary(results, ctx.t) + "\n\n" + note, buttons)


async def publication(uow: UnitOfWork, survey: Survey) -> list[Broadcast]:
    """The results summary for everyone who submitted the survey, one send per language.

    Typed answers are left out: participants see the figures, not each other's words.
    """
    results = await survey_results(uow, survey, texts_per_language=0)
    participants = await uow.survey_results.finished_participants(survey.id)

    def render(language: str) -> tuple[str, Keyboard]:
        t = translator(language)
        heading = t(
            "Thank you for taking part in “{title}”. Here are the results.",
            title=_title(survey, language),
        )
        return heading + "\n\n" + summary(results, t), ()

    batch = f"{PUBLISH_JOB}:{survey.id}"
    return broadcasts(batch, participants, definition_of(survey).default_language, render)


async def _survey(ctx: Context, value: Payload) -> Survey:
    """The survey a results button names; results go to private chats only, never a group."""
    if not ctx.event.chat.is_private:
        raise PayloadError("results buttons are for the private chat")
    survey = await ctx.uow.surveys.get(value.int_arg(0))
    if survey is None:
        raise PayloadError("no such survey")
    return survey


async def _export(ctx: Context, survey: Survey, kind: str) -> None:
    if kind == "xlsx":
        responses = sum((await ctx.uow.survey_results.response_counts(survey.id)).values())
        identity = 0 if survey.anonymous else len(IDENTITY_COLUMNS)
        columns = len(BASE_COLUMNS) + identity + len(definition_of(survey).questions)
        if responses * columns > XLSX_MAX_CELLS:
            ctx.toast(
                ctx.t(
                    "That is too many responses for an Excel file made here. Please use CSV: "
                    "Excel opens it too."
                ),
                alert=True,
            )
            return
    table = await export_table(ctx.uow, survey, ctx.t.language)
    # Writing a large file takes a while: in a thread, the event loop goes on meanwhile.
    content = await asyncio.to_thread(to_csv if kind == "csv" else to_xlsx, table)
    title = _title(survey, ctx.t.language)
    ctx.toast(ctx.t("Here is the file."))
    ctx.effects.append(
        SendDocument(
            chat_id=ctx.chat_id,
            filename=f"{table.filename}.{kind}",
            content=content,
            caption=ctx.t.plural(
                "{count} response to “{title}”.",
                "{count} responses to “{title}”.",
                len(table.lines),
                title=title,
            ),
        )
    )
    await ctx.uow.audit.record(
        ctx.member.id if ctx.member else None,
        "survey.export",
        f"survey:{survey.id}",
        ctx.now,
        {"format": kind, "responses": len(table.lines)},
    )


async def _send_photos(ctx: Context, survey: Survey, number: int, offset: int) -> None:
    """Send the next few photos question `number` (from 1) received, then a button for more.

    The button names the question by its number, not its id, to stay within Telegram's 64
    bytes of button data; a survey that has answers can no longer be replaced, so the number
    keeps naming the same question.
    """
    definition = definition_of(survey)
    if not 1 <= number <= len(definition.questions) or offset < 0:
        raise PayloadError("no such question")
    question = definition.questions[number - 1]
    if question.type is not QuestionType.PHOTO:
        raise PayloadError("not a photo question")
    total, page = await ctx.uow.survey_results.photos(
        survey.id,
        question.id,
        by_respondent=survey.anonymous,
        offset=offset,
        limit=PHOTOS_PER_PRESS,
    )
    if not page:
        ctx.toast(ctx.t("There are no photos to show (any more)."), alert=True)
        return
    ctx.toast(ctx.t("Here are the photos."))
    for place, file_id in enumerate(page, start=offset + 1):
        caption = ctx.t(
            "Question {number}, photo {place} of {total}", number=number, place=place, total=total
        )
        ctx.effects.append(SendPhoto(chat_id=ctx.chat_id, file_id=file_id, caption=caption))
    last = offset + len(page)
    if last < total:
        ctx.say(
            ctx.t("Photos {first} to {last} of {total}.", first=offset + 1, last=last, total=total),
            ((Button(ctx.t("More photos ›"), payload("sr.ph", survey.id, number, last)),),),
        )
    # Photos may show people and places: who looked at them is recorded, like exports.
    await ctx.uow.audit.record(
        ctx.member.id if ctx.member else None,
        "survey.photos",
        f"survey:{survey.id}",
        ctx.now,
        {"question": question.id, "from": offset + 1, "photos": len(page)},
    )


def _title(survey: Survey, language: str) -> str:
    definition = definition_of(survey)
    return definition.text(definition.title, language)


def _export_buttons(ctx: Context, survey: Survey) -> Keyboard:
    return (
        (
            Button(ctx.t("CSV"), payload("sr.csv", survey.id)),
            Button(ctx.t("Excel (XLSX)"), payload("sr.xlsx", survey.id)),
        ),
    )


def _photo_buttons(ctx: Context, results: SurveyResults) -> Keyboard:
    """A "Show photos" button for each photo question that received any."""
    return tuple(
        (
            Button(
                ctx.t("📷 Show photos (question {number})", number=number),
                payload("sr.ph", results.survey.id, number, 0),
            ),
        )
        for number, item in enumerate(results.questions, start=1)
        if item.question.type is QuestionType.PHOTO and item.answered
    )
