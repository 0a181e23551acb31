"""Getting people to an open survey: a "Take the survey" post in a group, private invitations.

Both buttons lead to the private chat through the deep link `survey-<id>`. Invitations go to
the survey's audience through the outbox (quiet hours apply), once per person: people already
invited or taking part are left out of a second round.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from admin.survey_card import (
    back_to_card,
    current_survey,
    followable_of,
    intro_excerpt,
    show_card,
    title_of,
)
from flows.codec import Payload, PayloadError, payload
from flows.context import Context
from flows.effects import Button, Keyboard, Schedule
from flows.i18n import N_, translator
from flows.router import Router
from flows.survey.definition import AudienceKind, SurveyDefinition
from flows.survey.lifecycle import definition_of
from flows.survey.notices import broadcasts, local_time
from flows.survey.reminders import INVITE_REMINDER_JOB, TAKE
from storage.models import Member, Role, Survey, SurveyStatus
from storage.uow import UnitOfWork

GROUP_POST = N_("📋 Survey: {title}")
INVITATION = N_("📋 {community} invites you to take a survey: “{title}”")
CLOSES_ON = N_("Open until {time}.")


def register(router: Router) -> None:
    """Register the card's "Post in a group" and "Invite privately" buttons."""

    @router.button("sm.post", min_role=Role.ORGANISER)
    async def choose_group(ctx: Context, value: Payload) -> None:
        survey = await current_survey(ctx, value, SurveyStatus.OPEN)
        if survey is None:
            return
        groups = await ctx.uow.chats.active()
        if not groups:
            ctx.show(
                ctx.t("I am not in any community group yet. An organiser can add me to one."),
                (back_to_card(ctx, survey),),
            )
            return
        rows: list[tuple[Button, ...]] = [
            (
                Button(
                    chat.title[:60] or str(chat.chat_id),
                    payload("sm.post_to", survey.id, chat.chat_id),
                ),
            )
            for chat in groups
        ]
        rows.append(back_to_card(ctx, survey, N_("Cancel")))
        ctx.show(
            ctx.t(
                "In which group should I post “{title}” with a “Take the survey” button?",
                title=title_of(survey, ctx.t.language),
            ),
            tuple(rows),
        )

    @router.button("sm.post_to", min_role=Role.ORGANISER)
    async def post(ctx: Context, value: Payload) -> None:
        survey = await current_survey(ctx, value, SurveyStatus.OPEN)
        if survey is None:
            return
        chat = await ctx.uow.chats.get(value.int_arg(1))
        if chat is None or not chat.active:
            raise PayloadError("not a group the bot serves")
        # A group is read by everyone, so it gets the community's language.
        language = ctx.config.default_language
        text, buttons = _survey_message(ctx, survey, language, heading=GROUP_POST)
        ctx.say(text, buttons, chat_id=chat.chat_id)
        await ctx.uow.audit.record(
            ctx.member.id if ctx.member else None,
            "survey.post",
            f"survey:{survey.id}",
            ctx.now,
            {"chat": chat.chat_id},
        )
        ctx.toast(ctx.t("Posted."))
        await show_card(ctx, survey, "✅ " + ctx.t("Posted in {group}.", group=chat.title))

    @router.button("sm.invite", min_role=Role.ORGANISER)
    async def ask_to_invite(ctx: Context, value: Payload) -> None:
        survey = await current_survey(ctx, value, SurveyStatus.OPEN)
        if survey is None:
            return
        people = await _not_yet_invited(ctx.uow, survey)
        if not people:
            await _nobody_to_invite(ctx, survey)
            return
        ctx.show(
            ctx.t.plural(
                "Invite {count} person to “{title}” in a private message? People already "
                "invited or taking part are left out, and so are people who used /stop.",
                "Invite {count} people to “{title}” in a private message? People already "
                "invited or taking part are left out, and so are people who used /stop.",
                len(people),
                title=title_of(survey, ctx.t.language),
            ),
            (
                (Button(ctx.t("Send invitations"), payload("sm.invite_ok", survey.id)),),
                back_to_card(ctx, survey, N_("Cancel")),
            ),
        )

    @router.button("sm.invite_ok", min_role=Role.ORGANISER)
    async def invite(ctx: Context, value: Payload) -> None:
        survey = await current_survey(ctx, value, SurveyStatus.OPEN)
        if survey is None:
            return
        people = await _not_yet_invited(ctx.uow, survey)
        if not people:  # a second press of an old confirmation
            await _nobody_to_invite(ctx, survey)
            return
        definition = definition_of(survey)

        def render(language: str) -> tuple[str, Keyboard]:
            return _survey_message(ctx, survey, language, heading=INVITATION)

        ctx.effects += broadcasts(
            f"survey:{survey.id}:invite", people, definition.default_language, render
        )
        await ctx.uow.contacts.invite(survey.id, [member.id for member in people], ctx.now)
        if (reminder := _invitee_reminder(survey, definition, ctx)) is not None:
            ctx.effects.append(reminder)
        await ctx.uow.audit.record(
            ctx.member.id if ctx.member else None,
            "survey.invite",
            f"survey:{survey.id}",
            ctx.now,
            {"recipients": len(people)},
        )
        ctx.toast(ctx.t("Invitations queued."))
        notice = ctx.t.plural(
            "Invitation queued for {count} person. It goes out at Telegram's pace, or when "
            "their quiet hours end.",
            "Invitations queued for {count} people. They go out at Telegram's pace; people in "
            "quiet hours get theirs when those end.",
            len(people),
        )
        await show_card(ctx, survey, "✅ " + notice)


