"""The private ballot: kinds that need more than one tap are voted in the private chat.

Score, dot vote, ranked choice and meeting time are reached from the group message's Vote link
(`/start poll-<id>`). The ballot being filled in lives in the conversation state, not in the
ballots table, until Confirm: only a whole, valid ballot is ever stored, with the same upsert
on (poll, voter) as a tap in a group. Every press is checked again: the poll must still be
open, the button must belong to the ballot being filled in, and Confirm checks eligibility.
"""

from __future__ import annotations

from typing import Any

from flows.codec import Payload, PayloadError, payload
from flows.context import Context
from flows.effects import Button, Keyboard
from flows.i18n import N_
from flows.poll.audience import refusal
from flows.poll.ballots import AVAILABILITY, MAX_SCORE, InvalidBallot, normalise
from flows.poll.facts import is_one_tap, is_open, kind_of, option_labels, rules_of, stored_time
from flows.poll.kinds import PollKind
from flows.poll.live import current_tally, schedule_refresh
from flows.poll.message import VOTE_PRIVATELY as GO
from flows.poll.message import result_lines
from flows.poll.voters import may_vote_privately, voter_of
from flows.poll.voting import CLOSED, NO_CHANGES
from flows.router import Audience, Router
from storage.models import Poll, PollAudience, PollStatus, PollVisibility

FLOW = "poll_ballot"

SET = "pl.b"  # poll id, option id, value
CONFIRM = "pl.c"  # poll id
RESTART = "_"  # the option id of "start over" in a ranking
MARKS = {"yes": "✅", "maybe": "❔", "no": "❌"}
INSTRUCTIONS = {
    PollKind.SCORE: N_("Give each option a score from 0 (worst) to 5 (best), then Confirm."),
    PollKind.DOT_VOTE: N_("Share out up to {points} points with + and −, then Confirm."),
    PollKind.RANKED: N_(
        "Tap the options in order of preference, best first. You may stop after any; then Confirm."
    ),
    PollKind.MEETING_TIME: N_(
        "For each time, tap whether you can come: ✅ yes, ❔ maybe, ❌ no. Then Confirm."
    ),
}


