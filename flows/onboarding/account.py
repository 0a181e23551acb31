"""A member's own settings and rights: /help, /language, /topics, /privacy, /mydata, /forget."""

from __future__ import annotations

import json

from flows.codec import Payload, PayloadError, payload
from flows.context import Context
from flows.effects import Button, RefreshCommands, SendDocument
from flows.events import MessageEdited, UnsupportedMessage
from flows.i18n import N_
from flows.onboarding.keyboards import language_keyboard
from flows.onboarding.start import show_topics
from flows.onboarding.texts import privacy_notice
from flows.privacy import erase_member, export_member
from flows.router import Audience, Router
from storage.models import Role


def register(router: Router) -> None:
    """Register the account commands, their buttons and the replies to what no flow handles."""

    @router.command("help", N_("What I can do for you"), audience=Audience.ANYONE, group=True)
    async def help_(ctx: Context, args: str) -> None:
        if ctx.event.chat.is_group:
            ctx.say(
                ctx.t(
                    "I am {community}'s consultation bot. Polls and announcements appear here; "
                    "surveys, questions and your settings are in a private chat with me.",
                    community=ctx.config.community_name,
                ),
                ((ctx.link_button(ctx.t("Open the private chat")),),),
            )
            return
        if not ctx.consented:
            names = ("start", "help", "privacy")
            lines = [f"/{n} — {ctx.t(router.commands[n].description)}" for n in names]
            ctx.say(ctx.t("Press /start to take part.") + "\n\n" + "\n".join(lines))
            return
        lines = [
            f"/{name} — {text}" for name, text in router.menu("private", ctx.role, ctx.t.language)
        ]
        ctx.say(ctx.t("Here is what you can do:") + "\n\n" + "\n".join(lines))

    @router.command("language", N_("Change the language I use with you"))
    async def language(ctx: Context, args: str) -> None:
        ctx.say(ctx.t("Which language would you like?"), language_keyboard(ctx.t.language))

    @router.command("topics", N_("Choose the topics and areas you follow"))
    async def topics(ctx: Context, args: str) -> None:
        await show_topics(ctx, mode="s")

    @router.deep_link("topics")
    async def topics_link(ctx: Context, argument: str) -> None:
        await show_topics(ctx, mode="s")

    @router.command("privacy", N_("What we store about you, and why"), audience=Audience.ANYONE)
    async def privacy(ctx: Context, args: str) -> None:
        text = privacy_notice(ctx)
        if ctx.consented and ctx.member is not None and ctx.member.consent_at is not None:
            when = ctx.member.consent_at.astimezone(ctx.config.timezone).strftime("%Y-%m-%d")
            text += "\n\n" + ctx.t("You agreed to this on {date}.", date=when)
        ctx.say(text)

    @router.deep_link("privacy")
    async def privacy_link(ctx: Context, argument: str) -> None:
        ctx.say(privacy_notice(ctx))

    @router.command("mydata", N_("Download everything we store about you"))
    async def mydata(ctx: Context, args: str) -> None:
        assert ctx.member is not None
        document = {
            "exported_at": ctx.now.isoformat(),
            "community": ctx.config.community_name,
            **await export_member(ctx.uow, ctx.member),
        }
        content = json.dumps(document, ensure_ascii=False, indent=2, default=str).encode()
        ctx.effects.append(
            SendDocument(
                chat_id=ctx.chat_id,
                filename="my-townsquare-data.json",
                content=content,
                caption=ctx.t("Everything we store about you."),
            )
        )

    @router.command("forget", N_("Erase everything we store about you"))
    async def forget(ctx: Context, args: str) -> None:
        ctx.say(
            ctx.t(
                "This erases your profile, your settings and everything linked to you. "
                "Anonymous totals you contributed to remain, without you in them. "
                "It cannot be undone. Erase everything?"
            ),
            (
                (Button(ctx.t("Yes, erase everything"), payload("forget", "yes")),),
                (Button(ctx.t("Cancel"), payload("forget", "no")),),
            ),
        )

    @router.button("forget")
    async def forget_answer(ctx: Context, value: Payload) -> None:
        answer = value.str_arg(0)
        if answer not in ("yes", "no") or ctx.member is None:
            raise PayloadError("bad forget answer")
        if answer == "no":
            ctx.show(ctx.t("Nothing was erased."))
            return
        text = ctx.t(
            "Done: everything we stored about you has been erased. "
            "If you ever want to take part again, press /start."
        )
        had_admin_menu = ctx.member.role is not Role.RESIDENT
        await erase_member(ctx.uow, ctx.member, ctx.now)
        ctx.member = None
        ctx.state = None
        ctx.show(text)
        if had_admin_menu:
            # Telegram still shows this chat the menu of the erased role: replace it.
            ctx.effects.append(RefreshCommands(user_id=ctx.chat_id))

    @router.command("stop", N_("Stop receiving news and announcements"))
    async def stop(ctx: Context, args: str) -> None:
        assert ctx.member is not None
        if ctx.member.broadcasts_stopped_at is None:
            ctx.member.broadcasts_stopped_at = ctx.now
            ctx.member.updated_at = ctx.now
        ctx.say(
            ctx.t(
                "You will no longer receive news or announcements. Answers to what you ask "
                "still reach you. Press /start to subscribe again."
            )
        )

    @router.command("cancel", N_("Stop what you are doing"), audience=Audience.ANYONE)
    async def cancel(ctx: Context, args: str) -> None:
        if ctx.state is not None and ctx.member is not None and ctx.consented:
            await ctx.clear_state()
            ctx.say(ctx.t("Cancelled."))
        else:
            ctx.say(ctx.t("There is nothing to cancel."))

    async def unknown_command(ctx: Context, command: str) -> None:
        ctx.say(
            ctx.t("Sorry, I don't know /{command}. /help lists what I can do.", command=command)
        )

    async def unrouted_text(ctx: Context, text: str) -> None:
        ctx.say(ctx.t("I'm not sure what to do with that message. /help lists what I can do."))

    router.unknown_command = unknown_command
    router.unrouted_text = unrouted_text

    @router.on(MessageEdited)
    async def edited(ctx: Context) -> None:
        if ctx.event.chat.is_private and ctx.consented:
            ctx.say(ctx.t("I can't take edits into account. Please send a new message instead."))

    @router.on(UnsupportedMessage)
    async def unsupported(ctx: Context) -> None:
        if ctx.event.chat.is_private:
            ctx.say(ctx.t("Sorry, I can only read text messages and button presses here."))
