"""/start: welcome, language, privacy consent, topics to follow, then any deep-link target.

Steps of the `onboarding` conversation: `language` → `consent` → `topics` → done. The step lives
in the database, so a restart in the middle resumes where the person was.
"""

from __future__ import annotations

from flows.codec import Payload, PayloadError, payload
from flows.context import Context
from flows.effects import Button, RefreshCommands
from flows.i18n import N_, available_languages, language_name, match_language
from flows.onboarding.keyboards import followable_name, language_keyboard, topics_keyboard
from flows.onboarding.texts import DONE, EXPIRED_OPTION, TOPICS_PROMPT, WELCOME, privacy_notice
from flows.router import Audience, Router
from storage.models import Member, MemberStatus, Role

FLOW = "onboarding"
PENDING_LINK = "link"  # state data key: a /start payload to open once onboarding is done


def register(router: Router) -> None:
    """Register /start and the onboarding buttons."""

    @router.command(
        "start", N_("Start or restart, and subscribe again"), audience=Audience.ANYONE, group=True
    )
    async def start(ctx: Context, args: str) -> None:
        if ctx.event.chat.is_group:
            ctx.say(
                ctx.t("Hello! Everything personal happens in a private chat with me."),
                ((ctx.link_button(ctx.t("Open the private chat")),),),
            )
            return
        link = args.strip()[:64] or None
        if ctx.member is None:
            await _begin(ctx, link)
        elif ctx.member.status is MemberStatus.ONBOARDING:
            await _resume(ctx, link)
        else:
            await _welcome_back(ctx, router, link)

    @router.button("lang", audience=Audience.ANYONE)
    async def choose_language(ctx: Context, value: Payload) -> None:
        language = value.str_arg(0)
        if language not in available_languages() or ctx.member is None:
            raise PayloadError("unknown language or no member")
        member = ctx.member
        telegram_default = match_language(member.telegram_language, ctx.config.default_language)
        changed = language != member.language
        member.language = language
        member.updated_at = ctx.now
        ctx.use_language(language)
        if member.status is MemberStatus.ONBOARDING:
            await ctx.set_state(FLOW, "consent", _link_data(ctx))
            _show_consent(ctx)
            return
        ctx.toast(ctx.t("Language saved."))
        ctx.show(
            ctx.t("From now on I'll write to you in {language}.", language=language_name(language)),
            language_keyboard(language),
        )
        if changed or language != telegram_default:
            ctx.effects.append(RefreshCommands(user_id=ctx.event.chat.chat_id))

    @router.button("consent", audience=Audience.ANYONE)
    async def consent(ctx: Context, value: Payload) -> None:
        answer = value.str_arg(0)
        member = ctx.member
        if answer not in ("yes", "no") or member is None:
            raise PayloadError("bad consent answer or no member")
        if member.status is not MemberStatus.ONBOARDING:
            ctx.toast(ctx.t("You have already agreed. /privacy shows the notice."))
            return
        if answer == "no":
            await ctx.uow.members.delete(member)
            ctx.member = None
            ctx.state = None
            ctx.show(
                ctx.t(
                    "No problem: without your consent we keep nothing about you, and nothing "
                    "has been kept. If you change your mind, press /start."
                )
            )
            return
        sender = ctx.event.sender
        assert sender is not None
        member.status = MemberStatus.ACTIVE
        member.consent_at = ctx.now
        member.first_name = sender.first_name
        member.last_name = sender.last_name
        member.username = sender.username
        member.updated_at = ctx.now
        ctx.toast(ctx.t("Thank you!"))
        if await ctx.uow.followables.listed():
            await ctx.set_state(FLOW, "topics", _link_data(ctx))
            await show_topics(ctx, mode="o")
        else:
            await _finish(ctx, router)
        if ctx.role is not Role.RESIDENT:
            # An owner (OWNER_IDS) who had never opened this chat when the bot published the
            # admin menus at start-up has none yet; now that the chat exists, publish it.
            ctx.effects.append(RefreshCommands(user_id=sender.user_id))

    @router.button("topic")
    async def toggle_topic(ctx: Context, value: Payload) -> None:
        mode, item_id = value.str_arg(0), value.int_arg(1)
        member = ctx.member
        if mode not in ("o", "s") or member is None:
            raise PayloadError("bad topics mode")
        item = await ctx.uow.followables.get(item_id)
        if item is None or item.archived:
            ctx.toast(ctx.t(EXPIRED_OPTION))
        elif item_id in await ctx.uow.followables.followed_by(member.id):
            await ctx.uow.followables.unfollow(member.id, item_id)
            ctx.toast(ctx.t("Unfollowed."))
        else:
            await ctx.uow.followables.follow(member.id, item_id, ctx.now)
            ctx.toast(ctx.t("Following."))
        await show_topics(ctx, mode)

    @router.button("topics.done")
    async def topics_done(ctx: Context, value: Payload) -> None:
        mode = value.str_arg(0)
        if mode not in ("o", "s") or ctx.member is None:
            raise PayloadError("bad topics mode")
        summary = await followed_summary(ctx)
        if mode == "o" and ctx.state is not None and ctx.state.flow == FLOW:
            await _finish(ctx, router)
        else:
            ctx.show(ctx.t("Saved.") + "\n" + summary)