async def _nobody_to_invite(ctx: Context, survey: Survey) -> None:
    await show_card(
        ctx,
        survey,
        ctx.t(
            "Nobody left to invite: everyone who may answer and can be written to has been "
            "invited already or is taking part."
        ),
    )


def _survey_message(
    ctx: Context, survey: Survey, language: str, heading: str
) -> tuple[str, Keyboard]:
    """The survey's title, intro excerpt and closing time, with a "Take the survey" link."""
    t = translator(language)
    definition = definition_of(survey)
    title = definition.text(definition.title, language)
    parts = [t(heading, title=title, community=ctx.config.community_name)]
    if intro := intro_excerpt(definition, language):
        parts.append(intro)
    if survey.closes_at is not None:
        parts.append(t(CLOSES_ON, time=local_time(survey.closes_at, ctx.config.timezone)))
    button = ctx.link_button(t(TAKE), f"survey-{survey.id}")
    return "\n\n".join(parts), ((button,),)


async def _not_yet_invited(uow: UnitOfWork, survey: Survey) -> list[Member]:
    """The survey's audience, without people already invited or taking part."""
    contacted = await uow.contacts.contacted(survey.id)
    return [m for m in await _audience(uow, definition_of(survey)) if m.id not in contacted]


async def _audience(uow: UnitOfWork, definition: SurveyDefinition) -> Sequence[Member]:
    """Who may answer and may be written to: consented, reachable, not stopped."""
    audience = definition.settings.audience
    if audience.kind is AudienceKind.GROUP:
        assert audience.chat_id is not None  # the definition checks it
        return await uow.contacts.group_audience(audience.chat_id)
    if audience.kind is AudienceKind.FOLLOWERS:
        assert audience.followable is not None
        item = await followable_of(uow, audience.followable)
        return [] if item is None else await uow.members.audience(item.id)
    return await uow.members.audience()


def _invitee_reminder(
    survey: Survey, definition: SurveyDefinition, ctx: Context
) -> Schedule | None:
    """The reminder to invitees who have not started, `remind_after_hours` before the close."""
    hours = definition.settings.remind_after_hours
    if survey.closes_at is None or hours <= 0:
        return None
    due = survey.closes_at - timedelta(hours=hours)
    if due <= ctx.now:
        return None  # closes too soon for a reminder to make sense
    return Schedule(
        kind=INVITE_REMINDER_JOB, due_at=due, key=str(survey.id), data={"survey": survey.id}
    )
