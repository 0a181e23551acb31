"""Voting under a group message: one tap, changes, forged and late taps, live results, closing."""

from __future__ import annotations

from sqlalchemy import select

from flows.codec import encode, payload
from storage.models import Member, MemberStatus, Poll, PollStatus, ScheduledJob
from tests.flows.harness import Harness, group, person, private, texts, toasts
from tests.flows.poll_support import (
    ELM,
    OAK,
    add_groups,
    ballots,
    edits,
    outbox,
    press,
    run_jobs,
    send_posts,
    vote,
    write_poll,
)
from tests.flows.test_account import onboard

BENCH = ("By the lake", "Near the playground", "Under the oak")


async def test_one_tap_votes_and_the_message_shows_it_a_few_seconds_later(
    harness: Harness,
) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "single", BENCH)
    [message_id] = (await send_posts(harness, poll_id)).values()
    ann, bo = person("Ann"), person("Bo")  # neither has ever started the bot
    assert await vote(harness, ann, poll_id, "o1") == "You voted: By the lake"
    assert await vote(harness, bo, poll_id, "o2") == "You voted: Near the playground"
    assert [b.choices for b in await ballots(harness)] == [["o1"], ["o2"]]
    assert edits(await run_jobs(harness, 0)) == []  # nothing edits before the slot ends
    [edit] = edits(await run_jobs(harness))
    assert (edit.chat_id, edit.message_id) == (ELM.chat_id, message_id)
    assert "2 votes" in edit.text and "1 (50%)" in edit.text
    assert [row[0].text for row in edit.buttons] == list(BENCH)
    assert edits(await run_jobs(harness)) == []  # no votes, no edits


async def test_a_vote_can_be_changed_or_withdrawn_when_allowed(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "single", BENCH)
    ann = person("Ann")
    await vote(harness, ann, poll_id, "o1")
    assert await vote(harness, ann, poll_id, "o3") == "You voted: Under the oak"
    assert [b.choices for b in await ballots(harness)] == [["o3"]]
    assert await vote(harness, ann, poll_id, "o3") == "Vote withdrawn."
    assert await ballots(harness) == []


async def test_without_changes_a_second_tap_changes_nothing(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "single", BENCH, settings=("chg",))
    ann = person("Ann")
    await vote(harness, ann, poll_id, "o1")
    for option in ("o2", "o1"):
        assert "does not allow changing" in await vote(harness, ann, poll_id, option)
    assert [b.choices for b in await ballots(harness)] == [["o1"]]


async def test_multiple_choice_toggles_up_to_its_maximum(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "multiple", BENCH)  # up to 2 by default
    ann = person("Ann")
    await vote(harness, ann, poll_id, "o3")
    assert await vote(harness, ann, poll_id, "o1") == "You voted: By the lake, Under the oak"
    assert "at most 2" in await vote(harness, ann, poll_id, "o2")
    assert await vote(harness, ann, poll_id, "o3") == "You voted: By the lake"
    assert [b.choices for b in await ballots(harness)] == [["o1"]]


async def test_forged_stale_and_misplaced_taps_change_nothing(harness: Harness) -> None:
    await add_groups(harness, ELM, OAK)
    poll_id = await write_poll(harness, "single", BENCH)  # posted in Elm only
    ann = person("Ann")
    forged = [
        payload("pl.v", poll_id, "o9"),  # no such option
        payload("pl.v", poll_id + 1, "o1"),  # no such poll
        payload("pl.v", poll_id),  # no option
        payload("pl.v", "x", "o1"),  # not a number
        payload("pl.v", 10**15, "o1"),  # beyond any id
    ]
    for data in forged:
        effects = await harness.press(ann, encode(data), chat=ELM)
        assert "no longer valid" in texts(effects)
    assert "no longer valid" in texts(
        await harness.press(ann, encode(payload("pl.v", poll_id, "o1")), chat=OAK)
    )
    assert "no longer valid" in texts(
        await harness.press(ann, encode(payload("pl.v", poll_id, "o1")), chat=private(ann))
    )
    assert "no longer valid" in texts(await harness.press(ann, "1:pl.v:1:o1:" + "9" * 80, chat=ELM))
    assert await ballots(harness) == []


