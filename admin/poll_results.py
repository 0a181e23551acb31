"""/pollresults <id>: counts, percentages, turnout, ranked rounds, a bar chart and the CSV.

Results go to the private chat of an organiser or the poll's creator only. The CSV names
voters only for identified polls, and only to organisers (the group message promises "names
visible to organisers"); an anonymous poll's ballots have no member to name.
"""

from __future__ import annotations

import asyncio

from admin.poll_access import NOT_YOURS, may_manage
from flows.context import Context
from flows.effects import SendDocument, SendPhoto
from flows.i18n import N_, Translator
from flows.poll.chart import bar_chart
from flows.poll.csv_export import ballots_csv
from flows.poll.facts import KIND_NAMES, kind_of, option_labels, rules_of
from flows.poll.kinds import PollKind
from flows.poll.live import current_tally
from flows.poll.message import result_lines
from flows.poll.tally import Tally
from flows.router import Router
from storage.models import Member, MemberStatus, Poll, Role

USAGE = N_("Please give the poll's number, e.g. /pollresults 3. /polls lists them.")


def register(router: Router) -> None:
    """Register /pollresults."""

    @router.command("pollresults", N_("Results of a poll"))
    async def poll_results(ctx: Context, args: str) -> None:
        number = args.strip().lstrip("#")
        if not number.isdigit() or len(number) > 9:
            ctx.say(ctx.t(USAGE))
            return
        poll = await ctx.uow.polls.get(int(number))
        if poll is None:
            ctx.say(ctx.t("There is no poll {id}.", id=number))
        elif not may_manage(ctx, poll):
            ctx.say(ctx.t(NOT_YOURS))
        else:
            await show_results(ctx, poll)


async def show_results(ctx: Context, poll: Poll) -> None:
    """Send a poll's results to the sender's chat: text, chart image and CSV file."""
    counted = await current_tally(ctx.uow, poll)
    eligible = await ctx.uow.polls.eligible_count(poll.id)
    ctx.say(results_text(ctx.t, poll, counted, eligible))
    labels = option_labels(poll, ctx.t)
    names = [labels[o.option] for o in counted.options]
    values = [float(_weight(poll, o.total, o.count)) for o in counted.options]
    subtitle = ctx.t.plural("{count} voter", "{count} voters", counted.voters)
    # Drawing and writing files takes a while: in a thread, the event loop goes on meanwhile.
    chart = await asyncio.to_thread(bar_chart, poll.question, names, values, subtitle=subtitle)
    # The poll says "names visible to organisers": its creator, if not one, gets no names.
    named = not poll.anonymous and ctx.has_role(Role.ORGANISER)
    rows = [
        (_name(ctx.t, member) if named else None, choices)
        for choices, member in await ctx.uow.ballots.with_voters(poll.id)
    ]
    table = await asyncio.to_thread(ballots_csv, rules_of(poll), labels, rows)
    ctx.effects.append(SendPhoto(chat_id=ctx.chat_id, content=chart, caption=poll.question[:200]))
    ctx.effects.append(
        SendDocument(
            chat_id=ctx.chat_id,
            filename=f"poll-{poll.id}.csv",
            content=table,
            caption=ctx.t.plural("{count} ballot.", "{count} ballots.", len(rows)),
        )
    )
    await ctx.uow.audit.record(
        ctx.member.id if ctx.member else None, "poll.results", f"poll:{poll.id}", ctx.now
    )


def _weight(poll: Poll, total: int, count: int) -> int:
    """What the chart measures: points for scored kinds, voters otherwise."""
    return total if kind_of(poll) in (PollKind.SCORE, PollKind.DOT_VOTE, PollKind.RANKED) else count


def _name(t: Translator, member: Member | None) -> str:
    """How the CSV names an identified voter (only people who consented have a name kept)."""
    if member is None or member.status is MemberStatus.ERASED:
        return t("(erased)")
    if member.status is MemberStatus.ONBOARDING:
        return t("(has not started the bot)")
    name = " ".join(part for part in (member.first_name, member.last_name) if part)
    return f"{name} (@{member.username})" if member.username else name


def results_text(t: Translator, poll: Poll, counted: Tally, eligible: int) -> str:
    """The results as text: figures per option, turnout, quorum, leaders, ranked rounds."""
    labels = option_labels(poll, t)
    lines = [
        t("Results of poll {id}: {question}", id=poll.id, question=poll.question),
        t(KIND_NAMES[kind_of(poll)]),
        "",
        *result_lines(poll, counted, t),
        "",
        t.plural("{count} person voted.", "{count} people voted.", counted.voters),
    ]
    if eligible:
        turnout = round(100 * counted.voters / max(eligible, counted.voters))
        lines.append(
            t(
                "Eligible members known to the bot: {eligible}; turnout {turnout}%.",
                eligible=eligible,
                turnout=turnout,
            )
        )
    if poll.quorum:
        met = counted.voters >= poll.quorum
        lines.append(
            t("Quorum {quorum}: met.", quorum=poll.quorum)
            if met
            else t("Quorum {quorum}: not met.", quorum=poll.quorum)
        )
    if counted.leaders:
        leading = ", ".join(labels.get(o, o) for o in counted.leaders)
        lines.append(t("Leading: {options}", options=leading))
    for number, round_ in enumerate(counted.rounds, start=1):
        counts = " · ".join(f"{labels.get(o, o)} {n}" for o, n in round_.counts.items())
        line = t("Round {number}: {counts}", number=number, counts=counts)
        if round_.eliminated:
            out = ", ".join(labels.get(o, o) for o in round_.eliminated)
            line += " — " + t("out: {options}", options=out)
        if round_.exhausted:
            line += " — " + t("exhausted: {count}", count=round_.exhausted)
        lines.append(line)
    return "\n".join(lines)
