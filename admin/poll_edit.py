"""Edit and delete a poll from its card in /polls: its creator or an organiser, every press.

**Edit** changes words, never what was voted on: the question and the text of each option the
organiser wrote. Options are not added, removed or reordered by Edit (a ballot names its
options by id, so renaming keeps every vote where it was) and the kind and counting settings
stay; an approved suggestion is the one way an option is added. A closed poll is final and
Telegram's own polls cannot be changed once sent. Every copy is refreshed after a change.

**Delete** asks first, then removes the group messages (a message over two days old cannot be
deleted by a bot, so it is edited to say the poll was deleted instead) and the poll with its
ballots and suggestions. While a copy is still waiting to be sent, it asks to try again.
"""

from __future__ import annotations

from datetime import timedelta

from admin.poll_access import NOT_YOURS, managed_poll, may_manage
from admin.poll_manage import card_buttons, card_text
from flows.codec import Payload, PayloadError, payload
from flows.context import Context
from flows.effects import Button, DeleteMessage, EditMessage, StopPoll
from flows.i18n import N_
from flows.poll.facts import option_labels
from flows.poll.kinds import FIXED_OPTIONS, PollKind
from flows.poll.live import group_translator, schedule_refresh
from flows.router import Router
from storage.models import OutboxStatus, Poll, PollStatus
from storage.repositories.polls import post_batch

FLOW = "poll_edit"
MAX_QUESTION = 300  # the limits of /newpoll
MAX_OPTION = 100
QUESTION = "q"  # the edit target naming the question; options are named by their ids
DELETABLE_FOR = timedelta(hours=47)  # Telegram lets a bot delete its messages for 48 hours
CLOSED_FINAL = N_("This poll is closed: its question and options stay as they were voted on.")
NATIVE_FIXED = N_("Telegram's own polls can't be changed once they are posted.")
GONE = N_("That poll no longer exists.")


def register(router: Router) -> None:
    """Register Edit and Delete on the cards, and the typed new texts."""

    @router.button("pm.edit")
    async def edit_menu(ctx: Context, value: Payload) -> None:
        poll = await managed_poll(ctx, value)
        if poll is None or not _editable(ctx, poll):
            return
        rows = [(Button(ctx.t("Question"), payload("pm.ed", poll.id, QUESTION)),)]
        labels = option_labels(poll, ctx.t)
        if PollKind(poll.kind) not in FIXED_OPTIONS:
            rows += [
                (
                    Button(
                        ctx.t("Option {number}: {text}", number=number, text=labels[option["id"]]),
                        payload("pm.ed", poll.id, option["id"]),
                    ),
                )
                for number, option in enumerate(poll.options, start=1)
            ]
        rows.append((Button(ctx.t("Back"), payload("pm.card", poll.id)),))
        text = ctx.t("Edit poll {id}: what should change?", id=poll.id)
        if await ctx.uow.ballots.count(poll.id):
            text += "\n" + ctx.t(
                "People have voted: their votes stay with the option whatever its new words, "
                "so correct the wording, not the meaning."
            )
        ctx.show(text, tuple(rows))

    @router.button("pm.ed")
    async def edit_target(ctx: Context, value: Payload) -> None:
        poll = await managed_poll(ctx, value)
        target = value.str_arg(1)
        if poll is None or not _editable(ctx, poll):
            return
        if _current(poll, target) is None:
            raise PayloadError("no such part of the poll to edit")
        assert ctx.member is not None  # managing needs a role, and roles need a member row
        await ctx.set_state(FLOW, "text", {"poll": poll.id, "target": target})
        ctx.toast()
        ctx.say(_prompt(ctx, poll, target))

    @router.conversation(FLOW)
    async def typed(ctx: Context, text: str) -> None:
        assert ctx.state is not None
        data = ctx.state.data
        poll = await ctx.uow.polls.get_locked(int(data["poll"]))
        target = str(data["target"])
        if poll is None:
            await ctx.clear_state()
            ctx.say(ctx.t(GONE))
            return
        if not may_manage(ctx, poll):  # demoted while typing
            await ctx.clear_state()
            ctx.say(ctx.t(NOT_YOURS))
            return
        if poll.status is PollStatus.CLOSED or _current(poll, target) is None:
            await ctx.clear_state()
            ctx.say(ctx.t(CLOSED_FINAL))
            return
        text = text.strip()
        problem = _problem(ctx, poll, target, text)
        if problem:
            ctx.say(problem + "\n" + _prompt(ctx, poll, target))
            return
        before = _current(poll, target)
        if target == QUESTION:
            poll.question = text
        else:
            # A new list, so the JSON column sees the change.
            poll.options = [
                {**option, "text": text} if option["id"] == target else dict(option)
                for option in poll.options
            ]
        poll.updated_at = ctx.now
        await ctx.uow.audit.record(
            ctx.member.id if ctx.member else None,
            "poll.edit",
            f"poll:{poll.id}",
            ctx.now,
            {"part": target, "before": before, "after": text},
        )
        schedule_refresh(ctx.effects, poll.id, ctx.now, ctx.config)
        await ctx.clear_state()
        saved = ctx.t("Saved. Every copy of the poll shows it within a few seconds.")
        ctx.say(saved + "\n\n" + await card_text(ctx, poll), card_buttons(ctx, poll))

    @router.button("pm.del")
    async def ask_delete(ctx: Context, value: Payload) -> None:
        poll = await managed_poll(ctx, value)
        if poll is None:
            return
        votes = await ctx.uow.ballots.count(poll.id)
        ctx.show(
            ctx.t("Delete poll {id}: {question}?", id=poll.id, question=poll.question)
            + "\n"
            + ctx.t.plural(
                "Its messages in the groups and its {count} vote are deleted for good.",
                "Its messages in the groups and its {count} votes are deleted for good.",
                votes,
            ),
            (
                (Button(ctx.t("Delete it"), payload("pm.del1", poll.id)),),
                (Button(ctx.t("Keep it"), payload("pm.card", poll.id)),),
            ),
        )

    @router.button("pm.del1")
    async def delete(ctx: Context, value: Payload) -> None:
        poll = await managed_poll(ctx, value, locked=True)
        if poll is None:
            return
        if await _still_sending(ctx, poll):
            ctx.toast(
                ctx.t(
                    "The poll is still being posted in its groups. Please try again in a minute."
                ),
                alert=True,
            )
            return
        await _remove_messages(ctx, poll)
        votes = await ctx.uow.ballots.count(poll.id)
        await ctx.uow.polls.delete(poll.id)
        await ctx.uow.audit.record(
            ctx.member.id if ctx.member else None,
            "poll.delete",
            f"poll:{poll.id}",
            ctx.now,
            {"question": poll.question, "votes": votes},
        )
        ctx.toast(ctx.t("Deleted."))
        ctx.show(ctx.t("Poll {id} is deleted: {question}", id=poll.id, question=poll.question))


