"""/polls: a card per poll for its creator and organisers, with what can be done to it.

Close, Results, Make anonymous, Download file and, for a draft saved from a file, Publish are
here; Edit and Delete are in `admin/poll_edit.py`, the suggestions switch in
`admin/poll_suggestions.py`. Every press is checked again (`admin/poll_access.py`): a card
forwarded to someone else, or a button kept after a demotion, does nothing.
"""

from __future__ import annotations

from admin.poll_access import managed_poll, may_manage
from admin.poll_files import (
    dump_poll,
    is_draft,
    poll_definition,
    stored_definition,
    wizard_data,
)
from admin.poll_results import show_results
from admin.poll_upload import show_preview
from flows.codec import Payload, PayloadError, payload
from flows.context import Context
from flows.effects import Button, Keyboard, SendDocument
from flows.i18n import N_
from flows.poll.closing import close_poll
from flows.poll.facts import KIND_NAMES, day_of, kind_of, pseudonym
from flows.poll.live import schedule_refresh
from flows.poll.suggestions import SUGGESTIBLE
from flows.router import Router
from storage.models import Ballot, Poll, PollStatus, Role

STATUS_NAMES = {
    PollStatus.DRAFT: N_("draft"),
    PollStatus.OPEN: N_("open"),
    PollStatus.CLOSED: N_("closed"),
}


def register(router: Router) -> None:
    """Register /polls and the buttons of its cards."""

    # Everyone may ask: a resident sees the polls they wrote (`may_manage` decides each card).
    @router.command("polls", N_("Your polls: results and closing"))
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
            schedule_refresh(ctx.effects, poll.id, ctx.now, ctx.config)
            ctx.toast(ctx.t("The poll is anonymous now."))
        ctx.show(await card_text(ctx, poll), card_buttons(ctx, poll))

    # Poll files are for organisers (they alone upload them), so the download is theirs too.
    @router.button("pm.file", min_role=Role.ORGANISER)
    async def download(ctx: Context, value: Payload) -> None:
        poll = await managed_poll(ctx, value)
        if poll is not None:
            ctx.toast(ctx.t("Here is the file."))
            ctx.effects.append(
                SendDocument(
                    chat_id=ctx.chat_id,
                    filename=f"poll-{poll.id}.yaml",
                    content=dump_poll(await stored_definition(ctx.uow, poll)),
                    caption=ctx.t(
                        "The definition of poll {id}. Send it back to me (edited or not) "
                        "to post a new poll like it.",
                        id=poll.id,
                    ),
                )
            )

    @router.button("pm.pub", min_role=Role.ORGANISER)
    async def publish_draft(ctx: Context, value: Payload) -> None:
        poll = await managed_poll(ctx, value)
        if poll is None:
            return
        if not is_draft(poll):
            raise PayloadError("only a draft is published from its card")
        heading = ctx.t("Draft poll {id}.", id=poll.id)
        data = wizard_data(poll_definition(poll), poll.followable_id)
        await show_preview(ctx, data, heading)

    @router.button("pm.card")
    async def card(ctx: Context, value: Payload) -> None:
        poll = await managed_poll(ctx, value)
        if poll is not None:
            ctx.show(await card_text(ctx, poll), card_buttons(ctx, poll))


async def card_text(ctx: Context, poll: Poll) -> str:
    """A poll's card: question, kind, status, votes, groups, private copies."""
    votes = await ctx.uow.ballots.count(poll.id)
    groups = len(await ctx.uow.polls.chat_ids(poll.id))
    details = [
        ctx.t(KIND_NAMES[kind_of(poll)]),
        ctx.t(STATUS_NAMES[poll.status]),
        ctx.t("anonymous") if poll.anonymous else ctx.t("names visible to organisers"),
        ctx.t.plural("{count} vote", "{count} votes", votes),
        ctx.t.plural("in {count} group", "in {count} groups", groups),
    ]
    if privately := await ctx.uow.polls.private_copy_count(poll.id):
        details.append(
            ctx.t.plural(
                "sent privately to {count} person", "sent privately to {count} people", privately
            )
        )
    return (
        ctx.t("Poll {id}: {question}", id=poll.id, question=poll.question)
        + "\n"
        + " · ".join(details)
    )


def card_buttons(ctx: Context, poll: Poll) -> Keyboard:
    """The buttons of a poll's card (each press is checked again)."""
    if is_draft(poll):
        rows = [(Button(ctx.t("Publish"), payload("pm.pub", poll.id)),)]
    else:
        rows = [(Button(ctx.t("Results"), payload("pm.res", poll.id)),)]
    if poll.status is PollStatus.OPEN:
        rows.append((Button(ctx.t("Close"), payload("pm.close", poll.id)),))
    if poll.status is not PollStatus.CLOSED and poll.native is None:
        rows.append((Button(ctx.t("Edit"), payload("pm.edit", poll.id)),))
        if kind_of(poll) in SUGGESTIBLE:
            state = ctx.t("on") if poll.suggestions else ctx.t("off")
            label = ctx.t("Residents suggest options: {value}", value=state)
            rows.append((Button(label, payload("pm.sug", poll.id)),))
    if not poll.anonymous and not is_draft(poll):
        rows.append((Button(ctx.t("Make anonymous"), payload("pm.anon", poll.id)),))
    if ctx.has_role(Role.ORGANISER):
        rows.append((Button(ctx.t("Download file"), payload("pm.file", poll.id)),))
    rows.append((Button(ctx.t("Delete"), payload("pm.del", poll.id)),))
    return tuple(rows)
