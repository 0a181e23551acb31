"""Answering a survey through the real front ends: a deep link, a condition, back, edit, submit."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.emulator import ChatMessage
from flows.survey.definition import Condition, Question, QuestionType, SurveyDefinition
from flows.survey.reminders import REMIND_JOB
from storage.db import Database
from storage.models import (
    JobStatus,
    ResponseStatus,
    ScheduledJob,
    Survey,
    SurveyAnswer,
    SurveyContact,
    SurveyResponse,
    SurveyStatus,
)
from tests.scenarios.conftest import RunningBot
from tests.scenarios.people import Person, labels, onboard, text_of

CYCLING = SurveyDefinition(
    id="cycling",
    title="Cycling in Riverside",
    intro="Three short questions.",
    thank_you="Thank you! We will share what we learn.",
    questions=[
        Question(id="cycle", type=QuestionType.YES_NO, text="Do you cycle in town?"),
        Question(
            id="days",
            type=QuestionType.SCALE,
            text="How many days a week?",
            scale_min=1,
            scale_max=7,
            show_if=Condition(question="cycle", equals="yes"),
        ),
        Question(id="safer", type=QuestionType.SHORT_TEXT, text="What would make it safer?"),
    ],
)


async def add_survey(database: Database) -> int:
    now = datetime.now(UTC)
    async with database.unit_of_work() as uow:
        survey = await uow.surveys.add(
            Survey(
                slug=CYCLING.id,
                title=CYCLING.title,
                definition=CYCLING.model_dump(mode="json"),
                status=SurveyStatus.OPEN,
                anonymous=False,
                created_at=now,
                updated_at=now,
            )
        )
        await uow.commit()
        return survey.id


async def changes_their_mind(person: Person, survey_id: int) -> ChatMessage:
    """Yes, back, No, a text, then edit the first answer to Yes again from the summary."""
    first = await person.ask(f"/start survey-{survey_id}")
    assert text_of(first).startswith("Cycling in Riverside\n\nThree short questions.")
    assert "Question 1 of 2" in text_of(first)  # "days" waits for a Yes
    assert labels(first) == ["Yes", "No"]
    days = await person.tap(first, "Yes")
    assert days.message_id == first.message_id and days.edited
    assert "Question 2 of 3" in text_of(days) and "How many days a week?" in text_of(days)
    assert labels(days) == ["1", "2", "3", "4", "5", "6", "7", "‹ Back"]
    back = await person.tap(days, "‹ Back")
    assert "Your answer: Yes" in text_of(back)
    safer = await person.tap(back, "No")
    assert "Question 2 of 2" in text_of(safer) and "What would make it safer?" in text_of(safer)
    summary = await person.ask(f"More cycle lanes, says {person.user.first_name}")
    assert "Here are your answers" in text_of(summary)
    assert "1. Do you cycle in town?\n→ No" in text_of(summary)
    edit = await person.tap(summary, "Edit 1")
    # Yes reveals the required question about days, which is asked before the summary.
    days = await person.tap(edit, "Yes")
    assert "How many days a week?" in text_of(days)
    summary = await person.tap(days, "3")
    assert "→ Yes" in text_of(summary) and "→ 3" in text_of(summary)
    return await person.tap(summary, "Submit")


async def test_two_residents_answer_with_a_condition_back_and_edit(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    survey_id = await add_survey(database)
    ann = Person(world, world.user("Ann"))
    bo = Person(world, world.user("Bo"))
    await asyncio.gather(onboard(ann), onboard(bo))

    thanks = await asyncio.gather(
        changes_their_mind(ann, survey_id), changes_their_mind(bo, survey_id)
    )
    for message in thanks:
        assert text_of(message) == "Thank you! We will share what we learn."
        assert message.buttons == ()

    async with database.unit_of_work() as uow:
        responses = (await uow.session.scalars(select(SurveyResponse))).all()
        stored = (await uow.session.scalars(select(SurveyAnswer))).all()
    assert [r.status for r in responses] == [ResponseStatus.COMPLETE] * 2
    by_response = {
        r.id: {(a.question_id, a.choice, a.number, a.text) for a in stored if a.response_id == r.id}
        for r in responses
    }
    names = {"Ann", "Bo"}
    for answers in by_response.values():
        (text,) = [a[3] for a in answers if a[0] == "safer"]
        names.discard(text.rsplit(" ", 1)[-1])
        assert answers - {a for a in answers if a[0] == "safer"} == {
            ("cycle", "yes", None, None),
            ("days", None, 3.0, None),
        }
    assert names == set()

    again = await ann.ask(f"/start survey-{survey_id}")
    assert text_of(again) == "You have already answered this survey. Thank you!"


async def test_a_link_opens_the_survey_after_onboarding_and_it_resumes_after_a_restart(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    survey_id = await add_survey(database)
    cy = Person(world, world.user("Cy"))

    welcome = await cy.ask(f"/start survey-{survey_id}")  # not a member yet: onboarding first
    notice = await cy.tap(welcome, "English")
    topics = await cy.tap(notice, "I agree")
    done = await cy.tap(topics, "Done")
    assert text_of(done).startswith("You're all set!")
    first = await cy.next_message()
    assert "Do you cycle in town?" in text_of(first) and first.message_id != done.message_id
    days = await cy.tap(first, "Yes")
    assert "How many days a week?" in text_of(days)

    await running_bot.restart()
    resumed = await cy.ask(f"/start survey-{survey_id}")
    assert text_of(resumed).startswith("Welcome back! Let's continue where you left off.")
    assert "How many days a week?" in text_of(resumed)
    safer = await cy.tap(resumed, "5")
    await running_bot.restart()
    summary = await cy.ask("Wider lanes")  # the typed answer was awaited across the restart
    assert "→ Wider lanes" in text_of(summary)
    stale = await cy.press(days, "6")  # a button of an earlier question
    assert stale.text == "This button is no longer valid. Please use the latest message."
    thanks = await cy.tap(summary, "Submit")
    assert text_of(thanks) == "Thank you! We will share what we learn."
    assert "What would make it safer?" in text_of(safer)


async def test_a_reminder_reaches_someone_who_stopped_half_way_once_it_comes_due(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    survey_id = await add_survey(database)  # reminds after a day, the default
    dee = Person(world, world.user("Dee"))
    await onboard(dee)
    first = await dee.ask(f"/start survey-{survey_id}")
    days = await dee.tap(first, "Yes")
    assert "How many days a week?" in text_of(days)  # and Dee stops here

    async with database.unit_of_work() as uow:
        (job,) = await uow.session.scalars(
            select(ScheduledJob).where(ScheduledJob.kind == REMIND_JOB)
        )
        assert job.due_at - datetime.now(UTC) > timedelta(hours=23)
        job.due_at = datetime.now(UTC) - timedelta(seconds=1)  # the day has gone by
        job_id = job.id
        await uow.commit()

    reminder = await dee.next_message(within=30.0)  # the running bot's scheduler finds it due
    assert text_of(reminder).startswith(
        "You started the survey “Cycling in Riverside” but have not finished it yet."
    )
    assert labels(reminder) == ["Continue the survey"]
    resumed = await dee.tap(reminder, "Continue the survey")
    assert "How many days a week?" in text_of(resumed)
    async with database.unit_of_work() as uow:
        done = await uow.session.get(ScheduledJob, job_id)
        (contact,) = await uow.session.scalars(select(SurveyContact))
    assert done is not None and done.status is JobStatus.DONE
    assert contact.reminded  # so a later reminder job would not send another
