"""Moderators decide on suggested options; organisers switch suggestions on and off.

Approve and Reject (`ps.ok`, `ps.no`) are for moderators, organisers and owners, checked on every
press. The suggestion's row is locked, so when two moderators press at once one decides and
the other is told it was already decided. An approved option is added to the poll and every
copy shows its button within a few seconds; the resident who suggested it is told either way.
"""

from __future__ import annotations

from admin.poll_access import managed_poll
from admin.poll_manage import card_buttons, card_text
from flows.codec import Payload, PayloadError
from flows.context import Context
from flows.effects import SendMessage
from flows.i18n import N_, translator
from flows.poll.facts import is_open, kind_of
from flows.poll.live import schedule_refresh
from flows.poll.suggestions import (
    APPROVE,
    MAX_OPTIONS,
    REJECT,
    SUGGESTIBLE,
    has_option,
)
from flows.router import Router
from storage.models import Poll, PollStatus, PollSuggestion, Role, SuggestionStatus

DECIDED = {
    SuggestionStatus.APPROVED: N_("Approved: “{option}” is an option of poll {id} now."),
    SuggestionStatus.REJECTED: N_("Rejected: “{option}” was not added to poll {id}."),
}


def register(router: Router) -> None:
    """Register Approve, Reject and the card's suggestions switch."""

    @router.button(APPROVE, min_role=Role.MODERATOR)
    async def approve(ctx: Context, value: Payload) -> None:
        suggestion, poll = await _pending(ctx, value)
        if suggestion is None or poll is None:
            return
        if not is_open(poll, ctx.now):
            ctx.toast(ctx.t("The poll is closed, so no option can be added. You can reject it."))
            return
        if has_option(poll, suggestion.text):
            ctx.toast(ctx.t("The poll already has that option. You can reject it."), alert=True)
            return
        if len(poll.options) >= MAX_OPTIONS:
            ctx.toast(
                ctx.t("The poll already has {count} options, as many as fit.", count=MAX_OPTIONS),
                alert=True,
            )
            return
        # A new list, so the JSON column sees the change; ids never repeat, even after edits.
        poll.options = [*poll.options, {"id": _next_id(poll), "text": suggestion.text}]
        poll.updated_at = ctx.now
        schedule_refresh(ctx.effects, poll.id, ctx.now, ctx.config)
        await _decide(ctx, suggestion, poll, SuggestionStatus.APPROVED)

    @router.button(REJECT, min_role=Role.MODERATOR)
    async def reject(ctx: Context, value: Payload) -> None:
        suggestion, poll = await _pending(ctx, value)
        if suggestion is not None and poll is not None:
            await _decide(ctx, suggestion, poll, SuggestionStatus.REJECTED)

    @router.button("pm.sug")
    async def switch(ctx: Context, value: Payload) -> None:
        poll = await managed_poll(ctx, value, locked=True)
        if poll is None:
            return
        if (
            kind_of(poll) not in SUGGESTIBLE
            or poll.native is not None
            or poll.status is PollStatus.CLOSED
        ):
            raise PayloadError("this poll cannot take suggestions")
        poll.suggestions = not poll.suggestions
        poll.updated_at = ctx.now
        await ctx.uow.audit.record(
            ctx.member.id if ctx.member else None,
            "poll.suggestions",
            f"poll:{poll.id}",
            ctx.now,
            {"on": poll.suggestions},
        )
        # The group message gains or loses the link.
        schedule_refresh(ctx.effects, poll.id, ctx.now, ctx.config)
        ctx.toast(
            ctx.t("Residents can suggest options now.")
            if poll.suggestions
            else ctx.t("Suggestions are off.")
        )
        ctx.show(await card_text(ctx, poll), card_buttons(ctx, poll))


async def _pending(ctx: Context, value: Payload) -> tuple[PollSuggestion | None, Poll | None]:
    """The suggestion a press decides on, with its poll, both locked; (None, None) if decided.

    Raises:
        PayloadError: no such suggestion (forged, or its poll was deleted), or pressed in a group.
    """
    if not ctx.event.chat.is_private:
        raise PayloadError("suggestions are decided in the private chat")
    suggestion = await ctx.uow.suggestions.get_locked(value.int_arg(0))
    if suggestion is None:
        raise PayloadError("no such suggestion")
    poll = await ctx.uow.polls.get_locked(suggestion.poll_id)
    assert poll is not None  # a poll's suggestions are deleted with it
    if suggestion.status is not SuggestionStatus.PENDING:
        decided = ctx.t(DECIDED[suggestion.status], option=suggestion.text, id=poll.id)
        ctx.toast(ctx.t("Another moderator has already decided."))
        ctx.show(decided)
        return None, None
    return suggestion, poll


async def _decide(
    ctx: Context, suggestion: PollSuggestion, poll: Poll, status: SuggestionStatus
) -> None:
    """Record the decision, tell the suggester, and show it to the moderator."""
    suggestion.status = status
    suggestion.decided_at = ctx.now
    suggestion.decided_by = ctx.member.id if ctx.member else None
    action = "approve" if status is SuggestionStatus.APPROVED else "reject"
    await ctx.uow.audit.record(
        suggestion.decided_by,
        f"poll.suggestion.{action}",
        f"poll:{poll.id}",
        ctx.now,
        {"suggestion": suggestion.id, "option": suggestion.text},
    )
    suggester = await ctx.uow.suggestions.suggester(suggestion)
    if suggester is not None and suggester.telegram_id is not None:
        t = translator(suggester.language or ctx.config.default_language)
        told = (
            t(
                "Good news: your suggestion “{option}” was added to the poll “{question}”. "
                "You can vote for it now.",
                option=suggestion.text,
                question=poll.question,
            )
            if status is SuggestionStatus.APPROVED
            else t(
                "Your suggestion “{option}” for the poll “{question}” was not added. "
                "Thank you for it all the same.",
                option=suggestion.text,
                question=poll.question,
            )
        )
        ctx.effects.append(SendMessage(chat_id=suggester.telegram_id, text=told))
    ctx.toast(ctx.t("Done."))
    ctx.show(ctx.t(DECIDED[status], option=suggestion.text, id=poll.id))


def _next_id(poll: Poll) -> str:
    """An option id no option of the poll has: `o` and one more than the highest number."""
    numbers = [
        int(option["id"][1:])
        for option in poll.options
        if option["id"].startswith("o") and option["id"][1:].isdigit()
    ]
    return f"o{max(numbers, default=0) + 1}"
