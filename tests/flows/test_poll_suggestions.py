"""Residents suggest options; moderators approve or reject; the poll and its copies follow."""

from __future__ import annotations

import json

from sqlalchemy import select

from flows.codec import encode
from flows.effects import Effect, SendDocument, SendMessage
from flows.events import Person
from storage.models import PollSuggestion, Role, SuggestionStatus
from tests.flows.harness import Harness, find_button, person, texts, toasts
from tests.flows.poll_support import (
    ELM,
    ORGANISER_ID,
    add_groups,
    edits,
    organiser,
    outbox,
    press,
    run_jobs,
    send_posts,
    vote,
    write_poll,
)
from tests.flows.test_account import onboard
from tests.flows.test_poll_manage import moderator, set_role

BENCH = ("By the lake", "Near the playground", "Under the oak")


async def suggestions(harness: Harness) -> list[PollSuggestion]:
    async with harness.database.unit_of_work() as uow:
        statement = select(PollSuggestion).order_by(PollSuggestion.id)
        return list((await uow.session.scalars(statement)).all())


async def options_of(harness: Harness, poll_id: int) -> list[str]:
    async with harness.database.unit_of_work() as uow:
        poll = await uow.polls.get(poll_id)
        assert poll is not None
        return [option["text"] for option in poll.options]


def sent_to(effects: list[Effect], who: Person) -> list[SendMessage]:
    return [e for e in effects if isinstance(e, SendMessage) and e.chat_id == who.user_id]


async def suggest(harness: Harness, who: Person, poll_id: int, text: str) -> list[Effect]:
    await harness.command(who, "start", f"pollsug-{poll_id}")
    return await harness.text(who, text)


async def test_a_suggestion_is_approved_added_to_every_copy_and_the_resident_told(
    harness: Harness,
) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "single", BENCH, settings=("sug",))
    [message] = await outbox(harness, f"poll:{poll_id}")
    [link] = message["buttons"][-1]
    assert link["text"] == "💡 Suggest an option"
    assert link["url"] == f"https://t.me/townsquare_test_bot?start=pollsug-{poll_id}"
    await send_posts(harness, poll_id)
    mo = await moderator(harness)
    ann = person("Ann")
    await onboard(harness, ann)

    asked = await harness.command(ann, "start", f"pollsug-{poll_id}")
    assert "What option would you add to the poll “Where should the new bench go?”" in texts(asked)
    sent = await harness.text(ann, "  By the   fountain ")
    assert "A moderator will look at your suggestion" in texts(sent_to(sent, ann))
    [to_mo] = sent_to(sent, mo)
    [to_olga] = sent_to(sent, organiser())
    assert to_mo.text.startswith(f"Ann suggests a new option for poll {poll_id}")
    assert "“By the fountain”" in to_mo.text and to_olga.buttons == to_mo.buttons

    again = await harness.command(ann, "start", f"pollsug-{poll_id}")
    assert "You already suggested “By the fountain” for this poll" in texts(again)

    approved = await harness.tap(mo, [to_mo], "Approve")
    assert "Approved: “By the fountain” is an option of poll" in texts(approved)
    [told] = sent_to(approved, ann)
    assert told.text.startswith("Good news: your suggestion “By the fountain” was added")
    assert await options_of(harness, poll_id) == [*BENCH, "By the fountain"]
    late = await harness.tap(organiser(), [to_olga], "Approve")
    assert "Another moderator has already decided." in texts(late)
    assert await options_of(harness, poll_id) == [*BENCH, "By the fountain"]

    [copy] = edits(await run_jobs(harness))
    labels = [row[0].text for row in copy.buttons]
    assert labels == [*BENCH, "By the fountain", "💡 Suggest an option"]
    assert await vote(harness, person("Bo"), poll_id, "o4") == "You voted: By the fountain"
    [suggestion] = await suggestions(harness)
    assert suggestion.status is SuggestionStatus.APPROVED


async def test_a_rejected_suggestion_is_told_and_another_may_follow(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "approval", BENCH, settings=("sug",))
    mo = await moderator(harness)
    ann = person("Ann")
    await onboard(harness, ann)
    sent = await suggest(harness, ann, poll_id, "On the roof")
    rejected = await harness.tap(mo, sent_to(sent, mo), "Reject")
    assert "Rejected: “On the roof” was not added" in texts(rejected)
    [told] = sent_to(rejected, ann)
    assert "was not added" in told.text
    assert await options_of(harness, poll_id) == list(BENCH)
    second = await suggest(harness, ann, poll_id, "By the gate")
    assert sent_to(second, mo)  # a new suggestion once the first was decided
    assert [s.status for s in await suggestions(harness)] == [
        SuggestionStatus.REJECTED,
        SuggestionStatus.PENDING,
    ]


async def test_bad_suggestions_are_asked_again_or_refused(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "single", BENCH, settings=("sug",))
    ann = person("Ann")
    await onboard(harness, ann)
    await harness.command(ann, "start", f"pollsug-{poll_id}")
    for typed, answer in (
        ("   ", "Please write your suggestion as text, or /cancel."),
        ("x" * 101, "That is 101 characters; the limit is 100."),
        ("by the LAKE", "The poll already has that option: by the LAKE"),
    ):
        assert texts(await harness.text(ann, typed)).startswith(answer)
    await harness.command(ann, "cancel")
    assert await suggestions(harness) == []

    for link in ("pollsug-999", "pollsug-x", "pollsug-" + "9" * 20):
        assert "not valid" in texts(await harness.command(ann, "start", link))
    plain = await write_poll(harness, "single", BENCH)  # suggestions off
    refused = await harness.command(ann, "start", f"pollsug-{plain}")
    assert "doesn't take suggestions" in texts(refused)
    await harness.command(ann, "start", f"pollsug-{poll_id}")
    await press(harness, organiser(), "pm.close", poll_id)  # closed while she types
    assert "doesn't take suggestions" in texts(await harness.text(ann, "By the gate"))
    assert await suggestions(harness) == []


