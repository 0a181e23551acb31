"""Every kind of poll end to end through the real front ends, and what issue 5 asks besides.

Each kind is written by an organiser (with /newpoll or as a poll file), posted in a group and
voted by several people at once: one-tap kinds under the group message, the others in the
private ballot. The group message must show the right live figures and closing the right
outcome. Then: changing a vote (one tap and private ballot), an anonymous poll whose rows and
CSV hold no identity, one poll in two groups, a deadline reached when time moves, and forged
and late presses. Everything is asserted as a person sees it (messages, buttons, notices), the
database only where the user cannot look (ballot rows, privacy).
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.emulator import ChatMessage, Group, RunningEmulator, World
from storage.db import Database
from storage.models import Ballot
from tests.bot_process import BotProcess
from tests.conftest import FakeClock
from tests.scenarios.conftest import OWNER_ID, RunningBot
from tests.scenarios.people import (
    Person,
    answer_of,
    labels,
    member_row,
    next_in,
    onboard,
    text_of,
    traces_of,
)
from tests.scenarios.test_poll_suggestions import upload_and_publish
from tests.scenarios.test_polls import publish

EDIT_WAIT = 20.0  # a refresh is due at the end of a 5-second slot, then the scheduler ticks
INVALID = "This button is no longer valid. Please use the latest message."
CLOSED = "This poll is closed."
RECORDED = "Thank you! Your vote is recorded."
SENT = "I've sent you the ballot in our private chat."


@pytest.fixture
def bot_settings(bot_settings: Settings) -> Settings:
    # The scheduler runs the coalesced refreshes and the closing job; ticking often and
    # one-second refresh slots keep the scenarios short.
    return bot_settings.model_copy(
        update={"scheduler_tick_seconds": 0.2, "poll_refresh_seconds": 1}
    )


# --- People, groups and what they see ---------------------------------------------------------


async def community(
    world: World, voters: int, *, started: bool, others: Sequence[Person] = ()
) -> tuple[Person, list[Person], Group]:
    """The owner, `voters` residents (who started the bot or not) and a group with the bot.

    `others` are more members of the group, who never started the bot.
    """
    owner = Person(world, world.user("Olga", user_id=OWNER_ID, username="olga"))
    await onboard(owner, follow=[])
    people = [Person(world, world.user(f"Voter{n}", username=f"voter{n}")) for n in range(voters)]
    if started:
        await asyncio.gather(*(onboard(person, follow=[]) for person in people))
    members = [p.user for p in [*people, *others]]
    group = world.group("Elm Street", admins=[owner.user], members=members)
    await world.add_bot(group, by=owner.user)
    await next_in(world, group)  # the greeting
    return owner, people, group


async def shown_with(
    world: World, group: Group, votes: int, showing: Mapping[str, str] | None = None
) -> ChatMessage:
    """The group message once it counts `votes` votes (after the coalesced refresh).

    With `showing` (option -> figures), the message that also shows those figures: a voter's
    taps may fall in different refresh slots, so a refresh may show the right number of
    voters before their last tap.
    """
    line = f"{votes} vote" if votes == 1 else f"{votes} votes"

    def shown(message: ChatMessage) -> bool:
        if line not in (message.text or "").splitlines():
            return False
        if showing is None:
            return True
        try:
            now = figures(message)
        except AssertionError:  # not a message with figures
            return False
        return all(now.get(option) == value for option, value in showing.items())

    [message] = await world.wait_for(group, shown, timeout=EDIT_WAIT)
    return message


def figures(message: ChatMessage) -> dict[str, str]:
    """Option -> its figures as the group message shows them (the bar left out)."""
    lines = text_of(message).splitlines()[3:]
    shown: dict[str, str] = {}
    for label, bar_line in zip(lines[0::2], lines[1::2], strict=False):
        if not label:
            break
        bar, _, numbers = bar_line.partition(" ")
        assert set(bar) <= {"█", "░"} and len(bar) == 10, bar_line
        shown[label] = numbers
    return shown


def bar_of(message: ChatMessage, label: str) -> str:
    """The text bar under an option in the group message."""
    lines = text_of(message).splitlines()
    return lines[lines.index(label, 3) + 1].partition(" ")[0]


async def close_from_card(owner: Person) -> None:
    card = await owner.ask("/polls")
    await owner.tap(card, "Close")
    assert owner.toast is not None and (owner.toast.text or "").startswith("Closed.")


async def final_and_outcome(world: World, group: Group) -> tuple[ChatMessage, str]:
    """The poll message edited to its final state and the outcome posted in the group.

    The two are separate messages and may arrive in either order.
    """

    def closing(message: ChatMessage) -> bool:
        text = message.text or ""
        return "Voting has closed." in text or text.startswith("The poll has closed")

    seen = await world.wait_for(group, closing, count=2, timeout=EDIT_WAIT)
    [final] = [m for m in seen if "Voting has closed." in (m.text or "")]
    [outcome] = [m for m in seen if m is not final]
    assert final.buttons == ()
    return final, text_of(outcome)


def data_of(message: ChatMessage, label: str) -> str:
    """The data of a button as the message had it when sent (a closed poll has none left)."""
    [data] = [b.callback_data for b in message.flat_buttons if b.text == label]
    assert data is not None
    return data


async def tap_data(person: Person, message: ChatMessage, data: str) -> ChatMessage:
    """Press a button by its data (labels repeat on some ballots); return the edited ballot."""
    callback = await person.world.press(person.user, message, None, data)
    shown = await person.next_message()
    person.toast = await answer_of(person.world, callback)
    return shown


async def results_of(owner: Person, poll_id: int = 1) -> tuple[str, list[list[str]]]:
    """/pollresults as the organiser reads it: the text and the CSV's rows (header first)."""
    text = text_of(await owner.ask(f"/pollresults {poll_id}"))
    await owner.next_message()  # the chart
    document = await owner.next_message()
    assert document.document is not None
    assert document.document["file_name"] == f"poll-{poll_id}.csv"
    content = owner.world.file_by_id(document.document["file_id"]).data
    return text, list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


