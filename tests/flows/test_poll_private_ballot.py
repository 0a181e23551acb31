"""Score, dot vote, ranked choice and meeting time: voted in the private chat, then confirmed."""

from __future__ import annotations

from flows.codec import encode, payload
from flows.effects import SendMessage
from flows.events import Person
from tests.flows.harness import Harness, person, texts, toasts
from tests.flows.poll_support import (
    ELM,
    add_groups,
    ballots,
    edits,
    press,
    run_jobs,
    send_posts,
    write_poll,
)
from tests.flows.test_account import onboard

SLOTS = ("Tue 18:00", "Wed 19:00", "Sat 10:00")


async def open_ballot(harness: Harness, who: Person, poll_id: int) -> str:
    """Tap Vote under the group message; return the ballot sent to the private chat."""
    effects = await harness.press(who, encode(payload("pl.go", poll_id)), chat=ELM)
    assert "sent you the ballot" in toasts(effects)[0].text
    [ballot] = [e for e in effects if isinstance(e, SendMessage) and e.chat_id == who.user_id]
    return ballot.text


async def member(harness: Harness, name: str) -> Person:
    who = person(name)
    await onboard(harness, who)
    return who


async def test_a_score_ballot_is_filled_in_and_confirmed(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "score", ("Lake", "Oak", "Gate"))
    await send_posts(harness, poll_id)
    ann = await member(harness, "Ann")
    assert "score from 0" in await open_ballot(harness, ann, poll_id)
    await press(harness, ann, "pl.b", poll_id, "o1", 5)
    shown = await press(harness, ann, "pl.b", poll_id, "o3", 2)
    assert "1. Lake: 5" in texts(shown) and "3. Gate: 2" in texts(shown)
    assert await ballots(harness) == []  # nothing stored before Confirm
    done = await press(harness, ann, "pl.c", poll_id)
    assert "Your vote is recorded" in texts(done)
    assert [b.choices for b in await ballots(harness)] == [{"o1": 5, "o2": 0, "o3": 2}]
    [edit] = edits(await run_jobs(harness))
    assert "5 points, mean 5.0" in edit.text and "1 vote" in edit.text


async def test_a_dot_vote_spends_at_most_its_points(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "dot_vote", ("Lake", "Oak"), settings=("pts", "pts"))
    ann = await member(harness, "Ann")
    assert "up to 5 points" in await open_ballot(harness, ann, poll_id)
    incomplete = await press(harness, ann, "pl.c", poll_id)
    assert "not complete" in texts(incomplete)
    for _ in range(4):
        await press(harness, ann, "pl.b", poll_id, "o2", "up")
    for _ in range(3):
        shown = await press(harness, ann, "pl.b", poll_id, "o1", "up")
    assert "0 points left." in texts(shown) and "Lake: 1" in texts(shown)
    await press(harness, ann, "pl.b", poll_id, "o2", "dn")
    await press(harness, ann, "pl.c", poll_id)
    assert [b.choices for b in await ballots(harness)] == [{"o1": 1, "o2": 3}]


async def test_a_ranking_is_tapped_in_order_and_can_start_over(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "ranked", ("Lake", "Oak", "Gate"))
    ann = await member(harness, "Ann")
    await open_ballot(harness, ann, poll_id)
    await press(harness, ann, "pl.b", poll_id, "o2", "r")
    await press(harness, ann, "pl.b", poll_id, "_", "x")
    await press(harness, ann, "pl.b", poll_id, "o3", "r")
    shown = await press(harness, ann, "pl.b", poll_id, "o1", "r")
    assert "1. Gate\n2. Lake" in texts(shown)
    await press(harness, ann, "pl.c", poll_id)
    assert [b.choices for b in await ballots(harness)] == [["o3", "o1"]]


async def test_meeting_times_take_yes_maybe_or_no_per_slot(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "meeting_time", SLOTS)
    ann = await member(harness, "Ann")
    await open_ballot(harness, ann, poll_id)
    await press(harness, ann, "pl.b", poll_id, "o1", "yes")
    await press(harness, ann, "pl.b", poll_id, "o3", "maybe")
    await press(harness, ann, "pl.c", poll_id)
    assert [b.choices for b in await ballots(harness)] == [{"o1": "yes", "o2": "no", "o3": "maybe"}]


async def test_people_who_never_started_the_bot_are_sent_to_the_private_chat(
    harness: Harness,
) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "score", ("Lake", "Oak"))
    stranger = person("Zed")
    effects = await harness.press(stranger, encode(payload("pl.go", poll_id)), chat=ELM)
    assert toasts(effects)[0].alert and "press Start" in toasts(effects)[0].text
    # The link: onboarding first, then the poll; the bot has not seen Zed in the group yet.
    welcome = await harness.command(stranger, "start", f"poll-{poll_id}")
    await harness.tap(stranger, welcome, "English")
    done = await harness.press(stranger, encode(payload("consent", "yes")))
    assert "now tap Vote under the poll in the group" in texts(done)
    assert "score from 0" in await open_ballot(harness, stranger, poll_id)


async def test_a_poll_for_its_groups_is_refused_to_others_and_late_presses_do_nothing(
    harness: Harness,
) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "score", ("Lake", "Oak"))
    ann = await member(harness, "Ann")
    refused = await harness.command(ann, "start", f"poll-{poll_id}")
    assert "tap Vote under the poll in the group" in texts(refused)
    await open_ballot(harness, ann, poll_id)
    assert "no longer valid" in texts(await press(harness, ann, "pl.b", poll_id, "o1", 9))
    assert "no longer valid" in texts(await press(harness, ann, "pl.b", poll_id, "o7", 1))
    assert "no longer valid" in texts(await press(harness, ann, "pl.c", poll_id + 1))
    await press(harness, person("Olga", user_id=42), "pm.close", poll_id)
    late = await press(harness, ann, "pl.c", poll_id)
    assert "This poll is closed." in texts(late)
    assert await ballots(harness) == []


async def test_without_changes_a_confirmed_ballot_stays(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "ranked", ("Lake", "Oak"), settings=("chg",))
    ann = await member(harness, "Ann")
    await open_ballot(harness, ann, poll_id)
    await press(harness, ann, "pl.b", poll_id, "o2", "r")
    await press(harness, ann, "pl.c", poll_id)
    again = await harness.press(ann, encode(payload("pl.go", poll_id)), chat=ELM)
    assert "does not allow changing" in texts(again)
    assert [b.choices for b in await ballots(harness)] == [["o2"]]


async def test_a_poll_for_everyone_opens_straight_from_the_link(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "meeting_time", SLOTS, settings=("aud",))
    ann = await member(harness, "Ann")
    shown = await harness.command(ann, "start", f"poll-{poll_id}")
    assert "tap whether you can come" in texts(shown)
    await press(harness, ann, "pl.b", poll_id, "o2", "yes")
    await press(harness, ann, "pl.c", poll_id)
    assert [b.choices for b in await ballots(harness)] == [{"o1": "no", "o2": "yes", "o3": "no"}]
    one_tap = await write_poll(harness, "yes_no")
    assert "buttons under the poll" in texts(await harness.command(ann, "start", f"poll-{one_tap}"))
    assert "not valid" in texts(await harness.command(ann, "start", "poll-x1"))
