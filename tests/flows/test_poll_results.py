"""Results for organisers, and anonymity: what the database and the export hold."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import select

from flows.codec import encode, payload
from flows.effects import SendDocument, SendPhoto
from storage.models import AuditEntry, Ballot, Member
from tests.flows.harness import Harness, person, texts
from tests.flows.poll_support import (
    ELM,
    OAK,
    add_groups,
    ballots,
    organiser,
    press,
    vote,
    write_poll,
)
from tests.flows.test_account import every_value_in_the_database, onboard

BENCH = ("By the lake", "Near the playground", "Under the oak")


def csv_rows(effects: list[object]) -> list[list[str]]:
    [document] = [e for e in effects if isinstance(e, SendDocument)]
    return list(csv.reader(io.StringIO(document.content.decode("utf-8-sig"))))


async def test_results_show_counts_turnout_a_chart_and_a_csv_with_names(
    harness: Harness,
) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "single", BENCH, settings=("quo",))  # quorum 5
    ann, bo = person("Ann"), person("Bo")
    await onboard(harness, ann)
    await harness.joins(ann, ELM)
    await vote(harness, ann, poll_id, "o1")
    await vote(harness, bo, poll_id, "o1")
    shown = await harness.command(organiser(), "pollresults", str(poll_id))
    text = texts(shown)
    assert f"Results of poll {poll_id}" in text
    assert "By the lake\n██████████ 2 (100%)" in text
    assert "2 people voted." in text
    assert "Eligible members known to the bot: 1; turnout 100%." in text
    assert "Quorum 5: not met." in text and "Leading: By the lake" in text
    [chart] = [e for e in shown if isinstance(e, SendPhoto)]
    assert chart.content.startswith(b"\x89PNG\r\n\x1a\n")
    rows = csv_rows(shown)
    assert rows[0] == ["name", *BENCH]
    assert sorted(row[0] for row in rows[1:]) == ["(has not started the bot)", "Ann (@ann)"]
    assert all(row[1:] == ["1", "", ""] for row in rows[1:])
    assert "Please give the poll's number" in texts(
        await harness.command(organiser(), "pollresults")
    )
    assert "There is no poll 99" in texts(await harness.command(organiser(), "pollresults", "99"))


async def test_ranked_results_show_the_rounds(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "ranked", ("Lake", "Oak", "Gate"))
    ballots_cast = [["o1", "o2"], ["o1"], ["o2", "o1"], ["o3", "o2"], ["o2", "o3"]]
    for number, ranking in enumerate(ballots_cast):
        who = person(f"V{number}")
        await onboard(harness, who)
        await harness.press(who, encode(payload("pl.go", poll_id)), chat=ELM)
        for option in ranking:
            await press(harness, who, "pl.b", poll_id, option, "r")
        await press(harness, who, "pl.c", poll_id)
    text = texts(await harness.command(organiser(), "pollresults", str(poll_id)))
    assert "Round 1: Lake 2 · Oak 2 · Gate 1 — out: Gate" in text
    assert "Round 2: Lake 2 · Oak 3" in text
    assert "Leading: Oak" in text


async def test_an_anonymous_poll_keeps_no_identity_in_the_database_or_the_export(
    harness: Harness,
) -> None:
    await add_groups(harness, ELM, OAK)
    poll_id = await write_poll(harness, "yes_no", settings=("anon",), chats=(ELM, OAK))
    voters = [person("Annabel"), person("Bartholomew")]
    await onboard(harness, voters[1])
    harness.clock.advance(hours=3, minutes=17)
    await vote(harness, voters[0], poll_id, "yes")
    await vote(harness, voters[1], poll_id, "no", chat=OAK)
    assert "does not allow" not in await vote(harness, voters[1], poll_id, "yes", chat=ELM)

    stored = await ballots(harness)
    assert len(stored) == 2 and all(b.member_id is None for b in stored)
    assert all(b.cast_at.hour == 0 and b.updated_at.minute == 0 for b in stored)
    async with harness.database.unit_of_work() as uow:
        bart = await uow.session.scalar(select(Member).where(Member.first_name == "Bartholomew"))
        annabel = await uow.members.get_by_telegram_id(voters[0].user_id)
    assert bart is not None and annabel is None  # an anonymous vote adds no member
    identities = {str(voters[0].user_id), str(voters[1].user_id), f"m:{bart.id}"}
    for ballot in stored:
        assert not any(identity in ballot.voter for identity in identities)
    values = [str(v) for v in await every_value_in_the_database(harness.database)]
    ballot_values = [json.dumps(b.choices) for b in stored] + [b.voter for b in stored]
    assert "Annabel" not in " ".join(values)
    assert all(v not in ("Bartholomew", str(voters[1].user_id)) for v in ballot_values)

    rows = csv_rows(await harness.command(organiser(), "pollresults", str(poll_id)))
    assert [row[0] for row in rows[1:]] == ["", ""]
    assert "Bartholomew" not in str(rows) and "Annabel" not in str(rows)


async def test_anonymity_can_be_switched_on_later_but_never_off(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "single", BENCH)
    ann = person("Ann")
    await onboard(harness, ann)
    harness.clock.advance(hours=5)
    await vote(harness, ann, poll_id, "o2")
    olga = organiser()
    asked = await press(harness, olga, "pm.anon", poll_id)
    assert "cannot be undone" in texts(asked)
    done = await press(harness, olga, "pm.anon1", poll_id)
    assert "anonymous now" in texts(done)
    assert "Make anonymous" not in str(done)
    [ballot] = await ballots(harness)
    assert ballot.member_id is None and ballot.voter.startswith("a:")
    assert ballot.cast_at.hour == 0
    # The same person is still recognised: a second tap changes their vote, not adds one.
    await vote(harness, ann, poll_id, "o3")
    assert [b.choices for b in await ballots(harness)] == [["o3"]]
    async with harness.database.unit_of_work() as uow:
        poll = await uow.polls.get(poll_id)
        actions = (await uow.session.scalars(select(AuditEntry.action))).all()
    assert poll is not None and poll.anonymous and "poll.anonymise" in actions
    rows = csv_rows(await harness.command(olga, "pollresults", str(poll_id)))
    assert [row[0] for row in rows[1:]] == [""]


async def test_mydata_lists_identified_ballots(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "yes_no")
    ann = person("Ann")
    await onboard(harness, ann)
    await vote(harness, ann, poll_id, "abstain")
    exported = await harness.command(ann, "mydata")
    [document] = [e for e in exported if isinstance(e, SendDocument)]
    data = json.loads(document.content)
    assert data["poll_ballots"][0]["choices"] == ["abstain"]
    assert data["poll_ballots"][0]["question"] == "Where should the new bench go?"
    async with harness.database.unit_of_work() as uow:
        assert len((await uow.session.scalars(select(Ballot))).all()) == 1