async def test_taps_after_closing_change_nothing(harness: Harness) -> None:
    await add_groups(harness, ELM)
    by_hand = await write_poll(harness, "yes_no")
    by_deadline = await write_poll(harness, "yes_no", settings=("ddl",))  # an hour
    await press(harness, person("Olga", user_id=42), "pm.close", by_hand)
    ann = person("Ann")
    assert await vote(harness, ann, by_hand, "yes") == "This poll is closed."
    harness.clock.advance(hours=1)  # the deadline has passed; the job has not run yet
    assert await vote(harness, ann, by_deadline, "no") == "This poll is closed."
    assert await ballots(harness) == []


async def test_the_deadline_closes_the_poll_when_time_moves(harness: Harness) -> None:
    await add_groups(harness, ELM, OAK)
    poll_id = await write_poll(harness, "yes_no", settings=("ddl", "quo"), chats=(ELM, OAK))
    posted = await send_posts(harness, poll_id)
    for name in ("Ann", "Bo", "Cy"):
        await vote(harness, person(name), poll_id, "yes")
    await vote(harness, person("Di"), poll_id, "no", chat=OAK)
    await run_jobs(harness)
    delivered = await run_jobs(harness, 3600)
    final = edits(delivered)
    assert sorted((e.chat_id, e.message_id) for e in final) == sorted(posted.items())
    assert all("Voting has closed." in e.text and e.buttons == () for e in final)
    assert all("3 (75%)" in e.text for e in final)
    async with harness.database.unit_of_work() as uow:
        poll = await uow.polls.get(poll_id)
        assert poll is not None and poll.status is PollStatus.CLOSED
    outcomes = await outbox(harness, f"poll:{poll_id}:end")
    assert sorted(o["chat_id"] for o in outcomes) == sorted(posted)
    text = outcomes[0]["text"]
    assert "Result: Yes" in text and "4 people voted." in text
    assert "The quorum of 5 was not met" in text
    assert await vote(harness, person("Ed"), poll_id, "yes") == "This poll is closed."


async def test_one_poll_in_two_groups_takes_one_ballot_per_person(harness: Harness) -> None:
    await add_groups(harness, ELM, OAK)
    poll_id = await write_poll(harness, "single", BENCH, chats=(ELM, OAK))
    posted = await send_posts(harness, poll_id)
    ann = person("Ann")
    await vote(harness, ann, poll_id, "o1", chat=ELM)
    assert await vote(harness, ann, poll_id, "o2", chat=OAK) == "You voted: Near the playground"
    await vote(harness, person("Bo"), poll_id, "o2", chat=OAK)
    assert [b.choices for b in await ballots(harness)] == [["o2"], ["o2"]]
    copies = edits(await run_jobs(harness))
    assert sorted((e.chat_id, e.message_id) for e in copies) == sorted(posted.items())
    assert all("2 votes" in e.text and "2 (100%)" in e.text for e in copies)


async def test_many_votes_in_a_few_seconds_make_one_edit_per_copy(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "yes_no")
    await send_posts(harness, poll_id)
    for number in range(20):
        await vote(harness, person(f"P{number}"), poll_id, "yes" if number % 4 else "no")
        harness.clock.advance(seconds=0.1)
    async with harness.database.unit_of_work() as uow:
        jobs = (await uow.session.scalars(select(ScheduledJob))).all()
    assert len(jobs) <= 2  # one per five-second slot the votes fell in
    [edit] = edits(await run_jobs(harness, 10))
    assert "20 votes" in edit.text and "15 (75%)" in edit.text


async def test_a_copy_still_in_the_outbox_is_edited_once_it_has_gone_out(
    harness: Harness,
) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "yes_no")
    await vote(harness, person("Ann"), poll_id, "yes")
    assert edits(await run_jobs(harness)) == []
    await send_posts(harness, poll_id)
    [edit] = edits(await run_jobs(harness))
    assert "1 vote" in edit.text