async def ballot_count(database: Database) -> int:
    async with database.unit_of_work() as uow:
        return len((await uow.session.scalars(select(Ballot))).all())


# --- One-tap kinds ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OneTapCase:
    """A one-tap kind: how it is written, the taps of five voters and what the group sees."""

    name: str
    file: bytes | None  # a poll file; None: written with /newpoll
    wizard_kind: str
    options: str | None
    buttons: tuple[str, ...]
    taps: tuple[tuple[str, ...], ...]
    shown: dict[str, str]
    result: str


ONE_TAP_CASES = (
    OneTapCase(
        "single",
        b"poll:\n  question: Where should the bench go?\n  kind: single\n"
        b"  options: [By the lake, Near the playground, Under the oak]\n",
        "",
        None,
        ("By the lake", "Near the playground", "Under the oak"),
        (
            ("By the lake",),
            ("Under the oak",),
            ("Under the oak",),
            ("Near the playground",),
            ("Under the oak",),
        ),
        {"By the lake": "1 (20%)", "Near the playground": "1 (20%)", "Under the oak": "3 (60%)"},
        "Under the oak",
    ),
    OneTapCase(
        "multiple",
        None,
        "✓ Multiple choice",
        "Green\nBlue\nWhite",
        ("Green", "Blue", "White"),
        (("Green", "Blue"), ("Green",), ("White", "Green"), ("Blue",), ("Green",)),
        {"Green": "4 (80%)", "Blue": "2 (40%)", "White": "1 (20%)"},
        "Green",
    ),
    OneTapCase(
        "approval",
        b"poll:\n  question: Which stalls may come to the fair?\n  kind: approval\n"
        b"  options: [Food, Books, Games]\n",
        "",
        None,
        ("Food", "Books", "Games"),
        (("Food", "Books", "Games"), ("Books",), ("Books", "Games"), ("Food", "Books"), ("Games",)),
        {"Food": "2 (40%)", "Books": "4 (80%)", "Games": "3 (60%)"},
        "Books",
    ),
    OneTapCase(
        "yes_no",
        None,
        "✓ Yes / no / abstain",
        None,
        ("Yes", "No", "Abstain"),
        (("Yes",), ("Yes",), ("No",), ("Abstain",), ("Yes",)),
        {"Yes": "3 (60%)", "No": "1 (20%)", "Abstain": "1 (20%)"},
        "Yes",
    ),
    OneTapCase(
        "sense_check",
        b"poll:\n  question: Close Elm Street for the market?\n  kind: sense_check\n",
        "",
        None,
        ("Looks good", "Not sure", "Concerned"),
        (("Looks good",), ("Concerned",), ("Concerned",), ("Not sure",), ("Concerned",)),
        {"Looks good": "1 (20%)", "Not sure": "1 (20%)", "Concerned": "3 (60%)"},
        "Concerned",
    ),
)


async def post_case(owner: Person, group: Group, case: OneTapCase | PrivateCase) -> None:
    """Post the case's poll in the group: from its poll file, or written with /newpoll."""
    if case.file is not None:
        await upload_and_publish(owner, group, f"{case.name}.yaml", case.file)
    else:
        await publish(
            owner, group, f"Poll {case.name}?", kind=case.wizard_kind, options=case.options
        )


