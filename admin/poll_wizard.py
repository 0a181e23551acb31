"""/newpoll: a poll written in the private chat, previewed, then posted in community groups.

Steps of the `poll_wizard` conversation: `question` (typed) → `kind` (buttons) → `options`
(typed, one per message or per line, then Done; skipped for kinds with fixed options) →
`settings` (buttons) → `preview` → `groups` (buttons: which groups, then Publish). Everything
lives in the conversation state, so a restart in the middle loses nothing; /cancel leaves.
"""

from __future__ import annotations

from typing import Any

from admin.poll_draft import (
    build_poll,
    cycle,
    is_native,
    new_settings,
    settings_keyboard,
    settings_notes,
)
from admin.poll_groups import postable_groups
from admin.poll_send import (
    NATIVE_IN_GROUPS,
    NOBODY,
    ONLY_ORGANISERS,
    SEGMENT,
    check_segment,
    may_send_privately,
    recipients,
    segment_note,
    segment_rows,
    sent_privately_note,
    with_segment,
)
from admin.poll_writers import LINK, answer_in_group, refusal, remember_group
from flows.codec import Payload, PayloadError, payload
from flows.context import Context
from flows.effects import Broadcast, Button
from flows.i18n import N_
from flows.onboarding.keyboards import followable_name
from flows.poll.closing import close_job
from flows.poll.facts import KIND_NAMES, rules_of
from flows.poll.kinds import FIXED_OPTIONS, ONE_TAP, PollKind
from flows.poll.live import group_translator
from flows.poll.message import poll_buttons, poll_text
from flows.poll.native import (
    OPTION_LIMIT,
    QUESTION_LIMIT,
    fits_native,
    native_poll,
    native_preview,
)
from flows.poll.private_copies import private_sends
from flows.poll.reminders import remind_job
from flows.poll.tally import tally
from flows.router import Router
from storage.models import Poll, PollAudience, PollStatus, Role
from storage.repositories.polls import post_batch

FLOW = "poll_wizard"
PREVIEW_HEADING = N_("This is how the poll will look in the groups:")
MAX_QUESTION = 300
MAX_OPTION = 100
MIN_OPTIONS = 2
MAX_OPTIONS = 10  # one button per option under a group message: more does not fit a phone
USE_BUTTONS = N_("Please use the buttons above, or /cancel.")
FIXED_AUDIENCE = N_("Polls by residents are voted by the members of the groups they are posted in.")