def register(router: Router) -> None:
    """Register the Vote deep link and the private ballot's buttons."""

    @router.deep_link("poll")
    async def open_link(ctx: Context, argument: str) -> None:
        valid = argument.isdigit() and len(argument) <= 9  # an id, not a number out of range
        poll = await ctx.uow.polls.get(int(argument)) if valid else None
        if poll is None or poll.status is PollStatus.DRAFT:
            ctx.say(ctx.t("Sorry, that link is not valid (any more)."))
        elif poll.native is not None:
            ctx.say(ctx.t("Please vote in Telegram's poll in the group."))
        elif is_one_tap(poll):
            ctx.say(ctx.t("Please vote with the buttons under the poll in the group."))
        elif not is_open(poll, ctx.now):
            ctx.say(ctx.t(CLOSED))
        elif poll.audience is PollAudience.FOLLOWERS and not await may_vote_privately(ctx, poll):
            ctx.say(await refusal(ctx, poll))
        elif not await may_vote_privately(ctx, poll):
            # The bot has not seen them in the poll's groups yet: Vote there shows it has.
            ctx.say(ctx.t("You're all set: now tap Vote under the poll in the group."))
        else:
            await _open(ctx, poll, ctx.chat_id)

    @router.button(GO, audience=Audience.ANYONE)
    async def vote_from_group(ctx: Context, value: Payload) -> None:
        poll = await ctx.uow.polls.get(value.int_arg(0))
        if (
            not ctx.event.chat.is_group
            or poll is None
            or poll.status is PollStatus.DRAFT
            or is_one_tap(poll)
            or ctx.chat_id not in await ctx.uow.polls.chat_ids(poll.id)
        ):
            raise PayloadError("no such poll in this group")
        if not is_open(poll, ctx.now):
            ctx.toast(ctx.t(CLOSED))
            return
        if not ctx.consented or ctx.member is None or ctx.event.sender is None:
            ctx.toast(
                ctx.t(
                    "This poll is voted in a private chat with me. Please open it with the "
                    "button below, press Start, then tap Vote again."
                ),
                alert=True,
            )
            return
        # The press shows they are in this group: what a poll for its groups' members needs.
        await ctx.uow.chats.add_member(ctx.chat_id, ctx.member.id, ctx.now)
        if not await may_vote_privately(ctx, poll):  # a poll for followers they do not follow
            ctx.toast((await refusal(ctx, poll))[:200], alert=True)
            return
        if await _open(ctx, poll, ctx.event.sender.user_id):
            ctx.toast(ctx.t("I've sent you the ballot in our private chat."))

    @router.button(SET)
    async def change(ctx: Context, value: Payload) -> None:
        poll, draft = await _ballot(ctx, value)
        if poll is None:
            return
        draft = _changed(poll, draft, value.str_arg(1), value.str_arg(2))
        await ctx.set_state(FLOW, "vote", {"poll": poll.id, "draft": draft})
        ctx.show(_text(ctx, poll, draft), _keyboard(ctx, poll, draft))

    @router.button(CONFIRM)
    async def confirm(ctx: Context, value: Payload) -> None:
        poll, draft = await _ballot(ctx, value)
        if poll is None:
            return
        if not await may_vote_privately(ctx, poll):
            ctx.toast(await refusal(ctx, poll), alert=True)
            return
        try:
            choices = normalise(rules_of(poll), draft)
        except InvalidBallot:
            ctx.toast(ctx.t("Your ballot is not complete yet."), alert=True)
            return
        voter = await voter_of(ctx, poll)
        stored = await ctx.uow.ballots.cast(
            poll.id,
            voter.key,
            voter.member_id,
            choices,
            stored_time(poll, ctx.now),
            replace=poll.changes_allowed,
        )
        await ctx.clear_state()
        if not stored:
            ctx.toast(ctx.t(NO_CHANGES), alert=True)
            return
        ctx.toast(ctx.t("Thank you! Your vote is recorded."))
        text = _text(ctx, poll, choices, instructions=False)
        text += "\n\n" + ctx.t("Thank you! Your vote is recorded.")
        if poll.visibility is PollVisibility.AFTER_VOTE:  # as a one-tap voter's notice shows them
            counted = await current_tally(ctx.uow, poll)
            text += "\n\n" + ctx.t("The results so far:") + "\n"
            text += "\n".join(result_lines(poll, counted, ctx.t))
        ctx.show(text)
        schedule_refresh(ctx.effects, poll.id, ctx.now, ctx.config)


async def _open(ctx: Context, poll: Poll, chat_id: int) -> bool:
    """Show the ballot in the private chat `chat_id`, filled in with any earlier vote."""
    voter = await voter_of(ctx, poll)
    ballot = await ctx.uow.ballots.find(poll.id, voter.key)
    if ballot is not None and not poll.changes_allowed:
        ctx.toast(ctx.t(NO_CHANGES), alert=True)
        if ctx.event.chat.is_private:
            ctx.say(ctx.t(NO_CHANGES))
        return False
    draft = ballot.choices if ballot is not None else _blank(poll)
    await ctx.set_state(FLOW, "vote", {"poll": poll.id, "draft": draft})
    ctx.say(_text(ctx, poll, draft), _keyboard(ctx, poll, draft), chat_id=chat_id)
    return True


async def _ballot(ctx: Context, value: Payload) -> tuple[Poll | None, Any]:
    """The poll and draft a press belongs to; None after a toast when voting has closed."""
    poll_id = value.int_arg(0)
    state = ctx.state
    if state is None or state.flow != FLOW or state.data.get("poll") != poll_id:
        raise PayloadError("not the ballot being filled in")
    poll = await ctx.uow.polls.get(poll_id)
    if poll is None:
        raise PayloadError("no such poll")
    if not is_open(poll, ctx.now):
        await ctx.clear_state()
        ctx.toast(ctx.t(CLOSED), alert=True)
        return None, None
    return poll, state.data["draft"]


