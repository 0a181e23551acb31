"""A survey's card for organisers: what it is, where it stands, and the buttons that fit.

Every button on a card carries only the survey id; its handler re-reads the survey and checks it
is still in the status the button was made for (`current_survey`), so a card left lying around
changes nothing once the survey has moved on.
"""

from __future__ import annotations

from flows.codec import Payload, PayloadError, payload
from flows.context import Context
from flows.effects import Button, Keyboard
from flows.i18n import N_
from flows.onboarding.keyboards import followable_name
from flows.survey.definition import AudienceKind, SurveyDefinition
from flows.survey.lifecycle import definition_of
from flows.survey.notices import local_time
from storage.models import Followable, FollowKind, Survey, SurveyStatus
from storage.uow import UnitOfWork

STATUS_NAMES = {
    SurveyStatus.DRAFT: N_("draft"),
    SurveyStatus.OPEN: N_("open"),
    SurveyStatus.CLOSED: N_("closed"),
}
OUT_OF_DATE = N_("This card was out of date. Here is the survey as it is now.")
MAX_INTRO = 300  # an excerpt of the intro, enough to make people curious


def title_of(survey: Survey, language: str) -> str:
    """The survey's title in `language` (else its default language)."""
    definition = definition_of(survey)
    return definition.text(definition.title, language)


def intro_excerpt(definition: SurveyDefinition, language: str) -> str:
    """The start of the survey's intro (cut at a word), or "" if it has none."""
    if definition.intro is None:
        return ""
    intro = definition.text(definition.intro, language).strip()
    if len(intro) <= MAX_INTRO:
        return intro
    return intro[:MAX_INTRO].rsplit(maxsplit=1)[0] + "…"


async def followable_of(uow: UnitOfWork, slug: str) -> Followable | None:
    """The topic or area a followers audience names (slugs are unique per kind)."""
    return await uow.followables.by_slug(FollowKind.TOPIC, slug) or await uow.followables.by_slug(
        FollowKind.AREA, slug
    )


async def current_survey(ctx: Context, value: Payload, *statuses: SurveyStatus) -> Survey | None:
    """The survey a card button names, if it is still in one of `statuses`.

    Otherwise the press gets a toast and the card is shown as the survey is now; the caller
    then does nothing.

    Raises:
        PayloadError: no survey has that id.
    """
    # Locked: an organiser's Close and the close job at the same moment must not both close.
    survey = await ctx.uow.surveys.get_locked(value.int_arg(0))
    if survey is None:
        raise PayloadError("no such survey")
    if survey.status in statuses:
        return survey
    ctx.toast(ctx.t(OUT_OF_DATE), alert=True)
    await show_card(ctx, survey)
    return None


async def show_card(ctx: Context, survey: Survey, notice: str = "") -> None:
    """Show the survey's card (in place of the pressed message), with `notice` above it."""
    text = await card_text(ctx, survey)
    ctx.show(f"{notice}\n\n{text}" if notice else text, card_buttons(ctx, survey))


async def card_text(ctx: Context, survey: Survey) -> str:
    """The card: title, status, times, audience, anonymity and response counts."""
    t = ctx.t
    definition = definition_of(survey)
    settings = definition.settings
    tz = ctx.config.timezone
    lines = [
        "📋 " + title_of(survey, t.language),
        t("Status: {status}", status=t(STATUS_NAMES[survey.status])),
    ]
    if survey.opens_at is not None:
        lines.append(t("Opens: {time}", time=local_time(survey.opens_at, tz)))
    elif survey.status is SurveyStatus.DRAFT:
        lines.append(t("Opens: when you open it"))
    if survey.closed_at is not None:
        lines.append(t("Closed: {time}", time=local_time(survey.closed_at, tz)))
    elif survey.closes_at is not None:
        lines.append(t("Closes: {time}", time=local_time(survey.closes_at, tz)))
    else:
        lines.append(t("Closes: when you close it"))
    if settings.max_responses is not None:
        lines.append(t("Closes after {count} submitted responses", count=settings.max_responses))
    lines.append(t("Who may answer: {audience}", audience=await audience_label(ctx, definition)))
    lines.append(t("Anonymous: yes") if survey.anonymous else t("Anonymous: no"))
    counts = await ctx.uow.contacts.response_counts([survey.id])
    started, submitted = counts.get(survey.id, (0, 0))
    lines.append(
        t(
            "Responses: {started} started, {submitted} submitted",
            started=started,
            submitted=submitted,
        )
    )
    return "\n".join(lines)


async def audience_label(ctx: Context, definition: SurveyDefinition) -> str:
    """Who may answer, in words: everyone, a group's members, or a topic's followers."""
    audience = definition.settings.audience
    if audience.kind is AudienceKind.GROUP:
        assert audience.chat_id is not None  # the definition checks it
        chat = await ctx.uow.chats.get(audience.chat_id)
        name = chat.title if chat is not None else str(audience.chat_id)
        return ctx.t("members of the group {name}", name=name)
    if audience.kind is AudienceKind.FOLLOWERS:
        assert audience.followable is not None
        item = await followable_of(ctx.uow, audience.followable)
        name = followable_name(item, ctx.t.language) if item else audience.followable
        return ctx.t("followers of {name}", name=name)
    return ctx.t("everyone")


def card_buttons(ctx: Context, survey: Survey) -> Keyboard:
    """What can be done with the survey now, then its results, its file and the list."""
    t, sid = ctx.t, survey.id
    rows: list[tuple[Button, ...]] = []
    if survey.status is SurveyStatus.DRAFT:
        rows.append((Button(t("Open now"), payload("sm.open", sid)),))
    elif survey.status is SurveyStatus.OPEN:
        rows.append((Button(t("Close now"), payload("sm.close", sid)),))
        rows.append(
            (
                Button(t("Post in a group"), payload("sm.post", sid)),
                Button(t("Invite privately"), payload("sm.invite", sid)),
            )
        )
    rows.append(
        (
            Button(t("Results"), payload("sr.results", sid)),
            Button(t("Definition file"), payload("sa.file", sid)),
        )
    )
    rows.append((Button(t("« All surveys"), payload("sm.list")),))
    return tuple(rows)


def back_to_card(ctx: Context, survey: Survey, label: str = N_("Back")) -> tuple[Button, ...]:
    """A row with one button that shows the survey's card again."""
    return (Button(ctx.t(label), payload("sm.card", survey.id)),)
