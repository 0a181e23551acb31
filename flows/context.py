"""The context a flow handler works in: the event, the member, the transaction, the effects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flows.config import CommunityConfig
from flows.effects import Button, EditMessage, Effect, Keyboard, SendMessage, Toast
from flows.events import ButtonPressed, InboundEvent
from flows.i18n import Translator, match_language, translator
from storage.models import ConversationState, Member, MemberStatus, Role
from storage.uow import UnitOfWork

ROLE_RANK = {Role.RESIDENT: 0, Role.MODERATOR: 1, Role.ORGANISER: 2, Role.OWNER: 3}


@dataclass
class Context:
    """Everything a handler needs; handlers add effects here and write through `uow`.

    Attributes:
        event: The inbound event being handled.
        uow: The open unit of work (committed by the engine after the handler returns).
        config: Deployment facts (bot username, owners, default language).
        now: The time of handling, from the injected clock.
        member: The sender's member row, or None if they never pressed /start.
        state: The sender's open conversation, if any.
        t: The translator for the sender's language.
        effects: What to do once the transaction has committed, in order.
    """

    event: InboundEvent
    uow: UnitOfWork
    config: CommunityConfig
    now: datetime
    member: Member | None
    state: ConversationState | None
    t: Translator = field(init=False)
    effects: list[Effect] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.t = translator(self.language_for(self.member))

    def language_for(self, member: Member | None) -> str:
        """Return the interface language: the member's choice, else Telegram's, else default."""
        if member is not None and member.language:
            return member.language
        code = self.event.sender.language_code if self.event.sender else None
        return match_language(code, self.config.default_language)

    def use_language(self, language: str) -> None:
        """Switch the texts of this handling to `language` (after the member chose it)."""
        self.t = translator(language)

    @property
    def role(self) -> Role:
        """The sender's effective role: owners come from settings, the rest from the database."""
        sender = self.event.sender
        if sender is not None and sender.user_id in self.config.owner_ids:
            return Role.OWNER
        if self.member is None or self.member.status is MemberStatus.ERASED:
            return Role.RESIDENT
        return Role(self.member.role)

    def has_role(self, minimum: Role) -> bool:
        """Whether the sender's role is at least `minimum`."""
        return ROLE_RANK[self.role] >= ROLE_RANK[minimum]

    @property
    def consented(self) -> bool:
        """Whether the sender finished onboarding and consented (and has not erased)."""
        return self.member is not None and self.member.status in (
            MemberStatus.ACTIVE,
            MemberStatus.UNREACHABLE,
        )

    @property
    def chat_id(self) -> int:
        """The chat the event happened in."""
        return self.event.chat.chat_id

    def say(self, text: str, buttons: Keyboard = (), *, chat_id: int | None = None) -> None:
        """Send a new message (to the event's chat unless `chat_id` is given)."""
        self.effects.append(
            SendMessage(
                chat_id=self.chat_id if chat_id is None else chat_id, text=text, buttons=buttons
            )
        )

    def show(self, text: str, buttons: Keyboard = ()) -> None:
        """Show `text`: in place of the pressed message for a button press, else as a new one."""
        event = self.event
        if isinstance(event, ButtonPressed) and event.message_id is not None:
            self.effects.append(
                EditMessage(
                    chat_id=self.chat_id, message_id=event.message_id, text=text, buttons=buttons
                )
            )
        else:
            self.say(text, buttons)

    def toast(self, text: str = "", *, alert: bool = False) -> None:
        """Answer the button press being handled with a short notice."""
        if isinstance(self.event, ButtonPressed):
            self.effects.append(Toast(callback_id=self.event.callback_id, text=text, alert=alert))

    def link_button(self, text: str, start_payload: str | None = None) -> Button:
        """A button that opens the private chat with the bot, optionally with a /start payload."""
        return Button(text, url=self.config.deep_link(start_payload))

    async def set_state(self, flow: str, step: str, data: dict[str, Any] | None = None) -> None:
        """Move the sender's conversation to `step` of `flow`."""
        assert self.member is not None, "only members have conversations"
        member_id, data = self.member.id, data or {}
        self.state = self.uow.states.set(self.state, member_id, flow, step, data, self.now)

    async def clear_state(self) -> None:
        """End the sender's open conversation."""
        if self.member is not None and self.state is not None:
            await self.uow.states.clear(self.member.id)
        self.state = None