def register(router: Router) -> None:
    """Register /newpoll, its conversation and its buttons."""

    @router.command("newpoll", N_("Write a poll and post it in groups"), group=True)
    async def new_poll(ctx: Context, args: str) -> None:
        if ctx.event.chat.is_group:
            await answer_in_group(ctx)
            return
        # Refused here, not on Publish: a wizard whose poll can go nowhere wastes the writing.
        if (reason := await refusal(ctx)) is not None:
            ctx.say(reason)
            return
        await ctx.set_state(FLOW, "question")
        ctx.say(
            ctx.t(
                "Let's write a poll. What is the question? (up to {limit} characters; "
                "/cancel stops)",
                limit=MAX_QUESTION,
            )
        )

    @router.deep_link(LINK)
    async def new_poll_link(ctx: Context, argument: str) -> None:
        if argument:
            await remember_group(ctx, argument)
        await new_poll(ctx, "")

    @router.conversation(FLOW)
    async def typed(ctx: Context, text: str) -> None:
        if (reason := await refusal(ctx)) is not None:  # the right went while they wrote
            await ctx.clear_state()
            ctx.say(reason)
            return
        assert ctx.state is not None
        step, data = ctx.state.step, dict(ctx.state.data)
        text = text.strip()
        if step == "question":
            if _fits(ctx, text, MAX_QUESTION):
                await ctx.set_state(FLOW, "kind", {"question": text})
                _ask_kind(ctx)
        elif step == "options":
            await _add_options(ctx, data, text)
        else:
            ctx.say(ctx.t(USE_BUTTONS))

    @router.button("pw.kind")
    async def choose_kind(ctx: Context, value: Payload) -> None:
        data = _data(ctx, "kind")
        try:
            kind = PollKind(value.str_arg(0))
        except ValueError as exc:
            raise PayloadError("not a poll kind") from exc
        data["kind"] = kind.value
        ctx.show(ctx.t("Kind: {kind}", kind=ctx.t(KIND_NAMES[kind])))
        if kind in FIXED_OPTIONS:
            await _settings(ctx, {**data, "options": [], **new_settings(kind, 0)}, fresh=True)
            return
        await ctx.set_state(FLOW, "options", {**data, "options": []})
        prompt = (
            ctx.t("Send the time slots, one per message or one per line (for example Tue 18:00).")
            if kind is PollKind.MEETING_TIME
            else ctx.t("Send the options, one per message or one per line.")
        )
        ctx.say(
            prompt
            + " "
            + ctx.t(
                "{low} to {high}, each up to {limit} characters. Press Done when finished.",
                low=MIN_OPTIONS,
                high=MAX_OPTIONS,
                limit=MAX_OPTION,
            )
        )

    @router.button("pw.done")
    async def options_done(ctx: Context, value: Payload) -> None:
        data = _data(ctx, "options")
        if len(data["options"]) < MIN_OPTIONS:
            ctx.toast(ctx.t("Please send at least {count} options.", count=MIN_OPTIONS), alert=True)
            return
        kind = PollKind(data["kind"])
        await _settings(ctx, {**data, **new_settings(kind, len(data["options"]))}, fresh=True)

    @router.button("pw.set")
    async def change_setting(ctx: Context, value: Payload) -> None:
        data = _data(ctx, "settings")
        name = value.str_arg(0)
        if name == "aud" and not ctx.has_role(Role.ORGANISER):
            ctx.toast(ctx.t(FIXED_AUDIENCE), alert=True)
            return
        if name == "nat" and not is_native(data) and not _fits_native(data):
            ctx.toast(
                ctx.t(
                    "Telegram's own poll takes a question of up to {question} and options of "
                    "up to {option} characters, where an emoji may count as two. Please keep "
                    "the buttons, or write the poll again shorter.",
                    question=QUESTION_LIMIT,
                    option=OPTION_LIMIT,
                ),
                alert=True,
            )
            return
        offered = [item.id for item in await ctx.uow.followables.listed()]
        if not cycle(data, name, offered):
            raise PayloadError("no such setting for this poll")
        await _settings(ctx, data, fresh=False)

    @router.button("pw.preview")
    async def preview(ctx: Context, value: Payload) -> None:
        data = _data(ctx, "settings")
        await ctx.set_state(FLOW, "preview", data)
        ctx.show(ctx.t(PREVIEW_HEADING))
        say_preview(ctx, data)

    @router.button("pw.back")
    async def back(ctx: Context, value: Payload) -> None:
        await _settings(ctx, _data(ctx, "preview"), fresh=False)

    @router.button("pw.groups")
    async def groups(ctx: Context, value: Payload) -> None:
        data = _data(ctx, "preview")
        data["chats"], data["segment"] = [], None
        if not await still_allowed(ctx, data):
            return
        await ctx.set_state(FLOW, "groups", data)
        await _show_groups(ctx, data)

    @router.button(SEGMENT, min_role=Role.ORGANISER)
    async def toggle_segment(ctx: Context, value: Payload) -> None:
        data = _data(ctx, "groups")
        segment = value.int_arg(0)
        await check_segment(ctx, data, segment)
        data["segment"] = None if data.get("segment") == segment else segment
        await ctx.set_state(FLOW, "groups", data)
        await _show_groups(ctx, data)

    @router.button("pw.chat")
    async def toggle_group(ctx: Context, value: Payload) -> None:
        data = _data(ctx, "groups")
        chat_id = value.int_arg(0)
        if chat_id not in {chat.chat_id for chat in await postable_groups(ctx)}:
            raise PayloadError("not a group this poll may be posted in")
        chosen = list(data["chats"])
        data["chats"] = (
            [c for c in chosen if c != chat_id] if chat_id in chosen else [*chosen, chat_id]
        )
        await ctx.set_state(FLOW, "groups", data)
        await _show_groups(ctx, data)

    @router.button("pw.publish")
    async def publish(ctx: Context, value: Payload) -> None:
        data = _data(ctx, "groups")
        if not await still_allowed(ctx, data):
            return
        served = {chat.chat_id: chat for chat in await postable_groups(ctx)}
        chats = [chat_id for chat_id in data["chats"] if chat_id in served]
        segment: int | None = data.get("segment")
        if segment is not None and not may_send_privately(ctx, data):  # demoted meanwhile
            ctx.toast(ctx.t(ONLY_ORGANISERS), alert=True)
            return
        if not chats and segment is None:
            ctx.toast(ctx.t("Please choose at least one group."), alert=True)
            return
        people = await recipients(ctx, segment) if segment is not None else []
        if not chats and not people:
            ctx.toast(ctx.t(NOBODY), alert=True)
            return
        data = with_segment(data, segment)
        assert ctx.member is not None
        if not await _audience_still_there(ctx, data):
            ctx.toast(
                ctx.t("That topic or area is no longer offered. Please choose who votes again."),
                alert=True,
            )
            return
        poll = build_poll(data, ctx.member.id, ctx.now)
        poll.status = PollStatus.OPEN
        poll.opened_at = ctx.now
        await ctx.uow.polls.add(poll)
        if chats:
            await ctx.uow.polls.add_posts(poll.id, chats, ctx.now)
            ctx.effects.append(_group_copies(ctx, poll, chats))
        ctx.effects += private_sends(poll, people, ctx.config)
        if poll.closes_at is not None:
            ctx.effects.append(close_job(poll))
        if (reminder := remind_job(poll)) is not None:
            ctx.effects.append(reminder)
        details: dict[str, Any] = {"chats": chats}
        if segment is not None:
            details |= {"segment": segment, "recipients": len(people)}
        await ctx.uow.audit.record(
            ctx.member.id, "poll.publish", f"poll:{poll.id}", ctx.now, details
        )
        await ctx.clear_state()
        lines = []
        if chats:
            names = ", ".join(served[chat_id].title for chat_id in chats)
            lines.append(ctx.t("Poll {id} is posted in: {groups}.", id=poll.id, groups=names))
        if segment is not None:
            lines.append(await sent_privately_note(ctx, poll, segment, len(people)))
        lines.append(ctx.t("/polls shows it with its results and a Close button."))
        ctx.show("\n".join(lines))

    @router.button("pw.cancel")
    async def cancel(ctx: Context, value: Payload) -> None:
        if ctx.state is not None and ctx.state.flow == FLOW:
            await ctx.clear_state()
        ctx.show(ctx.t("Cancelled: nothing was posted."))


