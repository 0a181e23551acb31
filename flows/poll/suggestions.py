"""Residents suggest options for a poll; moderators are asked to approve or reject each one.

When a poll takes suggestions, its group message has a "Suggest an option" link to the private
chat (`/start pollsug-<id>`; someone who has not started the bot goes through /start first and
comes back here). The resident types the option; it is queued (one pending suggestion per
person and poll, kept by the database) and every moderator, organiser and owner gets it with
Approve and Reject (`admin/poll_suggestions.py` decides).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flows.codec import payload
from flows.context import Context
from flows.effects import Button, Keyboard, SendMessage
from flows.i18n import N_, Translator, translator
from flows.poll.facts import is_open
from flows.poll.kinds import PollKind
from flows.privacy import Section, register_section
from flows.router import Router
from storage.models import Member, MemberStatus, Poll, PollStatus, PollSuggestion, Role
from storage.uow import UnitOfWork

SUGGESTIBLE = frozenset({PollKind.SINGLE, PollKind.MULTIPLE, PollKind.APPROVAL})
"""Kinds whose options residents may suggest: voted with one tap, options written by people."""
LINK = "pollsug"  # /start pollsug-<poll id>
FLOW = "poll_suggest"
MAX_SUGGESTION = 100  # an option's limit in /newpoll
MAX_OPTIONS = 10  # one button per option under a group message
APPROVE = "ps.ok"
REJECT = "ps.no"
NOT_TAKING = N_("This poll doesn't take suggestions (any more).")
ALREADY_PENDING = N_(
    "You already suggested “{option}” for this poll. A moderator will decide soon; you can "
    "suggest another option after that."
)
MODERATING = (Role.MODERATOR, Role.ORGANISER, Role.OWNER)


def suggest_link(poll: Poll) -> str:
    """The /start payload that opens the suggestion of an option for `poll`."""
    return f"{LINK}-{poll.id}"


def takes_suggestions(poll: Poll, now: datetime) -> bool:
    """Whether residents may suggest options for the poll now."""
    return (
        bool(poll.suggestions)
        and PollKind(poll.kind) in SUGGESTIBLE
        and poll.native is None  # Telegram's own polls cannot gain options
        and is_open(poll, now)
    )


def has_option(poll: Poll, text: str) -> bool:
    """Whether the poll already has an option with this text (case aside)."""
    wanted = text.casefold()
    return any(option["text"].casefold() == wanted for option in poll.options)


def register(router: Router) -> None:
    """Register the suggestion link and the typed suggestion."""

    @router.deep_link(LINK)
    async def open_link(ctx: Context, argument: str) -> None:
        valid = argument.isdigit() and len(argument) <= 9
        poll = await ctx.uow.polls.get(int(argument)) if valid else None
        if poll is None or poll.status is PollStatus.DRAFT or ctx.member is None:
            ctx.say(ctx.t("Sorry, that link is not valid (any more)."))
            return
        if not takes_suggestions(poll, ctx.now):
            ctx.say(ctx.t(NOT_TAKING))
            return
        pending = await ctx.uow.suggestions.pending_of(poll.id, ctx.member.id)
        if pending is not None:
            ctx.say(ctx.t(ALREADY_PENDING, option=pending.text))
            return
        if len(poll.options) >= MAX_OPTIONS:
            ctx.say(ctx.t("This poll already has as many options as fit under it."))
            return
        await ctx.set_state(FLOW, "text", {"poll": poll.id})
        ctx.say(
            ctx.t(
                "What option would you add to the poll “{question}”? Send it in one message "
                "(up to {limit} characters), or /cancel.",
                question=poll.question,
                limit=MAX_SUGGESTION,
            )
        )

    @router.conversation(FLOW)
    async def typed(ctx: Context, text: str) -> None:
        assert ctx.state is not None and ctx.member is not None
        poll = await ctx.uow.polls.get(int(ctx.state.data["poll"]))
        if poll is None or not takes_suggestions(poll, ctx.now):
            await ctx.clear_state()
            ctx.say(ctx.t(NOT_TAKING))
            return
        text = " ".join(text.split())  # one line, as a button shows it
        if not text:
            ctx.say(ctx.t("Please write your suggestion as text, or /cancel."))
            return
        if len(text) > MAX_SUGGESTION:
            ctx.say(
                ctx.t(
                    "That is {length} characters; the limit is {limit}. Please shorten it.",
                    length=len(text),
                    limit=MAX_SUGGESTION,
                )
            )
            return
        if has_option(poll, text):
            ctx.say(ctx.t("The poll already has that option: {option}", option=text))
            return
        await ctx.clear_state()
        suggestion = await ctx.uow.suggestions.add(poll.id, ctx.member.id, text, ctx.now)
        if suggestion is None:  # one sent at the same moment got there first
            pending = await ctx.uow.suggestions.pending_of(poll.id, ctx.member.id)
            ctx.say(ctx.t(ALREADY_PENDING, option=pending.text if pending else text))
            return
        ctx.say(
            ctx.t(
                "Thank you! A moderator will look at your suggestion; I'll tell you what they "
                "decide."
            )
        )
        for moderator in await moderators(ctx):
            t = translator(moderator.language or ctx.config.default_language)
            assert moderator.telegram_id is not None
            ctx.effects.append(
                SendMessage(
                    chat_id=moderator.telegram_id,
                    text=review_text(t, poll, suggestion, ctx.member.first_name or ""),
                    buttons=review_buttons(t, suggestion),
                )
            )


async def _export(uow: UnitOfWork, member: Member) -> list[dict[str, Any]]:
    return [
        {
            "poll": suggestion.poll_id,
            "option": suggestion.text,
            "status": suggestion.status.value,
            "suggested_at": suggestion.created_at.isoformat(),
        }
        for suggestion in await uow.suggestions.of_member(member.id)
    ]


async def _erase(uow: UnitOfWork, member: Member, at: datetime) -> None:
    await uow.suggestions.forget_member(member.id)


def register_privacy() -> None:
    """Add suggestions to /mydata and /forget (an approved option stays, naming nobody)."""
    register_section(Section("poll_suggestions", _export, _erase))


async def moderators(ctx: Context) -> list[Member]:
    """The people who decide on suggestions: moderators, organisers and owners who can be told."""
    found = {member.id: member for member in await ctx.uow.members.with_roles(MODERATING)}
    for owner_id in sorted(ctx.config.owner_ids):
        owner = await ctx.uow.members.get_by_telegram_id(owner_id)
        if owner is not None:
            found.setdefault(owner.id, owner)
    return [m for m in found.values() if m.status is MemberStatus.ACTIVE and m.telegram_id]


def review_text(t: Translator, poll: Poll, suggestion: PollSuggestion, suggester: str) -> str:
    """What a moderator reads about a suggestion waiting for them."""
    return t(
        "{name} suggests a new option for poll {id} “{question}”:\n“{option}”\n"
        "Approve adds it to the poll in every group.",
        name=suggester or t("A resident"),
        id=poll.id,
        question=poll.question,
        option=suggestion.text,
    )


def review_buttons(t: Translator, suggestion: PollSuggestion) -> Keyboard:
    """Approve and Reject under a suggestion."""
    return (
        (
            Button(t("Approve"), payload(APPROVE, suggestion.id)),
            Button(t("Reject"), payload(REJECT, suggestion.id)),
        ),
    )
