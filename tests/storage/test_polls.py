"""Poll storage on every engine: one ballot per voter, race-free casting, anonymising."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.models import (
    Ballot,
    Member,
    MemberStatus,
    NativeMode,
    OutboxMessage,
    OutboxStatus,
    Poll,
    PollPost,
    PollStatus,
)
from storage.repositories.polls import post_batch

NOW = datetime(2026, 11, 29, 12, 34, 56, tzinfo=UTC)


async def new_poll(database: Database) -> int:
    async with database.unit_of_work() as uow:
        poll = await uow.polls.add(
            Poll(
                question="Benches?",
                options=[{"id": "yes", "text": "Yes"}, {"id": "no", "text": "No"}],
                kind="yes_no",
                status=PollStatus.OPEN,
                created_at=NOW,
                updated_at=NOW,
            )
        )
        await uow.commit()
        return poll.id


async def test_concurrent_casts_of_one_voter_leave_one_ballot(database: Database) -> None:
    poll_id = await new_poll(database)

    async def cast(choice: str) -> bool:
        async with database.unit_of_work() as uow:
            stored = await uow.ballots.cast(poll_id, "m:1", None, [choice], NOW, replace=True)
            await uow.commit()
            return stored

    assert all(await asyncio.gather(*(cast(c) for c in ("yes", "no", "yes", "no"))))
    async with database.unit_of_work() as uow:
        assert await uow.ballots.count(poll_id) == 1
        assert (await uow.ballots.choices(poll_id))[0] in (["yes"], ["no"])


async def test_without_replace_the_first_ballot_stays(database: Database) -> None:
    poll_id = await new_poll(database)
    async with database.unit_of_work() as uow:
        assert await uow.ballots.cast(poll_id, "v", None, ["yes"], NOW, replace=False)
        assert not await uow.ballots.cast(poll_id, "v", None, ["no"], NOW, replace=False)
        assert await uow.ballots.choices(poll_id) == [["yes"]]
        assert await uow.ballots.withdraw(poll_id, "v")
        assert not await uow.ballots.withdraw(poll_id, "v")
        await uow.commit()


async def test_anonymising_leaves_no_member_and_only_the_day(database: Database) -> None:
    poll_id = await new_poll(database)
    async with database.unit_of_work() as uow:
        member = await uow.members.add(
            Member(
                telegram_id=5,
                status=MemberStatus.ACTIVE,
                created_at=NOW,
                updated_at=NOW,
            )
        )
        await uow.ballots.cast(poll_id, f"m:{member.id}", member.id, ["no"], NOW, replace=True)
        count = await uow.ballots.anonymise(
            poll_id,
            lambda ballot, telegram_id: f"a:{telegram_id}",
            lambda moment: moment.replace(hour=0, minute=0, second=0, microsecond=0),
        )
        await uow.commit()
    assert count == 1
    async with database.unit_of_work() as uow:
        [ballot] = (await uow.session.execute(select(Ballot))).scalars().all()
    assert (ballot.voter, ballot.member_id) == ("a:5", None)
    assert ballot.cast_at == ballot.updated_at == NOW.replace(hour=0, minute=0, second=0)
    assert NOW - ballot.cast_at < timedelta(days=1)


async def test_a_copy_recorded_by_another_answer_meanwhile_is_still_found(
    database: Database,
) -> None:
    if not database.is_postgresql:
        pytest.skip("SQLite admits one writer at a time, so no answer can commit in between")
    poll_id = await new_poll(database)
    async with database.unit_of_work() as uow:
        poll = await uow.polls.get(poll_id)
        assert poll is not None
        poll.native = NativeMode.ANSWERS
        uow.session.add(PollPost(poll_id=poll_id, chat_id=-100, posted_at=NOW))
        uow.session.add(
            OutboxMessage(
                batch=post_batch(poll_id),
                chat_id=-100,
                payload={"receipt": {"poll_id": "tg-1"}},
                status=OutboxStatus.SENT,
                not_before=NOW,
                message_id=7,
                created_at=NOW,
            )
        )
        await uow.commit()

    async def first_answer() -> None:
        async with database.unit_of_work() as uow:
            assert await uow.polls.native_post("tg-1") is not None
            await uow.commit()  # records the copy's poll id

    async with database.unit_of_work() as uow:
        execute = uow.session.execute
        statements = 0

        async def first_answer_commits_after_one_lookup(*args: Any, **kwargs: Any) -> Any:
            nonlocal statements
            result = await execute(*args, **kwargs)
            statements += 1
            if statements == 1:
                await first_answer()
            return result

        uow.session.execute = first_answer_commits_after_one_lookup  # type: ignore[method-assign]
        post = await uow.polls.native_post("tg-1")
    assert post is not None and (post.message_id, post.native_poll_id) == (7, "tg-1")


async def test_ballot_ids_do_not_tell_the_order_of_voting(database: Database) -> None:
    poll_id = await new_poll(database)
    voters = [f"a:{n}" for n in range(30)]
    async with database.unit_of_work() as uow:
        for voter in voters:  # one after the other, as people vote
            await uow.ballots.cast(poll_id, voter, None, ["yes"], NOW, replace=False)
        await uow.commit()
    async with database.unit_of_work() as uow:
        rows = (await uow.session.execute(select(Ballot.voter, Ballot.id))).all()
    ids = {voter: ballot_id for voter, ballot_id in rows}
    in_voting_order = [ids[voter] for voter in voters]
    # Counting-up ids would be sorted; 30 random ones are, by chance, once in 30! tries.
    assert in_voting_order != sorted(in_voting_order)
    assert len(set(in_voting_order)) == 30