async def still_allowed(ctx: Context, data: dict[str, Any]) -> bool:
    """Whether the writer may still post the poll in `data`; if not, say so and return False.

    A resident's right can go while they write: an organiser switches a group off, they leave
    it, they are demoted. With no group left the wizard ends with the reason; a chosen group
    that no longer takes their poll is taken off the choice, which is shown again. Organisers
    always pass.
    """
    if ctx.has_role(Role.ORGANISER):
        return True
    if (reason := await refusal(ctx)) is not None:
        await ctx.clear_state()
        ctx.show(ctx.t("Your poll was not posted.") + " " + reason)
        return False
    allowed = {chat.chat_id for chat in await postable_groups(ctx)}
    chosen = list(data.get("chats", []))
    fixed = data["audience"] != PollAudience.GROUPS.value  # written before a demotion
    if not fixed and all(chat_id in allowed for chat_id in chosen):
        return True
    data["chats"] = [chat_id for chat_id in chosen if chat_id in allowed]
    data["audience"], data["followable"] = PollAudience.GROUPS.value, None
    await ctx.set_state(FLOW, "groups", data)
    ctx.toast(
        ctx.t(FIXED_AUDIENCE)
        if fixed
        else ctx.t("A group you chose no longer takes your poll, so it is off the list."),
        alert=True,
    )
    await _show_groups(ctx, data)
    return False


def _data(ctx: Context, step: str) -> dict[str, Any]:
    """The poll being written; a button of another step or an ended wizard is refused."""
    state = ctx.state
    if state is None or state.flow != FLOW or state.step != step:
        raise PayloadError("the wizard is not at this step")
    return dict(state.data)


def _fits(ctx: Context, text: str, limit: int) -> bool:
    """Whether a typed text is usable; if not, say why (the step is asked again)."""
    if not text:
        ctx.say(ctx.t("Please write some text, or /cancel."))
        return False
    if len(text) > limit:
        ctx.say(
            ctx.t(
                "That is {length} characters; the limit is {limit}. Please shorten it.",
                length=len(text),
                limit=limit,
            )
        )
        return False
    return True


def _ask_kind(ctx: Context) -> None:
    rows = tuple(
        (
            Button(
                ("✓ " if kind in ONE_TAP else "") + ctx.t(KIND_NAMES[kind]),
                payload("pw.kind", kind),
            ),
        )
        for kind in PollKind
    )
    ctx.say(
        ctx.t(
            "What kind of poll? Kinds marked ✓ are voted with one tap in the group; "
            "the others in a private chat with me."
        ),
        rows,
    )