@pytest.mark.parametrize("case", ONE_TAP_CASES, ids=[c.name for c in ONE_TAP_CASES])
async def test_a_one_tap_kind_is_voted_at_once_under_the_group_message_and_closed(
    running_bot: RunningBot, database: Database, case: OneTapCase
) -> None:
    world = running_bot.world
    owner, voters, group = await community(world, 5, started=False)
    await post_case(owner, group, case)
    poll = await next_in(world, group)
    assert labels(poll) == list(case.buttons)

    async def vote(voter: Person, choices: Sequence[str]) -> list[str | None]:
        return [(await voter.press(poll, choice)).text for choice in choices]

    toasts = await asyncio.gather(
        *(vote(voter, taps) for voter, taps in zip(voters, case.taps, strict=True))
    )
    for voter_toasts, taps in zip(toasts, case.taps, strict=True):
        last = voter_toasts[-1] or ""
        assert last.startswith("You voted: ") and all(t in last for t in taps), voter_toasts
    if case.name == "multiple":  # up to 2 by default: a third is refused and changes nothing
        refused = await voters[0].press(poll, "White")
        assert refused.text == "You can pick at most 2."

    shown = await shown_with(world, group, 5, case.shown)
    assert figures(shown) == case.shown
    leading = int(case.shown[case.result].split()[0])
    assert bar_of(shown, case.result) == "█" * (2 * leading) + "░" * (10 - 2 * leading)
    assert await ballot_count(database) == 5

    await close_from_card(owner)
    final, outcome = await final_and_outcome(world, group)
    assert figures(final) == case.shown
    assert f"Result: {case.result}" in outcome.splitlines()
    assert "5 people voted." in outcome
    late = await voters[1].press(poll, data=data_of(poll, case.buttons[0]))
    assert late.text == CLOSED


# --- Private-ballot kinds ---------------------------------------------------------------------


async def open_ballot(voter: Person, poll: ChatMessage) -> ChatMessage:
    """Press Vote under the group message; return the ballot sent to the private chat."""
    answer = await voter.press(poll, "Vote")
    assert answer.text == SENT
    return await voter.next_message()


async def confirm(voter: Person, ballot: ChatMessage) -> ChatMessage:
    done = await voter.tap(ballot, "Confirm")
    assert voter.toast is not None and voter.toast.text == RECORDED
    assert text_of(done).endswith(RECORDED)
    assert done.buttons == ()
    return done


async def score_ballot(voter: Person, ballot: ChatMessage, scores: Sequence[int]) -> ChatMessage:
    for number, score in enumerate(scores, start=1):
        if score:  # 0 is the blank ballot's value already
            ballot = await voter.tap(ballot, f"{number}: {score}")
    return ballot


async def dot_ballot(voter: Person, ballot: ChatMessage, points: dict[str, int]) -> ChatMessage:
    for option, count in points.items():
        for _ in range(count):
            ballot = await voter.tap(ballot, f"+ {option}")
    return ballot


async def ranked_ballot(voter: Person, ballot: ChatMessage, order: Sequence[str]) -> ChatMessage:
    for option in order:
        ballot = await voter.tap(ballot, option)
    return ballot


AVAILABILITY = ("yes", "maybe", "no")


async def meeting_ballot(voter: Person, ballot: ChatMessage, answers: str) -> ChatMessage:
    """`answers`: one letter per slot, y / m / n (n is the blank ballot's value already)."""
    for row, answer in enumerate(answers):
        if answer != "n":
            column = "ymn".index(answer)
            data = ballot.buttons[row][column].callback_data
            assert data is not None
            ballot = await tap_data(voter, ballot, data)
    return ballot


@dataclass(frozen=True)
class PrivateCase:
    """A private-ballot kind: how it is written, five ballots and what the group sees."""

    name: str
    file: bytes | None
    wizard_kind: str
    options: str | None
    ballots: tuple[object, ...]
    shown: dict[str, str]
    result: str  # the outcome's result line


