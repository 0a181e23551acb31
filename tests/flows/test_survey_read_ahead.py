"""Reading ahead: a batch of survey answers or links loads its respondents' responses at once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, select

from flows.events import Person
from storage.models import SurveyAnswer, SurveyResponse
from tests.flows.harness import Harness, texts
from tests.flows.test_survey_answering import (
    add_survey,
    last_text,
    open_link,
    resident,
    short_survey,
)


@contextmanager
def response_reads(harness: Harness) -> Iterator[list[str]]:
    """Collect the SELECTs on survey_responses run while the block is open."""
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "survey_responses" in statement:
            seen.append(statement)

    engine = harness.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


async def test_answers_at_once_share_one_read_and_each_lands_on_its_own_response(
    harness: Harness,
) -> None:
    survey_id = await add_survey(harness, short_survey())
    people = [await resident(harness, f"Resident {n}") for n in range(8)]
    shown = [await open_link(harness, who, survey_id) for who in people]

    def pick(n: int) -> str:
        return "Summer" if n % 2 else "Winter"

    with response_reads(harness) as reads:
        replies = await asyncio.gather(
            *(
                harness.tap(who, screen, pick(n))
                for n, (who, screen) in enumerate(zip(people, shown, strict=True))
            )
        )
    assert all("Why?" in last_text(reply) for reply in replies)
    assert len(reads) < len(people)  # batched and read ahead, not one read per answer

    async with harness.database.unit_of_work() as uow:
        stored = await uow.session.execute(
            select(SurveyResponse.member_id, SurveyAnswer.choice).join(
                SurveyAnswer, SurveyAnswer.response_id == SurveyResponse.id
            )
        )
        by_member = {member_id: choice for member_id, choice in stored}
    members = await member_ids(harness, people)
    assert by_member == {members[n]: pick(n).lower() for n in range(len(people))}


async def test_a_stale_read_ahead_cannot_revive_an_answer(harness: Harness) -> None:
    """Typed answers right after the buttons: each step reads what the previous one wrote."""
    survey_id = await add_survey(harness, short_survey())
    people = [await resident(harness, f"Resident {n}") for n in range(4)]
    shown = [await open_link(harness, who, survey_id) for who in people]
    await asyncio.gather(
        *(harness.tap(who, s, "Summer") for who, s in zip(people, shown, strict=True))
    )
    done = await asyncio.gather(*(harness.text(who, "Warm evenings") for who in people))
    assert all("Summer" in texts(reply) and "Warm evenings" in texts(reply) for reply in done)


async def test_a_burst_of_survey_links_shares_one_read_and_resumes_those_who_began(
    harness: Harness,
) -> None:
    survey_id = await add_survey(harness, short_survey())
    people = [await resident(harness, f"Resident {n}") for n in range(8)]
    began = people[:2]
    for who in began:
        await harness.tap(who, await open_link(harness, who, survey_id), "Summer")

    with response_reads(harness) as reads:
        replies = await asyncio.gather(*(open_link(harness, who, survey_id) for who in people))
    assert len(reads) < len(people)  # read ahead for the batch, not one read per link
    for who, reply in zip(people, replies, strict=True):
        if who in began:  # at the second question, where they left off
            assert "Welcome back" in texts(reply) and "Why?" in last_text(reply)
        else:
            assert "Favourite season?" in last_text(reply)
    async with harness.database.unit_of_work() as uow:
        respondents = list(await uow.session.scalars(select(SurveyResponse.member_id)))
    assert sorted(respondents) == sorted(await member_ids(harness, people))  # one each


async def member_ids(harness: Harness, people: list[Person]) -> list[int]:
    async with harness.database.unit_of_work() as uow:
        found = [await uow.members.get_by_telegram_id(who.user_id) for who in people]
    return [member.id for member in found if member is not None]