async def _add_options(ctx: Context, data: dict[str, Any], text: str) -> None:
    options = list(data["options"])
    for line in (line.strip() for line in text.splitlines()):
        if not line:
            continue
        if not _fits(ctx, line, MAX_OPTION):
            return
        if line in options:
            ctx.say(ctx.t("You already have that option: {option}", option=line))
            return
        if len(options) >= MAX_OPTIONS:
            ctx.say(ctx.t("A poll has at most {count} options.", count=MAX_OPTIONS))
            break
        options.append(line)
    await ctx.set_state(FLOW, "options", {**data, "options": options})
    listing = "\n".join(f"{number}. {option}" for number, option in enumerate(options, 1))
    ctx.say(
        ctx.t("Options so far:") + "\n" + listing,
        ((Button(ctx.t("Done"), payload("pw.done")),),),
    )


async def _settings(ctx: Context, data: dict[str, Any], *, fresh: bool) -> None:
    await ctx.set_state(FLOW, "settings", data)
    text = "\n\n".join(
        [ctx.t("Settings. Tap a setting to change it, then Preview."), *settings_notes(ctx.t, data)]
    )
    topic = None
    if data.get("followable") is not None:
        item = await ctx.uow.followables.get(int(data["followable"]))
        topic = followable_name(item, ctx.language_for(ctx.member)) if item else None
    keyboard = settings_keyboard(ctx.t, data, topic)
    if fresh:
        ctx.say(text, keyboard)
    else:
        ctx.show(text, keyboard)


async def _audience_still_there(ctx: Context, data: dict[str, Any]) -> bool:
    """Whether the topic or area whose followers are to vote is still on offer."""
    if data["audience"] != PollAudience.FOLLOWERS.value:
        return True
    followable = data.get("followable")
    item = await ctx.uow.followables.get(int(followable)) if followable is not None else None
    return item is not None and not item.archived


def _fits_native(data: dict[str, Any]) -> bool:
    """Whether the question and options fit Telegram's own poll (it counts UTF-16 units)."""
    return fits_native(data["question"], data["options"])


def _group_copies(ctx: Context, poll: Poll, chats: list[int]) -> Broadcast:
    """The poll's copies for its groups: one outbox row per group."""
    t = group_translator(ctx.config)
    recipients = tuple((chat_id, None) for chat_id in chats)
    if poll.native is not None:
        # Telegram's own poll: the outbox sends it with sendPoll and keeps its poll id.
        native = native_poll(poll, t, ctx.config)
        return Broadcast(
            batch=post_batch(poll.id), recipients=recipients, text=poll.question, poll=native
        )
    return Broadcast(
        batch=post_batch(poll.id),
        recipients=recipients,
        text=poll_text(poll, tally(rules_of(poll), []), t, ctx.config),
        buttons=poll_buttons(poll, t, ctx.config),
    )


async def _show_groups(ctx: Context, data: dict[str, Any]) -> None:
    active = await postable_groups(ctx)
    privately = may_send_privately(ctx, data)
    if not active and not privately:
        ctx.show(ctx.t("I am not in any community group yet. An organiser can add me to one."))
        return
    rows: list[tuple[Button, ...]] = [
        (
            Button(
                ("✅ " if chat.chat_id in data["chats"] else "") + chat.title,
                payload("pw.chat", chat.chat_id),
            ),
        )
        for chat in active
    ]
    text = ctx.t("Which groups should it be posted in?")
    if not active:
        text = ctx.t("I am not in any community group yet, but you can send the poll privately.")
    if privately:
        rows += await segment_rows(ctx, data)
        text += "\n\n" + await segment_note(ctx, data)
    elif ctx.has_role(Role.ORGANISER):
        text += "\n\n" + ctx.t(NATIVE_IN_GROUPS)
    rows.append((Button(ctx.t("Publish"), payload("pw.publish")),))
    rows.append((Button(ctx.t("Cancel"), payload("pw.cancel")),))
    ctx.show(text, tuple(rows))


def say_preview(ctx: Context, data: dict[str, Any]) -> None:
    """Show the poll in `data` as the groups will see it, then ask whether to post it.

    The wizard's preview step and an uploaded poll file both end here, so what follows
    (choosing groups, publishing) is the same.
    """
    poll = build_poll(data, None, ctx.now)
    t = group_translator(ctx.config)
    if poll.native is not None:
        ctx.say(native_preview(native_poll(poll, t, ctx.config)))
    else:
        ctx.say(
            poll_text(poll, tally(rules_of(poll), []), t, ctx.config),
            poll_buttons(poll, t, ctx.config),
        )
    ctx.say(
        ctx.t("Post it?"),
        (
            (Button(ctx.t("Choose groups"), payload("pw.groups")),),
            (Button(ctx.t("Change settings"), payload("pw.back")),),
            (Button(ctx.t("Cancel"), payload("pw.cancel")),),
        ),
    )