def _blank(poll: Poll) -> Any:
    """An empty ballot to fill in: scores at 0, every time slot at "no", nothing ranked."""
    options = rules_of(poll).options
    kind = kind_of(poll)
    if kind is PollKind.SCORE:
        return dict.fromkeys(options, 0)
    if kind is PollKind.MEETING_TIME:
        return dict.fromkeys(options, "no")
    if kind is PollKind.DOT_VOTE:
        return {}
    return []


def _changed(poll: Poll, draft: Any, option: str, value: str) -> Any:
    """The draft after one press; a value that does not fit the poll is a forged payload."""
    rules = rules_of(poll)
    kind = kind_of(poll)
    if kind is PollKind.RANKED and option == RESTART:
        return []
    if option not in rules.options:
        raise PayloadError("no such option")
    if kind is PollKind.SCORE and value.isdigit() and int(value) <= MAX_SCORE:
        return {**draft, option: int(value)}
    if kind is PollKind.MEETING_TIME and value in AVAILABILITY:
        return {**draft, option: value}
    if kind is PollKind.DOT_VOTE and value in ("up", "dn"):
        spent = sum(draft.values())
        points = draft.get(option, 0) + (1 if value == "up" else -1)
        if points < 0 or (value == "up" and spent >= (poll.points or 0)):
            return draft  # nothing left to give, or nothing to take back
        return {o: p for o, p in {**draft, option: points}.items() if p}
    if kind is PollKind.RANKED and value == "r":
        return draft if option in draft else [*draft, option]
    raise PayloadError("a value that does not fit this poll")


def _text(ctx: Context, poll: Poll, draft: Any, *, instructions: bool = True) -> str:
    labels = option_labels(poll, ctx.t)
    kind = kind_of(poll)
    lines = [f"📊 {poll.question}"]
    if instructions:
        lines.append(ctx.t(INSTRUCTIONS[kind], points=poll.points or 0))
    lines.append("")
    if kind is PollKind.RANKED:
        lines += [f"{n}. {labels[o]}" for n, o in enumerate(draft, start=1)] or [
            ctx.t("Nothing ranked yet.")
        ]
    elif kind is PollKind.SCORE:
        lines += [f"{n}. {labels[o]}: {draft.get(o, 0)}" for n, o in enumerate(labels, start=1)]
    elif kind is PollKind.DOT_VOTE:
        lines += [f"{labels[o]}: {draft.get(o, 0)}" for o in labels]
        left = (poll.points or 0) - sum(draft.values())
        lines.append(ctx.t.plural("{count} point left.", "{count} points left.", left))
    else:
        lines += [f"{MARKS[draft.get(o, 'no')]} {labels[o]}" for o in labels]
    return "\n".join(lines)


def _keyboard(ctx: Context, poll: Poll, draft: Any) -> Keyboard:
    labels = option_labels(poll, ctx.t)
    kind = kind_of(poll)
    rows: list[tuple[Button, ...]] = []
    for number, (option, label) in enumerate(labels.items(), start=1):
        short = label if len(label) <= 24 else label[:23] + "…"
        if kind is PollKind.SCORE:
            rows.append(
                tuple(
                    Button(
                        f"{number}: {'[' + str(v) + ']' if draft.get(option) == v else v}",
                        payload(SET, poll.id, option, v),
                    )
                    for v in range(MAX_SCORE + 1)
                )
            )
        elif kind is PollKind.DOT_VOTE:
            rows.append(
                (
                    Button(f"− {short}", payload(SET, poll.id, option, "dn")),
                    Button(f"+ {short}", payload(SET, poll.id, option, "up")),
                )
            )
        elif kind is PollKind.RANKED:
            if option not in draft:
                rows.append((Button(short, payload(SET, poll.id, option, "r")),))
        else:
            rows.append(
                tuple(
                    Button(
                        (f"{short} " if answer == "yes" else "")
                        + (f"[{MARKS[answer]}]" if draft.get(option) == answer else MARKS[answer]),
                        payload(SET, poll.id, option, answer),
                    )
                    for answer in AVAILABILITY
                )
            )
    if kind is PollKind.RANKED and draft:
        rows.append((Button(ctx.t("Start over"), payload(SET, poll.id, RESTART, "x")),))
    rows.append((Button(ctx.t("Confirm"), payload(CONFIRM, poll.id)),))
    return tuple(rows)
