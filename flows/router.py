"""Routes each inbound event to the flow that owns it, after the checks every flow needs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Literal

from flows.codec import Payload, PayloadError
from flows.context import ROLE_RANK, Context
from flows.events import ButtonPressed, CommandReceived, InboundEvent, TextReceived
from flows.i18n import N_, translator
from flows.jobs import JobHandler, JobType
from storage.models import Role

CommandHandler = Callable[[Context, str], Awaitable[None]]
ButtonHandler = Callable[[Context, Payload], Awaitable[None]]
TextHandler = Callable[[Context, str], Awaitable[None]]
EventHandler = Callable[[Context], Awaitable[None]]
DeepLinkHandler = Callable[[Context, str], Awaitable[None]]
Prefetcher = Callable[[Sequence[Context]], Awaitable[None]]

Scope = Literal["private", "group"]


class Audience(StrEnum):
    """Who may use a command, button or conversation before anything else is checked."""

    ANYONE = "anyone"  # also people who never pressed /start (e.g. /privacy)
    MEMBERS = "members"  # people who consented


@dataclass(frozen=True, slots=True)
class Command:
    """A registered command: its handler, menu text and who may use it where."""

    name: str
    description: str  # an N_() marked English text, translated when shown
    handler: CommandHandler
    min_role: Role
    audience: Audience
    private: bool
    group: bool
    in_menu: bool


@dataclass(frozen=True, slots=True)
class ButtonRoute:
    """A registered button action."""

    handler: ButtonHandler
    min_role: Role
    audience: Audience


EXPIRED = N_("This button is no longer valid. Please use the latest message.")
NOT_ALLOWED = N_("Sorry, this is only for organisers and moderators.")
START_FIRST = N_("Welcome! Please press /start first: it takes a few seconds.")


class Router:
    """The table of what handles what; flows register themselves into it."""

    def __init__(self) -> None:
        """Start with empty tables."""
        self.commands: dict[str, Command] = {}
        self._buttons: dict[str, ButtonRoute] = {}
        self._conversations: dict[str, TextHandler] = {}
        self._events: dict[type[InboundEvent], EventHandler] = {}
        self._deep_links: dict[str, DeepLinkHandler] = {}
        self.jobs: dict[str, JobType] = {}
        self.unknown_command: CommandHandler | None = None
        self.unrouted_text: TextHandler | None = None
        self.prefetchers: list[Prefetcher] = []

    def command(
        self,
        name: str,
        description: str,
        *,
        min_role: Role = Role.RESIDENT,
        audience: Audience = Audience.MEMBERS,
        private: bool = True,
        group: bool = False,
        in_menu: bool = True,
    ) -> Callable[[CommandHandler], CommandHandler]:
        """Register a command handler; it receives the text after the command."""

        def register(handler: CommandHandler) -> CommandHandler:
            if name in self.commands:
                raise ValueError(f"/{name} is registered twice")
            self.commands[name] = Command(
                name, description, handler, min_role, audience, private, group, in_menu
            )
            return handler

        return register

    def button(
        self, action: str, *, min_role: Role = Role.RESIDENT, audience: Audience = Audience.MEMBERS
    ) -> Callable[[ButtonHandler], ButtonHandler]:
        """Register the handler of a button action; it receives the decoded payload."""

        def register(handler: ButtonHandler) -> ButtonHandler:
            if action in self._buttons:
                raise ValueError(f"button action {action!r} is registered twice")
            self._buttons[action] = ButtonRoute(handler, min_role, audience)
            return handler

        return register

    def conversation(self, flow: str) -> Callable[[TextHandler], TextHandler]:
        """Register who handles private text while a member's conversation is in `flow`."""

        def register(handler: TextHandler) -> TextHandler:
            self._conversations[flow] = handler
            return handler

        return register

    def on(self, event_type: type[InboundEvent]) -> Callable[[EventHandler], EventHandler]:
        """Register the handler of another kind of event (joins, leaves, blocks, ...)."""

        def register(handler: EventHandler) -> EventHandler:
            self._events[event_type] = handler
            return handler

        return register

    def deep_link(self, prefix: str) -> Callable[[DeepLinkHandler], DeepLinkHandler]:
        """Register the target of `/start <prefix>-<argument>` links (argument may be empty)."""

        def register(handler: DeepLinkHandler) -> DeepLinkHandler:
            self._deep_links[prefix] = handler
            return handler

        return register

    def job(
        self, kind: str, *, max_lateness: timedelta | None
    ) -> Callable[[JobHandler], JobHandler]:
        """Register the handler of a kind of scheduled job and how late it may still run."""

        def register(handler: JobHandler) -> JobHandler:
            if kind in self.jobs:
                raise ValueError(f"job kind {kind!r} is registered twice")
            self.jobs[kind] = JobType(kind, handler, max_lateness)
            return handler

        return register

    def prefetch(self, prefetcher: Prefetcher) -> Prefetcher:
        """Register a loader that reads ahead, in one query, what a batch's handlers will need.

        The engine calls every prefetcher with the contexts of a batch before their handlers run.
        A prefetcher only warms its repositories' caches; handlers read through them as before,
        so nothing changes when it loads too little.
        """
        self.prefetchers.append(prefetcher)
        return prefetcher

    def deep_link_target(self, start_payload: str) -> tuple[DeepLinkHandler, str] | None:
        """Return the handler and argument for a /start payload, or None if nothing owns it."""
        prefix, _, argument = start_payload.partition("-")
        handler = self._deep_links.get(prefix)
        return (handler, argument) if handler else None

    async def dispatch(self, ctx: Context) -> None:
        """Hand the event to its handler, after the checks that every flow needs."""
        event = ctx.event
        if isinstance(event, CommandReceived):
            await self._dispatch_command(ctx, event)
        elif isinstance(event, ButtonPressed):
            await self._dispatch_button(ctx, event)
        elif isinstance(event, TextReceived):
            await self._dispatch_text(ctx, event)
        elif (handler := self._events.get(type(event))) is not None:
            await handler(ctx)

    async def _dispatch_command(self, ctx: Context, event: CommandReceived) -> None:
        command = self.commands.get(event.command)
        if event.chat.is_group:
            # In groups the bot stays quiet about commands it does not own (they may be
            # another bot's); its own private commands point to the private chat.
            if command is None:
                return
            if not command.group:
                ctx.say(
                    ctx.t("Let's continue in a private chat."),
                    ((ctx.link_button(ctx.t("Open the private chat")),),),
                )
                return
        elif command is None or not command.private:
            if self.unknown_command is not None:
                await self.unknown_command(ctx, event.command)
            return
        if command.audience is Audience.MEMBERS and not ctx.consented and event.chat.is_private:
            ctx.say(ctx.t(START_FIRST))
            return
        if not ctx.has_role(command.min_role):
            ctx.say(ctx.t(NOT_ALLOWED))
            return
        await command.handler(ctx, event.args)

    async def _dispatch_button(self, ctx: Context, event: ButtonPressed) -> None:
        route = self._buttons.get(event.payload.action) if event.payload else None
        if route is None or event.payload is None:
            ctx.toast(ctx.t(EXPIRED))
            return
        if route.audience is Audience.MEMBERS and not ctx.consented:
            ctx.toast(ctx.t(START_FIRST), alert=True)
            return
        if not ctx.has_role(route.min_role):
            ctx.toast(ctx.t(NOT_ALLOWED), alert=True)
            return
        try:
            await route.handler(ctx, event.payload)
        except PayloadError:
            ctx.effects.clear()
            ctx.toast(ctx.t(EXPIRED))

    async def _dispatch_text(self, ctx: Context, event: TextReceived) -> None:
        if not event.chat.is_private:
            return  # the bot stays quiet in groups
        if ctx.state is not None and (handler := self._conversations.get(ctx.state.flow)):
            await handler(ctx, event.text)
        elif not ctx.consented:
            ctx.say(ctx.t(START_FIRST))
        elif self.unrouted_text is not None:
            await self.unrouted_text(ctx, event.text)

    def menu(self, scope: Scope, role: Role, language: str) -> list[tuple[str, str]]:
        """Return the command menu (name, translated description) for a scope, role, language."""
        t = translator(language)
        return [
            (command.name, t(command.description))
            for command in self.commands.values()
            if command.in_menu
            and (command.group if scope == "group" else command.private)
            and ROLE_RANK[role] >= ROLE_RANK[command.min_role]
        ]