PRIVATE_CASES = (
    PrivateCase(
        "score",
        None,
        "Score (0 to 5 per option)",
        "Meadow\nPlayground\nOrchard",
        ((5, 3, 0), (2, 4, 1), (4, 4, 0), (1, 5, 2), (0, 0, 0)),
        {
            "Meadow": "12 points, mean 2.4",
            "Playground": "16 points, mean 3.2",
            "Orchard": "3 points, mean 0.6",
        },
        "Result: Playground",
    ),
    PrivateCase(
        "dot_vote",
        b"poll:\n  question: Where should the budget go?\n  kind: dot_vote\n"
        b"  options: [Trees, Benches, Lights]\n  settings:\n    points: 5\n",
        "",
        None,
        (
            {"Trees": 3, "Benches": 2},
            {"Lights": 5},
            {"Trees": 4, "Lights": 1},
            {"Trees": 1, "Benches": 1},
            {"Benches": 1},
        ),
        {"Trees": "8 points", "Benches": "4 points", "Lights": "6 points"},
        "Result: Trees",
    ),
    PrivateCase(
        "ranked",
        None,
        "Ranked choice",
        "Library\nPool\nCinema",
        (
            ("Pool",),
            ("Pool", "Library"),
            ("Cinema", "Library"),
            ("Library", "Cinema"),
            ("Library",),
        ),
        {
            "Library": "2 first choices, 6 Borda points",
            "Pool": "2 first choices, 4 Borda points",
            "Cinema": "1 first choice, 3 Borda points",
        },
        "Result: Library (instant runoff)",
    ),
    PrivateCase(
        "meeting_time",
        b"poll:\n  question: When shall we meet?\n  kind: meeting_time\n"
        b"  options: [Tue 18:00, Wed 18:00, Thu 18:00]\n",
        "",
        None,
        ("ymn", "yny", "myn", "nyn", "nmn"),
        {
            "Tue 18:00": "yes 2 · maybe 1 · no 2",
            "Wed 18:00": "yes 2 · maybe 2 · no 1",
            "Thu 18:00": "yes 1 · maybe 0 · no 4",
        },
        "Result: Wed 18:00",
    ),
)


async def fill(case: PrivateCase, voter: Person, ballot: ChatMessage, choices: object) -> None:
    """Fill in one ballot of `case`'s kind and confirm it."""
    if case.name == "score":
        ballot = await score_ballot(voter, ballot, choices)  # type: ignore[arg-type]
    elif case.name == "dot_vote":
        ballot = await dot_ballot(voter, ballot, choices)  # type: ignore[arg-type]
    elif case.name == "ranked":
        ballot = await ranked_ballot(voter, ballot, choices)  # type: ignore[arg-type]
    else:
        ballot = await meeting_ballot(voter, ballot, choices)  # type: ignore[arg-type]
    await confirm(voter, ballot)


@pytest.mark.parametrize("case", PRIVATE_CASES, ids=[c.name for c in PRIVATE_CASES])
async def test_a_private_ballot_kind_is_voted_at_once_and_closed_with_its_outcome(
    running_bot: RunningBot, database: Database, case: PrivateCase
) -> None:
    world = running_bot.world
    owner, voters, group = await community(world, 5, started=True)
    await post_case(owner, group, case)
    poll = await next_in(world, group)
    assert labels(poll) == ["Vote", "Open the private chat"]

    async def vote(voter: Person, choices: object) -> None:
        await fill(case, voter, await open_ballot(voter, poll), choices)

    await asyncio.gather(
        *(vote(voter, choices) for voter, choices in zip(voters, case.ballots, strict=True))
    )
    shown = await shown_with(world, group, 5, case.shown)
    assert figures(shown) == case.shown
    assert await ballot_count(database) == 5

    await close_from_card(owner)
    final, outcome = await final_and_outcome(world, group)
    assert figures(final) == case.shown
    assert case.result in outcome.splitlines() and "5 people voted." in outcome
    if case.name == "ranked":
        # Library and Pool tie on first choices and neither has a majority; Cinema goes out
        # first and its ballot moves to Library, which then has one.
        text, rows = await results_of(owner)
        assert "Round 1: Library 2 · Pool 2 · Cinema 1 — out: Cinema" in text.splitlines()
        assert "Round 2: Library 3 · Pool 2" in text.splitlines()
        assert "Leading: Library" in text.splitlines()
        assert rows[0][1:] == ["Library", "Pool", "Cinema"] and len(rows) == 6
    assert (await voters[0].press(poll, data=data_of(poll, "Vote"))).text == CLOSED


# --- Changing a vote --------------------------------------------------------------------------


