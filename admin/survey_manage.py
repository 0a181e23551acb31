"""/surveys: organisers list surveys, open a survey's card, and open or close a survey.

Posting in a group and inviting privately are in `admin/survey_outreach.py`; the card itself
is in `admin/survey_card.py`.
"""

from __future__ import annotations

from admin import survey_outreach
from admin.survey_card import STATUS_NAMES, back_to_card, current_survey, show_card, title_of
from flows.codec import Payload, PayloadError, payload
from flows.context import Context
from flows.effects import Button
from flows.i18n import N_
from flows.router import Router
from flows.survey import closing, reminders
from flows.survey.notices import local_time
from storage.models import Role, SurveyStatus

MAX_LISTED = 30  # one button each; Telegram allows 100, and a phone screen far fewer


def register(router: Router) -> None:
    """Register /surveys, the card's buttons, and the jobs that run surveys over time."""
    closing.register_jobs(router)
    reminders.register_jobs(router)
    survey_outreach.register(router)

    @router.command("surveys", N_("List the surveys and run them"), min_role=Role.ORGANISER)
    async def surveys(ctx: Context, args: str) -> None:
        await _show_list(ctx)

    @router.button("sm.list", min_role=Role.ORGANISER)
    async def survey_list(ctx: Context, value: Payload) -> None:
        await _show_list(ctx)

    @router.button("sm.card", min_role=Role.ORGANISER)
    async def card(ctx: Context, value: Payload) -> None:
        survey = await ctx.uow.surveys.get(value.int_arg(0))
        if survey is None:
            raise PayloadError("no such survey")
        await show_card(ctx, survey)

    @router.button("sm.open", min_role=Role.ORGANISER)
    async def open_survey(ctx: Context, value: Payload) -> None:
        survey = await current_survey(ctx, value, SurveyStatus.DRAFT)
        if survey is None:
            return
        tz = ctx.config.timezone
        if survey.closes_at is not None and survey.closes_at <= ctx.now:
            notice = ctx.t(
                "Its closing time, {time}, has passed, so it cannot be opened. Set a later "
                "closes_at in the definition file and upload it again.",
                time=local_time(survey.closes_at, tz),
            )
            await show_card(ctx, survey, "⚠️ " + notice)
            return
        survey.status = SurveyStatus.OPEN
        if (close := closing.close_job(survey)) is not None:
            ctx.effects.append(close)
        await ctx.uow.audit.record(
            ctx.member.id if ctx.member else None, "survey.open", f"survey:{survey.id}", ctx.now
        )
        if survey.opens_at is not None and survey.opens_at > ctx.now:
            notice = ctx.t(
                "Opened. Residents can answer from {time}.", time=local_time(survey.opens_at, tz)
            )
        else:
            notice = ctx.t("Opened. Residents can answer now.")
        ctx.toast(ctx.t("Opened."))
        await show_card(ctx, survey, "✅ " + notice)

    @router.button("sm.close", min_role=Role.ORGANISER)
    async def ask_to_close(ctx: Context, value: Payload) -> None:
        survey = await current_survey(ctx, value, SurveyStatus.OPEN)
        if survey is None:
            return
        midway = len(await ctx.uow.contacts.midway(survey.id))
        ctx.show(
            ctx.t(
                "Close “{title}” now? It stops taking answers at once. People half-way "
                "through ({count}) are told; their answers so far are kept and count as "
                "incomplete. A closed survey cannot be opened again.",
                title=title_of(survey, ctx.t.language),
                count=midway,
            ),
            (
                (Button(ctx.t("Yes, close it"), payload("sm.close_ok", survey.id)),),
                back_to_card(ctx, survey, N_("Cancel")),
            ),
        )

    @router.button("sm.close_ok", min_role=Role.ORGANISER)
    async def close_now(ctx: Context, value: Payload) -> None:
        survey = await current_survey(ctx, value, SurveyStatus.OPEN)
        if survey is None:
            return
        ctx.effects += await closing.close_survey(ctx.uow, survey, ctx.now)
        await ctx.uow.audit.record(
            ctx.member.id if ctx.member else None,
            "survey.close",
            f"survey:{survey.id}",
            ctx.now,
            {"by": "hand"},
        )
        ctx.toast(ctx.t("Closed."))
        await show_card(ctx, survey, "✅ " + ctx.t("Closed. It takes no more answers."))


async def _show_list(ctx: Context) -> None:
    every = await ctx.uow.surveys.listed()
    listed = every[:MAX_LISTED]
    if not listed:
        ctx.show(ctx.t("There are no surveys yet. Send me a survey definition file to add one."))
        return
    counts = await ctx.uow.contacts.response_counts([survey.id for survey in listed])
    lines, rows = [], []
    for survey in listed:
        title = title_of(survey, ctx.t.language)
        started, submitted = counts.get(survey.id, (0, 0))
        lines.append(
            ctx.t(
                "• {title} ({status}): {started} started, {submitted} submitted",
                title=title,
                status=ctx.t(STATUS_NAMES[survey.status]),
                started=started,
                submitted=submitted,
            )
        )
        rows.append((Button(title[:60], payload("sm.card", survey.id)),))
    if len(every) > len(listed):
        lines.append(ctx.t("(the newest {shown} of {total})", shown=len(listed), total=len(every)))
    ctx.show(ctx.t("Surveys, newest first:") + "\n\n" + "\n".join(lines), tuple(rows))
