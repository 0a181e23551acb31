"""/polls: a card per poll for its creator and organisers, with Close, Results, Anonymous.

Every press is checked again (`admin/poll_access.py`): a card forwarded to someone else, or a
button kept after a demotion, does nothing.
"""

from __future__ import annotations

from admin.poll_access import managed_poll, may_manage
from admin.poll_results import show_results
from flows.codec import Payload, payload
from flows.context import Context
from flows.effects import Button, Keyboard
from flows.i18n import N_
from flows.poll.closing import close_poll
from flows.poll.facts import KIND_NAMES, day_of, kind_of, pseudonym
from flows.poll.live import schedule_refresh
from flows.router import Router
from storage.models import Ballot, Poll, PollStatus, Role

STATUS_NAMES = {
    PollStatus.DRAFT: N_("draft"),
    PollStatus.OPEN: N_("open"),
    PollStatus.CLOSED: N_("closed"),
}


def register(router: Router) -> None:
    """Register /polls and the buttons of its cards."""

    @router.command("polls", N_("Your polls: results and closing"), min_role=Role.MODERATOR)
    async def polls(ctx: Context, args: str) -> None:
        everything = ctx.has_role(Role.ORGANISER)
        creator = None if everything or ctx.member is None else ctx.member.id
        found = [p for p in await ctx.uow.polls.listed(creator_id=creator) if may_manage(ctx, p)]
        if not found:
            ctx.say(ctx.t("There are no polls yet. /newpoll writes one."))
            return
        for poll in found:
            ctx.say(await card_text(ctx, poll), card_buttons(ctx, poll))

    @router.button("pm.close")
    async def close(ctx: Context, value: Payload) -> None:
        poll = await managed_poll(ctx, value, locked=True)
        if poll is None:
            return
        if poll.status is not PollStatus.OPEN:
            ctx.toast(ctx.t("This poll is already closed."))
        else:
            ctx.effects += await close_poll(ctx.uow, poll, ctx.config, ctx.now)
            await ctx.uow.audit.record(
                ctx.member.id if ctx.member else None, "poll.close", f"poll:{poll.id}", ctx.now
            )
            ctx.toast(ctx.t("Closed. The groups get the final result."))
        ctx.show(await card_text(ctx, poll), card_buttons(ctx, poll))

    @router.button("pm.res")
    async def results(ctx: Context, value: Payload) -> None:
        poll = await managed_poll(ctx, value)
        if poll is not None:
            await show_results(ctx, poll)

    @router.button("pm.anon")
    async def ask_anonymous(ctx: Context, value: Payload) -> None:
        poll = await managed_poll(ctx, value)
        if poll is None or poll.anonymous:
            return
        ctx.show(
            ctx.t(
                "Make poll {id} anonymous? Every ballot loses its link to the voter, for good: "
                "this cannot be undone.",
                id=poll.id,
            ),
            (
                (Button(ctx.t("Make it anonymous"), payload("pm.anon1", poll.id)),),
                (Button(ctx.t("Keep it as it is"), payload("pm.card", poll.id)),),
            ),
        )

    @router.button("pm.anon1")
    async def make_anonymous(ctx: Context, value: Payload) -> None:
        poll = await managed_poll(ctx, value, locked=True)
        if poll is None:
            return
        if not poll.anonymous:
            secret = ctx.config.pseudonym_key

            def new_key(ballot: Ballot, telegram_id: int | None) -> str:
                # The same key a new anonymous ballot of this person would get, so they still
                # cannot vote twice; an erased member has no Telegram id and keeps a random one.
                source = f"poll:{poll.id}:{telegram_id}" if telegram_id else f"erased:{ballot.id}"
                return pseudonym(secret, source)

            poll.anonymous = True
            poll.updated_at = ctx.now
            await ctx.uow.ballots.anonymise(poll.id, new_key, day_of)
            await ctx.uow.audit.record(
                ctx.member.id if ctx.member else None, "poll.anonymise", f"poll:{poll.id}", ctx.now
            )
            schedule_refresh(ctx.effects, poll.id, ctx.now)
            ctx.toast(ctx.t("The poll is anonymous now."))
        ctx.show(await card_text(ctx, poll), card_buttons(ctx, poll))

    @router.button("pm.card")
    async def card(ctx: Context, value: Payload) -> None:
        poll = await managed_poll(ctx, value)
        if poll is not None:
            ctx.show(await card_text(ctx, poll), card_buttons(ctx, poll))


async def card_text(ctx: Context, poll: Poll) -> str:
    """A poll's card: question, kind, status, votes, groups."""
    votes = await ctx.uow.ballots.count(poll.id)
    groups = len(await ctx.uow.polls.chat_ids(poll.id))
    details = [
        ctx.t(KIND_NAMES[kind_of(poll)]),
        ctx.t(STATUS_NAMES[poll.status]),
        ctx.t("anonymous") if poll.anonymous else ctx.t("names visible to organisers"),
        ctx.t.plural("{count} vote", "{count} votes", votes),
        ctx.t.plural("in {count} group", "in {count} groups", groups),
    ]
    return (
        ctx.t("Poll {id}: {question}", id=poll.id, question=poll.question)
        + "\n"
        + " · ".join(details)
    )


def card_buttons(ctx: Context, poll: Poll) -> Keyboard:
    """The buttons of a poll's card (each press is checked again)."""
    rows = [(Button(ctx.t("Results"), payload("pm.res", poll.id)),)]
    if poll.status is PollStatus.OPEN:
        rows.append((Button(ctx.t("Close"), payload("pm.close", poll.id)),))
    if not poll.anonymous:
        rows.append((Button(ctx.t("Make anonymous"), payload("pm.anon", poll.id)),))
    return tuple(rows)