async def test_results_after_closing_stay_hidden_until_then(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "yes_no", settings=("vis", "vis"))
    await send_posts(harness, poll_id)
    await vote(harness, person("Ann"), poll_id, "no")
    [edit] = edits(await run_jobs(harness))
    assert "1 vote" in edit.text and "(100%)" not in edit.text
    assert "Results are shown when voting closes." in edit.text
    closing = await press(harness, person("Olga", user_id=42), "pm.close", poll_id)
    [final] = [e for e in edits(closing) if e.chat_id == ELM.chat_id]
    assert "1 (100%)" in final.text and final.buttons == ()


async def test_after_vote_visibility_shows_the_voter_the_count(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "yes_no", settings=("vis",))
    await vote(harness, person("Ann"), poll_id, "no")
    toast = await vote(harness, person("Bo"), poll_id, "yes")
    assert toast == "You voted: Yes\nYes 1 · No 1 · Abstain 0"


async def test_identified_ballots_name_a_member_and_keep_no_more_than_before_consent(
    harness: Harness,
) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "yes_no")
    ann = person("Ann")  # never started the bot
    await vote(harness, ann, poll_id, "yes")
    async with harness.database.unit_of_work() as uow:
        member = await uow.members.get_by_telegram_id(ann.user_id)
    assert member is not None and member.status is MemberStatus.ONBOARDING
    assert (member.first_name, member.username) == (None, None)
    [ballot] = await ballots(harness)
    assert (ballot.voter, ballot.member_id) == (f"m:{member.id}", member.id)
    # Later she starts the bot: onboarding goes on as for anyone.
    welcome = await harness.command(ann, "start")
    assert "English" in str(welcome)


async def test_a_consented_voter_is_recorded_in_the_group(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "yes_no")
    ann = person("Ann")
    await onboard(harness, ann)
    await vote(harness, ann, poll_id, "yes")
    async with harness.database.unit_of_work() as uow:
        member = await uow.session.scalar(select(Member).where(Member.telegram_id == ann.user_id))
        assert member is not None
        assert list(await uow.chats.member_chat_ids(member.id)) == [ELM.chat_id]


async def test_a_poll_in_another_group_is_not_reachable_from_here(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "yes_no")
    stranger_group = group(-100999, "Elsewhere")
    effects = await harness.press(
        person("Zed"), encode(payload("pl.v", poll_id, "yes")), chat=stranger_group
    )
    assert toasts(effects) and "no longer valid" in toasts(effects)[0].text
    async with harness.database.unit_of_work() as uow:
        assert (await uow.session.scalars(select(Poll))).first() is not None
    assert await ballots(harness) == []


async def test_a_deadline_missed_while_the_bot_was_down_still_closes_the_poll(
    harness: Harness,
) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "yes_no", settings=("ddl",))  # an hour
    await send_posts(harness, poll_id)
    await vote(harness, person("Ann"), poll_id, "no")
    harness.restart()
    delivered = await run_jobs(harness, 3 * 24 * 3600)
    final = edits(delivered)[-1]  # the vote's refresh was overdue too; whichever runs last
    assert "Voting has closed." in final.text and "1 (100%)" in final.text
    [outcome] = await outbox(harness, f"poll:{poll_id}:end")
    assert "Result: No" in outcome["text"]


async def test_a_voter_who_declines_consent_leaves_a_ballot_that_names_no_one(
    harness: Harness,
) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "yes_no")
    ann = person("Ann")
    await vote(harness, ann, poll_id, "yes")
    welcome = await harness.command(ann, "start")
    await harness.tap(ann, welcome, "English")
    await harness.press(ann, encode(payload("consent", "no")))
    async with harness.database.unit_of_work() as uow:
        assert await uow.members.get_by_telegram_id(ann.user_id) is None
    [ballot] = await ballots(harness)
    assert ballot.member_id is None and ballot.choices == ["yes"]


async def test_forget_keeps_the_vote_but_not_the_person(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "yes_no")
    ann = person("Annika")
    await onboard(harness, ann)
    await vote(harness, ann, poll_id, "no")
    asked = await harness.command(ann, "forget")
    await harness.tap(ann, asked, "Yes, erase everything")
    [ballot] = await ballots(harness)
    assert ballot.choices == ["no"]
    async with harness.database.unit_of_work() as uow:
        member = await uow.session.get(Member, ballot.member_id)
    assert member is not None and member.status is MemberStatus.ERASED
    assert (member.telegram_id, member.first_name) == (None, None)