def _editable(ctx: Context, poll: Poll) -> bool:
    """Whether the poll's words may change; if not, say why with a toast."""
    if poll.status is PollStatus.CLOSED:
        ctx.toast(ctx.t(CLOSED_FINAL), alert=True)
        return False
    if poll.native is not None:
        ctx.toast(ctx.t(NATIVE_FIXED), alert=True)
        return False
    return True


def _current(poll: Poll, target: str) -> str | None:
    """The text being edited now, or None if the poll has no such editable part."""
    if target == QUESTION:
        return poll.question
    if PollKind(poll.kind) in FIXED_OPTIONS:
        return None  # fixed options are translated for each reader, not written
    return next((option["text"] for option in poll.options if option["id"] == target), None)


def _prompt(ctx: Context, poll: Poll, target: str) -> str:
    if target == QUESTION:
        return ctx.t(
            "Send the new question (up to {limit} characters), or /cancel.", limit=MAX_QUESTION
        )
    return ctx.t(
        "Send the new text for the option “{option}” (up to {limit} characters), or /cancel.",
        option=_current(poll, target) or "",
        limit=MAX_OPTION,
    )


def _problem(ctx: Context, poll: Poll, target: str, text: str) -> str | None:
    """Why a typed text cannot be used, or None."""
    if not text:
        return ctx.t("Please write some text, or /cancel.")
    limit = MAX_QUESTION if target == QUESTION else MAX_OPTION
    if len(text) > limit:
        return ctx.t(
            "That is {length} characters; the limit is {limit}. Please shorten it.",
            length=len(text),
            limit=limit,
        )
    if target != QUESTION and any(
        option["text"].casefold() == text.casefold() and option["id"] != target
        for option in poll.options
    ):
        return ctx.t("You already have that option: {option}", option=text)
    return None


async def _still_sending(ctx: Context, poll: Poll) -> bool:
    """Whether a message of the poll is still waiting in the outbox (it would go out later)."""
    for batch in (post_batch(poll.id), f"{post_batch(poll.id)}:end"):
        waiting = await ctx.uow.outbox.progress(batch)
        if waiting.get(OutboxStatus.PENDING) or waiting.get(OutboxStatus.SENDING):
            return True
    return False


async def _remove_messages(ctx: Context, poll: Poll) -> None:
    """Delete the poll's group messages; ones too old to delete lose their buttons instead."""
    copies = {(post.chat_id, post.message_id) for post in await ctx.uow.polls.posts(poll.id)}
    t = group_translator(ctx.config)
    for chat_id, message_id, sent_at in await ctx.uow.polls.group_messages(poll.id):
        if sent_at is None or ctx.now - sent_at < DELETABLE_FOR:
            ctx.effects.append(DeleteMessage(chat_id=chat_id, message_id=message_id))
        elif (chat_id, message_id) not in copies:
            continue  # an old outcome message: plain text, it may stay
        elif poll.native is not None:
            ctx.effects.append(StopPoll(chat_id=chat_id, message_id=message_id))
        else:
            deleted = "📊 " + poll.question + "\n\n" + t("This poll was deleted.")
            ctx.effects.append(EditMessage(chat_id=chat_id, message_id=message_id, text=deleted))