async def add_bare_member(ctx: Context) -> Member:
    """Make the sender a member with only what a person has before consent.

    That is the Telegram id and the language: what the onboarding conversation needs, and
    what lets a ballot of someone who never started the bot refer to a member row.
    """
    sender = ctx.event.sender
    assert sender is not None
    ctx.member = await ctx.uow.members.add(
        Member(
            telegram_id=sender.user_id,
            telegram_language=(sender.language_code or "")[:16] or None,
            language=ctx.language_for(None),
            status=MemberStatus.ONBOARDING,
            created_at=ctx.now,
            updated_at=ctx.now,
        )
    )
    return ctx.member


async def _begin(ctx: Context, link: str | None) -> None:
    await add_bare_member(ctx)
    await ctx.set_state(FLOW, "language", {PENDING_LINK: link} if link else {})
    _show_language(ctx)


async def _resume(ctx: Context, link: str | None) -> None:
    step = ctx.state.step if ctx.state is not None and ctx.state.flow == FLOW else "language"
    data = dict(ctx.state.data) if ctx.state is not None and ctx.state.flow == FLOW else {}
    if link:
        data[PENDING_LINK] = link
    await ctx.set_state(FLOW, step, data)
    if step == "consent":
        _show_consent(ctx)
    else:
        _show_language(ctx)


async def _welcome_back(ctx: Context, router: Router, link: str | None) -> None:
    member = ctx.member
    assert member is not None
    if member.broadcasts_stopped_at is not None or member.status is MemberStatus.UNREACHABLE:
        member.broadcasts_stopped_at = None
        member.status = MemberStatus.ACTIVE
        member.updated_at = ctx.now
        ctx.say(ctx.t("Welcome back! You will receive our news and consultations again."))
    elif link is None:
        ctx.say(ctx.t("Welcome back! /help shows what you can do."))
    if link is not None:
        await open_link(ctx, router, link)


def _show_language(ctx: Context) -> None:
    ctx.show(
        ctx.t(WELCOME, community=ctx.config.community_name),
        language_keyboard(ctx.member.language if ctx.member else None),
    )


def _show_consent(ctx: Context) -> None:
    ctx.show(
        privacy_notice(ctx) + "\n\n" + ctx.t("Do you agree?"),
        (
            (Button(ctx.t("I agree"), payload("consent", "yes")),),
            (Button(ctx.t("No, thanks"), payload("consent", "no")),),
        ),
    )


async def show_topics(ctx: Context, mode: str) -> None:
    """Show (or refresh in place) the topics and areas keyboard.

    Args:
        ctx: The handling context (the sender must be a member).
        mode: `o` during onboarding, `s` from /topics.
    """
    assert ctx.member is not None
    items = await ctx.uow.followables.listed()
    if not items:
        ctx.show(ctx.t("There are no topics or areas to follow yet."))
        return
    followed = await ctx.uow.followables.followed_by(ctx.member.id)
    keyboard = topics_keyboard(items, followed, ctx.t.language, mode, ctx.t(DONE))
    ctx.show(ctx.t(TOPICS_PROMPT), keyboard)


async def followed_summary(ctx: Context) -> str:
    """One line naming what the member follows."""
    assert ctx.member is not None
    followed = await ctx.uow.followables.followed_by(ctx.member.id)
    names = [
        followable_name(item, ctx.t.language)
        for item in await ctx.uow.followables.listed()
        if item.id in followed
    ]
    if not names:
        return ctx.t("You follow nothing in particular: you will hear about everything important.")
    return ctx.t("You follow: {names}.", names=", ".join(names))


async def _finish(ctx: Context, router: Router) -> None:
    link = _link_data(ctx).get(PENDING_LINK)
    await ctx.clear_state()
    summary = await followed_summary(ctx) if await ctx.uow.followables.listed() else ""
    text = ctx.t("You're all set!")
    if summary:
        text += "\n" + summary
    ctx.show(text + "\n\n" + ctx.t("/help shows what you can do."))
    if link:
        await open_link(ctx, router, link)


def _link_data(ctx: Context) -> dict[str, str]:
    if ctx.state is None or ctx.state.flow != FLOW:
        return {}
    link = ctx.state.data.get(PENDING_LINK)
    return {PENDING_LINK: link} if isinstance(link, str) else {}


async def open_link(ctx: Context, router: Router, link: str) -> None:
    """Open the flow a `/start <link>` deep link names, or say the link is not valid."""
    target = router.deep_link_target(link)
    if target is None:
        ctx.say(ctx.t("Sorry, that link is not valid (any more)."))
        return
    handler, argument = target
    await handler(ctx, argument)