async def test_a_vote_changed_under_the_message_and_in_the_private_ballot_moves_the_count(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    owner, (ann, bo), group = await community(world, 2, started=True)
    trees = b"poll:\n  question: Plant more trees?\n  kind: yes_no\n"
    await upload_and_publish(owner, group, "trees.yaml", trees)
    one_tap = await next_in(world, group)
    await publish(owner, group, "Rank the events", kind="Ranked choice", options="Fair\nRace\nGig")
    ranked = await next_in(world, group)

    assert (await ann.press(one_tap, "Yes")).text == "You voted: Yes"
    assert (await bo.press(one_tap, "Yes")).text == "You voted: Yes"
    await confirm(ann, await ranked_ballot(ann, await open_ballot(ann, ranked), ["Fair", "Race"]))
    first = await world.wait_for(
        group,
        lambda m: m.message_id == one_tap.message_id and "2 votes" in (m.text or ""),
        timeout=EDIT_WAIT,
    )
    assert figures(first[0])["Yes"] == "2 (100%)"

    # Ann changes her mind under the group message...
    assert (await ann.press(one_tap, "No")).text == "You voted: No"
    [moved] = await world.wait_for(
        group,
        lambda m: m.message_id == one_tap.message_id and "1 (50%)" in (m.text or ""),
        timeout=EDIT_WAIT,
    )
    assert figures(moved) == {"Yes": "1 (50%)", "No": "1 (50%)", "Abstain": "0 (0%)"}
    # ...and in the private ballot, which opens with her earlier ranking filled in.
    again = await open_ballot(ann, ranked)
    assert "1. Fair\n2. Race" in text_of(again)
    assert labels(again) == ["Gig", "Start over", "Confirm"]
    again = await ann.tap(again, "Start over")
    assert "Nothing ranked yet." in text_of(again)
    await confirm(ann, await ranked_ballot(ann, again, ["Gig"]))
    [changed] = await world.wait_for(
        group,
        lambda m: (
            m.message_id == ranked.message_id
            and "Gig" in figures(m)
            and figures(m)["Gig"].startswith("1 first")
        ),
        timeout=EDIT_WAIT,
    )
    assert figures(changed)["Fair"] == "0 first choices, 0 Borda points"
    assert "1 vote" in text_of(changed).splitlines()

    async with database.unit_of_work() as uow:
        chosen = sorted(
            (b.poll_id, b.choices) for b in (await uow.session.scalars(select(Ballot))).all()
        )
    assert chosen == [(1, ["no"]), (1, ["yes"]), (2, ["o3"])]


async def test_without_vote_changes_a_second_vote_is_refused_in_both_places(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    owner, (ann,), group = await community(world, 1, started=True)
    settings = b"  settings:\n    vote_changes: false\n"
    await upload_and_publish(
        owner, group, "a.yaml", b"poll:\n  question: Paint it?\n  kind: yes_no\n" + settings
    )
    one_tap = await next_in(world, group)
    await upload_and_publish(
        owner,
        group,
        "b.yaml",
        b"poll:\n  question: Rate it\n  kind: score\n  options: [Red, Blue]\n" + settings,
    )
    private = await next_in(world, group)

    assert (await ann.press(one_tap, "Yes")).text == "You voted: Yes"
    refused = "You have already voted, and this poll does not allow changing a vote."
    assert (await ann.press(one_tap, "No")).text == refused
    assert (await ann.press(one_tap, "Yes")).text == refused  # no withdrawing either
    await confirm(ann, await score_ballot(ann, await open_ballot(ann, private), [4, 1]))
    assert (await ann.press(private, "Vote")).text == refused
    async with database.unit_of_work() as uow:
        stored = sorted(str(b.choices) for b in (await uow.session.scalars(select(Ballot))).all())
    assert stored == sorted([str(["yes"]), str({"o1": 4, "o2": 1})])


async def test_without_vote_changes_a_multiple_choice_ballot_may_grow_but_not_shrink(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    owner, (ann,), group = await community(world, 1, started=False)
    await upload_and_publish(
        owner,
        group,
        "m.yaml",
        b"poll:\n  question: Which colours?\n  kind: multiple\n  options: [Red, Blue, Gold]\n"
        b"  settings:\n    max_choices: 2\n    vote_changes: false\n",
    )
    poll = await next_in(world, group)
    assert (await ann.press(poll, "Red")).text == "You voted: Red"
    assert (await ann.press(poll, "Blue")).text == "You voted: Red, Blue"
    refused = "You have already voted, and this poll does not allow changing a vote."
    assert (await ann.press(poll, "Red")).text == refused
    assert (await ann.press(poll, "Gold")).text == "You can pick at most 2."
    expected = {"Red": "1 (100%)", "Blue": "1 (100%)", "Gold": "0 (0%)"}
    assert figures(await shown_with(world, group, 1, expected)) == expected


# --- Anonymous polls --------------------------------------------------------------------------


async def test_an_anonymous_poll_keeps_no_identity_in_its_rows_or_its_csv(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    stranger = Person(world, world.user("Zebedee", username="zebedee_z"))  # never starts the bot
    owner, (annabelle,), group = await community(world, 1, started=True, others=[stranger])
    await upload_and_publish(
        owner,
        group,
        "anon.yaml",
        b"poll:\n  question: Raise the dues?\n  kind: single\n  options: [Raise, Keep]\n"
        b"  settings:\n    anonymous: true\n",
    )
    poll = await next_in(world, group)
    assert "anonymous" in text_of(poll).splitlines()[1]
    assert (await annabelle.press(poll, "Keep")).text == "You voted: Keep"
    assert (await stranger.press(poll, "Raise")).text == "You voted: Raise"
    assert (await stranger.press(poll, "Keep")).text == "You voted: Keep"  # a change, still one
    expected = {"Raise": "0 (0%)", "Keep": "2 (100%)"}
    assert figures(await shown_with(world, group, 2, expected)) == expected
    # A private-ballot kind, too: the ballot is filled in through the conversation state.
    await upload_and_publish(
        owner,
        group,
        "anon-ranked.yaml",
        b"poll:\n  question: Where to meet?\n  kind: ranked\n  options: [Hall, Park, Cafe]\n"
        b"  settings:\n    anonymous: true\n",
    )
    ranked = await next_in(world, group)
    ballot = await ranked_ballot(annabelle, await open_ballot(annabelle, ranked), ["Park", "Hall"])
    await confirm(annabelle, ballot)
    await world.wait_for(
        group,
        lambda m: m.message_id == ranked.message_id and "1 vote" in (m.text or "").splitlines(),
        timeout=EDIT_WAIT,
    )

    member = await member_row(database, annabelle.id)
    assert member is not None
    identity = (annabelle.id, "Voter0", "voter0", stranger.id, "Zebedee", "zebedee_z")
    found = await traces_of(database, *identity, f"m:{member.id}")
    # Her member row and group membership name her, as they must; nothing else may.
    # (outbox.claimed_by is a worker's host:pid:token, whose pid may equal an emulated user id.)
    ignored = ("members.", "chat_members.", "outbox.claimed_by ")
    assert [trace for trace in found if not trace.startswith(ignored)] == []
    assert [
        trace
        for trace in await traces_of(database, stranger.id, "Zebedee", "zebedee_z")
        if not trace.startswith("outbox.claimed_by ")
    ] == []
    async with database.unit_of_work() as uow:
        stored = (await uow.session.scalars(select(Ballot))).all()
    assert len(stored) == 3
    assert all(b.member_id is None and b.voter.startswith("a:") for b in stored)
    assert all((b.cast_at.hour, b.cast_at.minute, b.cast_at.second) == (0, 0, 0) for b in stored)

    text, rows = await results_of(owner)
    assert "2 people voted." in text
    assert rows[0][1:] == ["Raise", "Keep"]
    assert [row[0] for row in rows[1:]] == ["", ""]
    ranked_text, ranked_rows = await results_of(owner, 2)
    assert "Leading: Park" in ranked_text.splitlines()
    assert ranked_rows[1:] == [["", "2", "1", ""]]  # Hall second, Park first
    everything = repr(rows + ranked_rows)
    for needle in identity:
        assert str(needle) not in everything


# --- One poll in two groups -------------------------------------------------------------------


async def test_one_poll_in_two_groups_counts_once_per_person_and_every_copy_agrees(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    owner = Person(world, world.user("Olga", user_id=OWNER_ID, username="olga"))
    await onboard(owner, follow=[])
    ann, bo, cy = (Person(world, world.user(name)) for name in ("Ann", "Bo", "Cy"))
    await onboard(cy, follow=[])
    elm = world.group("Elm Street", admins=[owner.user], members=[ann.user, cy.user])
    oak = world.group("Oak Lane", admins=[owner.user], members=[bo.user, cy.user])
    for group in (elm, oak):
        await world.add_bot(group, by=owner.user)
        await next_in(world, group)

    await owner.ask("/newpoll")
    kinds = await owner.ask("Open the hall on Sundays?")
    await owner.tap(kinds, "✓ Yes / no / abstain")
    screen = await owner.next_message()
    await owner.press(screen, "Preview")
    await owner.next_message()
    await owner.next_message()
    chooser = await owner.tap(await owner.next_message(), "Choose groups")
    chooser = await owner.tap(chooser, "Elm Street")
    chooser = await owner.tap(chooser, "Oak Lane")
    done = await owner.tap(chooser, "Publish")
    assert "is posted in: " in text_of(done)
    assert "Elm Street" in text_of(done) and "Oak Lane" in text_of(done)
    in_elm, in_oak = await next_in(world, elm), await next_in(world, oak)

    await asyncio.gather(ann.press(in_elm, "Yes"), bo.press(in_oak, "No"), cy.press(in_elm, "Yes"))
    # Cy, in both groups, votes again under the other copy: it replaces the first vote.
    assert (await cy.press(in_oak, "No")).text == "You voted: No"

    expected = {"Yes": "1 (33%)", "No": "2 (67%)", "Abstain": "0 (0%)"}
    for group in (elm, oak):
        [copy] = await world.wait_for(
            group,
            lambda m: "3 votes" in (m.text or "").splitlines() and "2 (67%)" in (m.text or ""),
            timeout=EDIT_WAIT,
        )
        assert figures(copy) == expected
    assert await ballot_count(database) == 3

    await close_from_card(owner)
    for group in (elm, oak):
        final, outcome = await final_and_outcome(world, group)
        assert figures(final) == expected
        assert "Result: No" in outcome and "3 people voted." in outcome


# --- Closing at the deadline when time moves --------------------------------------------------


@pytest.fixture
async def clocked_bot(
    framework: str, emulator: RunningEmulator, bot_settings: Settings, clock: FakeClock
) -> AsyncIterator[tuple[RunningBot, FakeClock]]:
    """The bot on a clock the test moves (as tests/operations/test_scheduling.py does)."""
    process = BotProcess(bot_settings, clock=clock)
    await process.start()
    bot = RunningBot(emulator.world, framework, bot_settings, process)
    try:
        yield bot, clock
    finally:
        await bot.process.stop()


async def test_a_poll_closes_at_its_deadline_when_time_moves_and_late_votes_are_refused(
    clocked_bot: tuple[RunningBot, FakeClock], database: Database
) -> None:
    running_bot, clock = clocked_bot
    world = running_bot.world
    owner, (ann, bo, cy), group = await community(world, 3, started=True)
    await upload_and_publish(
        owner,
        group,
        "deadline.yaml",
        b"poll:\n  question: Which day for the clean-up?\n  kind: meeting_time\n"
        b"  options: [Sat 10:00, Sun 10:00]\n  settings:\n    deadline_hours: 1\n"
        b"    quorum: 5\n",
    )
    poll = await next_in(world, group)
    assert "Voting closes 2026-11-29 13:00." in text_of(poll).splitlines()

    await confirm(ann, await meeting_ballot(ann, await open_ballot(ann, poll), "yn"))
    late_ballot = await meeting_ballot(bo, await open_ballot(bo, poll), "ny")  # not confirmed yet
    clock.advance(seconds=10)  # the live refresh is due at the end of a five-second slot
    shown = await shown_with(world, group, 1)
    assert figures(shown)["Sat 10:00"] == "yes 1 · maybe 0 · no 0"

    clock.advance(minutes=59, seconds=50)  # the deadline
    final, outcome = await final_and_outcome(world, group)
    assert "1 vote" in text_of(final).splitlines()
    assert "Result: Sat 10:00" in outcome.splitlines() and "1 person voted." in outcome
    assert "The quorum of 5 was not met: the result is not binding." in outcome.splitlines()

    # Bo confirms the ballot he filled in before the deadline: too late.
    callback = await world.press(bo.user, late_ballot, "Confirm")
    assert (await answer_of(world, callback)).text == CLOSED
    # Cy presses Vote on the message as it was sent (its button is gone now).
    assert (await cy.press(poll, data=data_of(poll, "Vote"))).text == CLOSED
    assert text_of(await cy.ask("/start poll-1")) == CLOSED
    assert await ballot_count(database) == 1


async def test_a_tap_after_the_deadline_is_refused_before_the_closing_job_runs(
    clocked_bot: tuple[RunningBot, FakeClock], database: Database
) -> None:
    running_bot, clock = clocked_bot
    world = running_bot.world
    owner, (ann,), group = await community(world, 1, started=False)
    await upload_and_publish(
        owner,
        group,
        "deadline.yaml",
        b"poll:\n  question: Trees?\n  kind: yes_no\n  settings:\n    deadline_hours: 1\n",
    )
    poll = await next_in(world, group)
    # Stop the bot, move past the deadline, and press before it is back: the tap waits for
    # the bot, which must refuse it whether or not its closing job has run by then.
    await running_bot.process.stop()
    clock.advance(hours=1, seconds=1)
    callback = await world.press(ann.user, poll, "Yes")
    running_bot.process = BotProcess(running_bot.settings, clock=clock)
    await running_bot.process.start()
    assert (await answer_of(world, callback)).text == CLOSED
    final, outcome = await final_and_outcome(world, group)
    assert "0 votes" in text_of(final).splitlines()
    assert "Nobody voted." in outcome.splitlines()
    assert await ballot_count(database) == 0


# --- Forged presses ---------------------------------------------------------------------------


async def test_forged_presses_are_refused_politely_and_change_nothing(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    owner, (ann,), group = await community(world, 1, started=True)
    await upload_and_publish(
        owner,
        group,
        "dots.yaml",
        b"poll:\n  question: Share the budget\n  kind: dot_vote\n  options: [Trees, Lights]\n"
        b"  settings:\n    points: 5\n",
    )
    private = await next_in(world, group)
    trees = b"poll:\n  question: Trees?\n  kind: yes_no\n"
    await upload_and_publish(owner, group, "trees.yaml", trees)
    one_tap = await next_in(world, group)
    other = world.group("Oak Lane", admins=[owner.user], members=[ann.user])
    await world.add_bot(other, by=owner.user)
    greeting = await next_in(world, other)

    forgeries = [
        (one_tap, "1:pl.v:2:maybe"),  # no such option
        (one_tap, "1:pl.v:1:yes"),  # a private-ballot poll has no one-tap options
        (one_tap, "1:pl.v:99:yes"),  # no such poll
        (greeting, "1:pl.v:2:yes"),  # the poll is not posted in that group
        (greeting, "1:pl.go:1"),  # nor is the private-ballot poll
        (private, "1:pl.go:2"),  # Vote for a one-tap poll
    ]
    for message, data in forgeries:
        assert (await ann.press(message, data=data)).text == INVALID, data
    chat = await ann.ask("/help")
    for data in ("1:pl.go:1", "1:pl.v:2:yes", "1:pl.b:1:o1:up", "1:pl.c:1"):
        # Group buttons pressed in the private chat, and ballot buttons with no ballot open.
        assert (await ann.press(chat, data=data)).text == INVALID, data

    ballot = await open_ballot(ann, private)
    for data in ("1:pl.b:1:o9:up", "1:pl.b:1:o1:5", "1:pl.b:2:o1:up", "1:pl.c:2"):
        # Another option, a value of another kind, another poll's ballot.
        assert (await ann.press(ballot, data=data)).text == INVALID, data
    ballot = await dot_ballot(ann, ballot, {"Trees": 5})
    assert "0 points left." in text_of(ballot)
    await ann.press(ballot, "+ Lights")  # nothing left to give: the ballot stays as it is
    unchanged = world.message(ann.user, ballot.message_id)
    assert unchanged is not None and "Lights: 0\n0 points left." in text_of(unchanged)
    await confirm(ann, ballot)
    async with database.unit_of_work() as uow:
        [stored] = (await uow.session.scalars(select(Ballot))).all()
    assert (stored.poll_id, stored.choices) == (1, {"o1": 5})
    shown = await shown_with(world, group, 1)
    assert figures(shown) == {"Trees": "5 points", "Lights": "0 points"}
    untouched = world.message(group, one_tap.message_id)
    assert untouched is not None and text_of(untouched).splitlines()[-1] == "0 votes"


# --- Results shown after voting ---------------------------------------------------------------


async def test_results_after_voting_are_shown_to_a_one_tap_voter_in_the_notice(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    owner, (ann, bo), group = await community(world, 2, started=False)
    await upload_and_publish(
        owner,
        group,
        "after.yaml",
        b"poll:\n  question: Paint it?\n  kind: yes_no\n  settings:\n    results: after_vote\n",
    )
    poll = await next_in(world, group)
    assert "You see the results when you vote." in text_of(poll).splitlines()
    assert (await ann.press(poll, "Yes")).text == "You voted: Yes\nYes 1 · No 0 · Abstain 0"
    assert (await bo.press(poll, "No")).text == "You voted: No\nYes 1 · No 1 · Abstain 0"
    shown = await shown_with(world, group, 2)
    # The group sees the count only.
    assert text_of(shown).splitlines()[3:] == ["2 votes", "You see the results when you vote."]


async def test_results_after_voting_are_shown_to_a_private_ballot_voter_after_confirm(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    owner, (ann,), group = await community(world, 1, started=True)
    await upload_and_publish(
        owner,
        group,
        "after.yaml",
        b"poll:\n  question: Rate the designs\n  kind: score\n  options: [Meadow, Orchard]\n"
        b"  settings:\n    results: after_vote\n",
    )
    poll = await next_in(world, group)
    assert "You see the results when you vote." in text_of(poll).splitlines()
    ballot = await score_ballot(ann, await open_ballot(ann, poll), [4, 2])
    done = await ann.tap(ballot, "Confirm")
    seen = text_of(done) + "\n" + (ann.toast.text or "" if ann.toast else "")
    # Whatever the wording, the figures of the poll so far must reach her once she has voted.
    assert "4 points" in seen and "2 points" in seen, seen


async def test_one_first_choice_is_shown_in_the_singular(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    owner, (ann,), group = await community(world, 1, started=True)
    await upload_and_publish(
        owner,
        group,
        "r.yaml",
        b"poll:\n  question: Rank them\n  kind: ranked\n  options: [Hall, Park]\n",
    )
    poll = await next_in(world, group)
    await confirm(ann, await ranked_ballot(ann, await open_ballot(ann, poll), ["Park"]))
    shown = await shown_with(world, group, 1)
    assert figures(shown)["Park"] == "1 first choice, 1 Borda point"