async def test_only_moderators_decide_and_only_in_the_private_chat(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "single", BENCH, settings=("sug",))
    ann, bo = person("Ann"), person("Bo")
    await onboard(harness, ann)
    await onboard(harness, bo)
    sent = await suggest(harness, ann, poll_id, "By the fountain")
    button = find_button(sent_to(sent, organiser()), "Approve")
    assert button.payload is not None
    refused = await harness.press(bo, encode(button.payload))
    assert toasts(refused)[0].alert and "only for organisers and moderators" in texts(refused)
    in_group = await harness.press(organiser(), encode(button.payload), chat=ELM)
    assert "no longer valid" in texts(in_group)
    assert "no longer valid" in texts(await press(harness, organiser(), "ps.ok", 10**12))
    assert "no longer valid" in texts(await press(harness, organiser(), "ps.no", "x"))
    [suggestion] = await suggestions(harness)
    assert suggestion.status is SuggestionStatus.PENDING
    assert await options_of(harness, poll_id) == list(BENCH)

    # Deleting the poll takes its suggestions; a decision afterwards finds nothing.
    await send_posts(harness, poll_id)
    await press(harness, organiser(), "pm.del1", poll_id)
    assert await suggestions(harness) == []
    assert "no longer valid" in texts(await harness.press(organiser(), encode(button.payload)))


async def test_the_card_switches_suggestions_on_and_off(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "multiple", BENCH)
    await send_posts(harness, poll_id)
    olga = organiser()
    cards = await harness.command(olga, "polls")
    switched = await harness.tap(olga, cards, "Residents suggest options: off")
    assert "Residents suggest options: on" in str(switched)
    [copy] = edits(await run_jobs(harness))
    assert copy.buttons[-1][0].text == "💡 Suggest an option"
    mo = await moderator(harness)
    refused = await press(harness, mo, "pm.sug", poll_id)
    assert toasts(refused)[0].alert
    yes_no = await write_poll(harness, "yes_no")
    assert "no longer valid" in texts(await press(harness, olga, "pm.sug", yes_no))
    await press(harness, olga, "pm.sug", poll_id)
    [copy] = edits(await run_jobs(harness))
    assert [row[0].text for row in copy.buttons] == list(BENCH)


async def test_suggestions_are_in_mydata_and_forget_drops_pending_ones(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "single", BENCH, settings=("sug",))
    other = await write_poll(harness, "single", BENCH, settings=("sug",))
    mo = await moderator(harness)
    ann = person("Ann")
    await onboard(harness, ann)
    sent = await suggest(harness, ann, poll_id, "By the fountain")
    await harness.tap(mo, sent_to(sent, mo), "Approve")
    await suggest(harness, ann, other, "On the roof")
    exported = await harness.command(ann, "mydata")
    document = next(e for e in exported if isinstance(e, SendDocument))
    mine = json.loads(document.content)["poll_suggestions"]
    assert [(s["option"], s["status"]) for s in mine] == [
        ("By the fountain", "approved"),
        ("On the roof", "pending"),
    ]
    confirm = await harness.command(ann, "forget")
    await harness.tap(ann, confirm, "Yes, erase everything")
    [left] = await suggestions(harness)
    assert (left.text, left.member_id) == ("By the fountain", None)
    assert await options_of(harness, poll_id) == [*BENCH, "By the fountain"]


async def test_a_moderator_demoted_cannot_decide(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "single", BENCH, settings=("sug",))
    mo = await moderator(harness)
    ann = person("Ann")
    await onboard(harness, ann)
    sent = await suggest(harness, ann, poll_id, "By the fountain")
    await set_role(harness, mo, Role.RESIDENT)
    refused = await harness.tap(mo, sent_to(sent, mo), "Approve")
    assert "only for organisers and moderators" in texts(refused)
    assert await options_of(harness, poll_id) == list(BENCH)
    assert ORGANISER_ID in {e.chat_id for e in sent if isinstance(e, SendMessage)}


async def test_the_database_keeps_one_pending_suggestion_per_person_and_poll(
    harness: Harness,
) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "single", BENCH, settings=("sug",))
    ann = person("Ann")
    await onboard(harness, ann)
    now = harness.clock.now()
    async with harness.database.unit_of_work() as uow:
        member = await uow.members.get_by_telegram_id(ann.user_id)
        assert member is not None
        first = await uow.suggestions.add(poll_id, member.id, "By the gate", now)
        # What a second instance taking her second message at the same moment would do.
        assert await uow.suggestions.add(poll_id, member.id, "On the roof", now) is None
        assert first is not None
        first.status = SuggestionStatus.REJECTED
        await uow.flush()
        assert await uow.suggestions.add(poll_id, member.id, "On the roof", now) is not None
        await uow.commit()
    assert [s.text for s in await suggestions(harness)] == ["By the gate", "On the roof"]
