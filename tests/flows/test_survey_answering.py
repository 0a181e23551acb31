"""Answering a survey in the private chat: every question type, conditions, back, edit, submit."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from admin import build_router
from admin.topics import add_followable
from flows.codec import encode, payload
from flows.effects import EditMessage, Effect, SendDocument, SendMessage
from flows.engine import Engine
from flows.events import ButtonPressed, Person
from flows.survey.definition import (
    Condition,
    Option,
    Question,
    QuestionType,
    Settings,
    SurveyDefinition,
)
from storage.models import (
    ConversationState,
    FollowKind,
    OutboxMessage,
    ResponseStatus,
    ScheduledJob,
    Survey,
    SurveyAnswer,
    SurveyContact,
    SurveyResponse,
    SurveyStatus,
)
from tests.flows.harness import Harness, group, messages, person, private, texts, toasts
from tests.flows.test_account import onboard

Q = QuestionType


def options(*names: str) -> list[Option]:
    return [Option(id=name.lower(), text=name) for name in names]


def park_survey(**settings: Any) -> SurveyDefinition:
    """A survey with every question type and a condition."""
    return SurveyDefinition(
        id="park",
        title={"en": "Elm Park survey", "zh_Hans": "榆树公园调查"},
        intro="A few questions about the park.",
        settings=Settings(**settings),
        questions=[
            Question(
                id="visit",
                type=Q.SINGLE_CHOICE,
                text={"en": "How often do you visit?", "zh_Hans": "你多久去一次？"},
                hint="Think of the last month.",
                options=options("Daily", "Weekly", "Never"),
                other=True,
            ),
            Question(
                id="why",
                type=Q.SHORT_TEXT,
                text="Why not?",
                show_if=Condition(question="visit", equals="never"),
            ),
            Question(
                id="likes",
                type=Q.MULTIPLE_CHOICE,
                text="What do you like?",
                options=options("Trees", "Benches", "Pond"),
                other=True,
                max_picks=2,
            ),
            Question(
                id="rate",
                type=Q.SCALE,
                text="How clean is it?",
                min_label="Filthy",
                max_label="Spotless",
            ),
            Question(id="nps", type=Q.NPS, text="Would you recommend it?"),
            Question(id="dog", type=Q.YES_NO, text="Do you walk a dog there?"),
            Question(
                id="rank",
                type=Q.RANKING,
                text="What matters most?",
                options=options("Light", "Quiet", "Play"),
            ),
            Question(
                id="age", type=Q.NUMBER, text="How old are you?", min=0, max=120, integer=True
            ),
            Question(id="when", type=Q.DATE, text="When did you last go?", required=False),
            Question(
                id="more", type=Q.LONG_TEXT, text="Anything else?", required=False, max_length=80
            ),
        ],
    )


async def add_survey(
    harness: Harness, definition: SurveyDefinition, status: SurveyStatus = SurveyStatus.OPEN
) -> int:
    now = harness.clock.now()
    async with harness.database.unit_of_work() as uow:
        survey = await uow.surveys.add(
            Survey(
                slug=definition.id,
                title=definition.title,
                definition=definition.model_dump(mode="json"),
                status=status,
                anonymous=definition.settings.anonymous,
                opens_at=definition.settings.opens_at,
                closes_at=definition.settings.closes_at,
                created_at=now,
                updated_at=now,
            )
        )
        await uow.commit()
        return survey.id


async def rows(harness: Harness, model: Any) -> list[Any]:
    async with harness.database.unit_of_work() as uow:
        return list((await uow.session.scalars(select(model))).all())


async def answers(harness: Harness) -> dict[str, list[tuple[Any, ...]]]:
    """Stored answers by question: (position, choice, number, text) per row."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    for row in sorted(await rows(harness, SurveyAnswer), key=lambda r: (r.question_id, r.position)):
        found.setdefault(row.question_id, []).append(
            (row.position, row.choice, row.number, row.text)
        )
    return found


def last_text(effects: Sequence[Effect]) -> str:
    shown = messages(effects)
    assert shown, f"nothing shown: {effects}"
    return shown[-1].text


async def resident(harness: Harness, name: str = "Ann") -> Person:
    who = person(name)
    await onboard(harness, who)
    return who


async def open_link(harness: Harness, who: Person, survey_id: int) -> list[Effect]:
    return await harness.command(who, "start", f"survey-{survey_id}")


async def test_every_question_type_end_to_end(harness: Harness) -> None:
    survey_id = await add_survey(harness, park_survey())
    ann = await resident(harness)

    shown = await open_link(harness, ann, survey_id)
    first = last_text(shown)
    assert first.startswith("Elm Park survey\n\nA few questions about the park.")
    assert "Question 1 of 9" in first  # "why" is hidden until "Never" is picked
    assert "How often do you visit?\nThink of the last month." in first
    assert "‹ Back" not in str(shown) and "Skip" not in str(shown)

    shown = await harness.tap(ann, shown, "Weekly")
    assert isinstance(messages(shown)[-1], EditMessage)  # buttons edit the message in place
    assert "Question 2 of 9" in last_text(shown) and "What do you like?" in last_text(shown)
    shown = await harness.tap(ann, shown, "Trees")
    assert "✓ Trees" in str(shown) and "Your answer: Trees" in last_text(shown)
    shown = await harness.tap(ann, shown, "Pond")
    too_many = await harness.tap(ann, shown, "Benches")
    assert "at most 2" in texts(toasts(too_many))
    shown = await harness.tap(ann, shown, "Done")
    assert "1 = Filthy" in last_text(shown) and "5 = Spotless" in last_text(shown)
    shown = await harness.tap(ann, shown, "4")
    assert "0 = not at all likely" in last_text(shown)
    assert [b.text for b in sum(messages(shown)[-1].buttons[:2], ())] == [str(n) for n in range(11)]
    shown = await harness.tap(ann, shown, "9")
    shown = await harness.tap(ann, shown, "Yes")
    assert "Tap the options in order of preference" in last_text(shown)
    shown = await harness.tap(ann, shown, "Quiet")
    assert "1. Quiet" in last_text(shown) and "Start over" in str(shown)
    shown = await harness.tap(ann, shown, "Start over")
    assert "1. Quiet" not in last_text(shown)
    shown = await harness.tap(ann, shown, "Play")
    shown = await harness.tap(ann, shown, "Light")
    shown = await harness.tap(ann, shown, "Quiet")  # the last one: the ranking is done
    assert "How old are you?" in last_text(shown)
    assert "Type a whole number from 0 to 120." in last_text(shown)

    shown = await harness.text(ann, "forty")
    assert isinstance(messages(shown)[-1], SendMessage)  # typed answers get a new message
    assert last_text(shown).startswith("That is not a number.")
    assert "How old are you?" in last_text(shown)
    assert "whole number" in last_text(await harness.text(ann, "41.5"))
    assert "from 0 to 120" in last_text(await harness.text(ann, "130"))
    shown = await harness.text(ann, "41")
    assert "When did you last go?" in last_text(shown) and "Skip" in str(shown)
    assert "date like" in last_text(await harness.text(ann, "yesterday"))
    assert "date like" in last_text(await harness.text(ann, "31.02.2026"))
    shown = await harness.text(ann, "28.11.2026")
    assert "Anything else?" in last_text(shown) and "at most 80 characters" in last_text(shown)
    too_long = await harness.text(ann, "x" * 81)
    assert "That is 81 characters; please keep it to 80." in last_text(too_long)
    assert "Please type an answer." in last_text(await harness.text(ann, "   "))
    summary = await harness.text(ann, "The benches near the pond need fixing.")

    text = last_text(summary)
    assert "Here are your answers. Check them, then press Submit." in text
    assert "1. How often do you visit?\n→ Weekly" in text
    assert "→ Trees, Pond" in text
    assert "→ 1. Play, 2. Light, 3. Quiet" in text
    assert "→ 2026-11-28" in text and "→ 41" in text and "→ Yes" in text
    assert "Why not?" not in text  # hidden by its condition
    thanks = await harness.tap(ann, summary, "Submit")
    assert "Thank you! Your answers have been recorded." in texts(thanks)

    stored = await answers(harness)
    assert stored == {
        "visit": [(0, "weekly", None, None)],
        "likes": [(0, "trees", None, None), (1, "pond", None, None)],
        "rate": [(0, None, 4.0, None)],
        "nps": [(0, None, 9.0, None)],
        "dog": [(0, "yes", None, None)],
        "rank": [(0, "play", 1.0, None), (1, "light", 2.0, None), (2, "quiet", 3.0, None)],
        "age": [(0, None, 41.0, None)],
        "when": [(0, None, None, "2026-11-28")],
        "more": [(0, None, None, "The benches near the pond need fixing.")],
    }
    (free_text,) = [a for a in await rows(harness, SurveyAnswer) if a.question_id == "more"]
    assert free_text.language == "en"
    (response,) = await rows(harness, SurveyResponse)
    # The export line follows the answers (the hidden "why" is an empty cell).
    assert response.cells == (
        "weekly,,trees; pond,4,9,yes,play > light > quiet,41,2026-11-28,"
        "The benches near the pond need fixing."
    )
    member_id = response.member_id
    assert response.status is ResponseStatus.COMPLETE and response.current is None
    assert response.respondent == f"m:{member_id}" and response.submitted_at == harness.clock.now()
    (contact,) = await rows(harness, SurveyContact)
    assert contact.started and contact.finished
    (job,) = [j for j in await rows(harness, ScheduledJob) if j.kind == "survey.remind"]
    assert job.key == f"{survey_id}:{member_id}"
    assert job.due_at == harness.clock.now() + timedelta(hours=24)

    again = await open_link(harness, ann, survey_id)
    assert "You have already answered this survey" in texts(again)
    stale = await harness.tap(ann, summary, "Submit")
    assert "already answered" in texts(stale)


async def test_other_please_specify_stores_the_text(harness: Harness) -> None:
    survey_id = await add_survey(harness, park_survey(remind_after_hours=0))
    ann = await resident(harness)
    shown = await harness.tap(ann, await open_link(harness, ann, survey_id), "Other…")
    assert "Please type your answer" in last_text(shown)
    shown = await harness.text(ann, "Only on Sundays with my grandchildren")
    assert "What do you like?" in last_text(shown)
    shown = await harness.tap(ann, shown, "Benches")
    shown = await harness.tap(ann, shown, "Other…")
    shown = await harness.text(ann, "The old fountain")
    assert "Your answer: Benches, Other: The old fountain" in last_text(shown)
    shown = await harness.tap(ann, shown, "✓ Other")  # tapping again removes it
    assert "Your answer: Benches" in last_text(shown) and "fountain" not in last_text(shown)
    shown = await harness.tap(ann, shown, "Other…")
    await harness.text(ann, "The old fountain")
    stored = await answers(harness)
    assert stored["visit"] == [(0, "other", None, "Only on Sundays with my grandchildren")]
    assert stored["likes"] == [(0, "benches", None, None), (1, "other", None, "The old fountain")]
    assert not [j for j in await rows(harness, ScheduledJob) if j.kind == "survey.remind"]


async def test_a_condition_shows_a_question_and_a_changed_answer_hides_it_again(
    harness: Harness,
) -> None:
    survey_id = await add_survey(harness, park_survey())
    ann = await resident(harness)
    shown = await harness.tap(ann, await open_link(harness, ann, survey_id), "Never")
    assert "Question 2 of 10" in last_text(shown) and "Why not?" in last_text(shown)
    shown = await harness.text(ann, "Too far from home")
    assert "What do you like?" in last_text(shown)
    assert "why" in await answers(harness)

    # Back twice, to the first question, and change the answer: "Why not?" is hidden again.
    shown = await harness.tap(ann, shown, "‹ Back")
    assert "Why not?" in last_text(shown) and "Your answer: Too far from home" in last_text(shown)
    shown = await harness.tap(ann, shown, "‹ Back")
    assert "Your answer: Never" in last_text(shown) and "✓ Never" in str(shown)
    shown = await harness.tap(ann, shown, "Daily")
    assert "Question 2 of 9" in last_text(shown) and "What do you like?" in last_text(shown)
    assert set(await answers(harness)) == {"visit"}  # the hidden answer is deleted


async def test_each_condition_operator(harness: Harness) -> None:
    definition = SurveyDefinition(
        id="ops",
        title="Conditions",
        questions=[
            Question(
                id="pick", type=Q.MULTIPLE_CHOICE, text="Pick", options=options("A", "B", "C")
            ),
            Question(id="opt", type=Q.SHORT_TEXT, text="Optional", required=False),
            Question(
                id="same",
                type=Q.SHORT_TEXT,
                text="Equals A",
                show_if=Condition(question="pick", equals="a"),
            ),
            Question(
                id="other",
                type=Q.SHORT_TEXT,
                text="Differs A",
                show_if=Condition(question="pick", differs="a"),
            ),
            Question(
                id="has",
                type=Q.SHORT_TEXT,
                text="Includes B",
                show_if=Condition(question="pick", includes="b"),
            ),
            Question(
                id="given",
                type=Q.SHORT_TEXT,
                text="Opt given",
                show_if=Condition(question="opt", answered=True),
            ),
            Question(
                id="none",
                type=Q.SHORT_TEXT,
                text="Opt skipped",
                show_if=Condition(question="opt", answered=False),
            ),
        ],
    )
    survey_id = await add_survey(harness, definition)
    ann, bo = await resident(harness, "Ann"), await resident(harness, "Bo")

    shown = await harness.tap(ann, await open_link(harness, ann, survey_id), "A")
    shown = await harness.tap(ann, shown, "Done")
    shown = await harness.tap(ann, shown, "Skip")
    assert "Equals A" in last_text(shown) and "Question 3 of 4" in last_text(shown)
    shown = await harness.text(ann, "equal")
    assert "Opt skipped" in last_text(shown)
    summary = await harness.text(ann, "skipped")
    assert "Here are your answers" in last_text(summary)

    shown = await harness.tap(bo, await open_link(harness, bo, survey_id), "A")
    shown = await harness.tap(bo, shown, "B")
    shown = await harness.tap(bo, shown, "Done")
    shown = await harness.text(bo, "something")
    assert "Differs A" in last_text(shown) and "Question 3 of 5" in last_text(shown)
    shown = await harness.text(bo, "differs")
    assert "Includes B" in last_text(shown)
    shown = await harness.text(bo, "includes")
    assert "Opt given" in last_text(shown)
    summary = await harness.text(bo, "given")
    assert "Here are your answers" in last_text(summary)


async def test_edit_from_the_summary_returns_to_the_summary(harness: Harness) -> None:
    survey_id = await add_survey(harness, short_survey())
    ann = await resident(harness)
    summary = await answer_short(harness, ann, survey_id)
    assert "1. Favourite season?\n→ Summer" in last_text(summary)

    shown = await harness.tap(ann, summary, "Edit 1")
    assert "Favourite season?" in last_text(shown) and "‹ Summary" in str(shown)
    summary = await harness.tap(ann, shown, "Winter")
    assert "→ Winter" in last_text(summary) and "Submit" in str(summary)
    shown = await harness.tap(ann, summary, "Edit 2")
    shown = await harness.text(ann, "Snow")  # a typed answer returns to the summary as well
    assert "→ Snow" in last_text(shown)
    shown = await harness.tap(ann, shown, "Edit 2")
    summary = await harness.tap(ann, shown, "‹ Summary")
    assert "→ Snow" in last_text(summary)
    thanks = await harness.tap(ann, summary, "Submit")
    assert "Thanks for your time!" in texts(thanks)  # the survey's own thank-you
    assert (await answers(harness))["season"] == [(0, "winter", None, None)]


def short_survey(**settings: Any) -> SurveyDefinition:
    return SurveyDefinition(
        id="seasons",
        title="Seasons",
        thank_you="Thanks for your time!",
        settings=Settings(**settings),
        questions=[
            Question(
                id="season",
                type=Q.SINGLE_CHOICE,
                text="Favourite season?",
                options=options("Summer", "Winter"),
            ),
            Question(id="why", type=Q.SHORT_TEXT, text="Why?"),
        ],
    )


async def answer_short(harness: Harness, who: Person, survey_id: int) -> list[Effect]:
    await harness.tap(who, await open_link(harness, who, survey_id), "Summer")
    return await harness.text(who, "Warm evenings")


async def test_resume_after_a_restart(harness: Harness) -> None:
    survey_id = await add_survey(harness, park_survey())
    ann = await resident(harness)
    shown = await harness.tap(ann, await open_link(harness, ann, survey_id), "Daily")
    await harness.tap(ann, shown, "Trees")
    harness.restart()

    shown = await harness.press(ann, encode(payload("sv.take", survey_id)))
    text = last_text(shown)
    assert text.startswith("Welcome back! Let's continue where you left off.")
    assert "What do you like?" in text and "Your answer: Trees" in text
    shown = await harness.tap(ann, shown, "Done")
    shown = await harness.tap(ann, shown, "3")
    shown = await harness.tap(ann, shown, "8")
    shown = await harness.tap(ann, shown, "No")
    for name in ("Light", "Quiet", "Play"):
        shown = await harness.tap(ann, shown, name)
    assert "How old are you?" in last_text(shown)
    harness.restart()

    # A typed answer is expected across the restart too.
    shown = await harness.text(ann, "33")
    assert "When did you last go?" in last_text(shown)
    shown = await harness.tap(ann, shown, "Skip")
    shown = await harness.tap(ann, shown, "Skip")
    assert "Here are your answers" in last_text(shown)
    assert "(skipped)" in last_text(shown)
    harness.restart()
    shown = await open_link(harness, ann, survey_id)
    assert "Here are your answers" in last_text(shown)  # resumes at the summary
    thanks = await harness.tap(ann, shown, "Submit")
    assert "Thank you!" in texts(thanks)


async def test_stale_and_forged_buttons_change_nothing(harness: Harness) -> None:
    survey_id = await add_survey(harness, park_survey())
    ann, bo = await resident(harness, "Ann"), await resident(harness, "Bo")
    first = await open_link(harness, ann, survey_id)
    second = await harness.tap(ann, first, "Weekly")
    before = await answers(harness)

    stale = await harness.tap(ann, first, "Daily")  # a button of the previous question
    assert "no longer valid" in texts(stale) and not messages(stale)
    forged = [
        payload("sv.a", survey_id, "likes", "n", 0),  # a single answer for a multiple choice
        payload("sv.t", survey_id, "likes", "n", 9),  # an option that does not exist
        payload("sv.t", survey_id, "likes", "z", 0),  # an unknown mode
        payload("sv.t", survey_id + 1, "likes", "n", 0),  # another survey
        payload("sv.s", survey_id, "likes", "n"),  # skipping a required question
        payload("sv.sub", survey_id),  # submitting before the summary
        payload("sv.e", survey_id, "visit"),  # editing before the summary
        payload("sv.t", survey_id, "nope", "n", 0),  # an unknown question
        payload("sv.t", 10**15, "likes", "n", 0),  # an id no survey can have
    ]
    for data in forged:
        effects = await harness.press(ann, encode(data))
        assert "no longer valid" in texts(effects), data
        assert not messages(effects), data
    assert "no longer valid" in texts(await harness.press(ann, "1:sv.t:" + "x" * 50))
    assert "not valid" in texts(await harness.press(ann, encode(payload("sv.take", 10**15))))
    # Bo has no response: Ann's buttons do nothing for him.
    assert "no longer valid" in texts(await harness.tap(bo, second, "Trees"))
    assert await answers(harness) == before
    assert len(await rows(harness, SurveyResponse)) == 1

    # The survey closes: every button of it says so, the answers so far are kept.
    async with harness.database.unit_of_work() as uow:
        survey = await uow.surveys.get(survey_id)
        assert survey is not None
        survey.status = SurveyStatus.CLOSED
        await uow.commit()
    closed = await harness.tap(ann, second, "Trees")
    assert texts(closed) == "This survey has closed; your answers so far are kept."
    assert await answers(harness) == before
    assert "has closed" in texts(await open_link(harness, ann, survey_id))


async def test_a_typed_answer_after_the_survey_closed(harness: Harness) -> None:
    survey_id = await add_survey(harness, short_survey())
    ann = await resident(harness)
    await harness.tap(ann, await open_link(harness, ann, survey_id), "Summer")
    harness.clock.advance(days=1)
    async with harness.database.unit_of_work() as uow:
        survey = await uow.surveys.get(survey_id)
        assert survey is not None
        survey.closes_at = harness.clock.now() - timedelta(hours=1)
        await uow.commit()
    late = await harness.text(ann, "Warm evenings")
    assert texts(late) == "This survey has closed; your answers so far are kept."
    assert "why" not in await answers(harness)
    assert await rows(harness, ConversationState) == []


async def test_who_may_answer(harness: Harness) -> None:
    group_only = await add_survey(
        harness, short_survey(audience={"kind": "group", "chat_id": -100555})
    )
    ann = await resident(harness)
    refused = await open_link(harness, ann, group_only)
    assert "for a particular group of residents" in texts(refused)
    async with harness.database.unit_of_work() as uow:
        member = await uow.members.get_by_telegram_id(ann.user_id)
        assert member is not None
        await uow.chats.register(-100555, "Elm Street", "supergroup", None, harness.clock.now())
        await uow.chats.add_member(-100555, member.id, harness.clock.now())
        await uow.commit()
    assert "Favourite season?" in texts(await open_link(harness, ann, group_only))

    draft = await add_survey(harness, park_survey(), status=SurveyStatus.DRAFT)
    assert "that link is not valid" in texts(await open_link(harness, ann, draft))
    assert "that link is not valid" in texts(await open_link(harness, ann, 999))
    assert "not valid" in texts(await harness.command(ann, "start", "survey-abc"))

    stranger = person("Stu")
    assert "press /start first" in texts(
        await harness.press(stranger, encode(payload("sv.take", draft)))
    )


async def test_max_responses_closes_the_survey(harness: Harness) -> None:
    survey_id = await add_survey(harness, short_survey(max_responses=1))
    ann, bo, cy = [await resident(harness, n) for n in ("Ann", "Bo", "Cy")]
    await harness.tap(bo, await open_link(harness, bo, survey_id), "Winter")  # Bo stops half-way
    await harness.tap(ann, await answer_short(harness, ann, survey_id), "Submit")
    async with harness.database.unit_of_work() as uow:
        survey = await uow.surveys.get(survey_id)
        assert survey is not None and survey.status is SurveyStatus.CLOSED
    assert "has closed" in texts(await open_link(harness, cy, survey_id))
    (notice,) = await rows(harness, OutboxMessage)  # Bo, half-way, is told it closed
    assert notice.chat_id == bo.user_id and "has closed" in notice.payload["text"]
    assert "your answers so far are kept" in texts(await open_link(harness, bo, survey_id))
    assert sorted((await answers(harness))["season"]) == [
        (0, "summer", None, None),
        (0, "winter", None, None),
    ]


async def test_max_responses_refuses_a_new_respondent(harness: Harness) -> None:
    survey_id = await add_survey(harness, short_survey(max_responses=1))
    ann, bo = await resident(harness, "Ann"), await resident(harness, "Bo")
    await harness.tap(bo, await open_link(harness, bo, survey_id), "Winter")
    async with harness.database.unit_of_work() as uow:
        survey = await uow.surveys.get(survey_id)
        assert survey is not None
        response, _created = await uow.responses.start(
            survey_id, "m:999", None, "en", None, harness.clock.now()
        )
        response.status = ResponseStatus.COMPLETE
        await uow.commit()
    assert "already has all the responses it needs" in texts(
        await open_link(harness, ann, survey_id)
    )


async def test_an_editable_survey_can_be_changed_after_submitting(harness: Harness) -> None:
    survey_id = await add_survey(harness, short_survey(editable=True))
    ann = await resident(harness)
    await harness.tap(ann, await answer_short(harness, ann, survey_id), "Submit")
    summary = await open_link(harness, ann, survey_id)
    assert "You can change your answers until the survey closes." in last_text(summary)
    shown = await harness.tap(ann, summary, "Edit 1")
    summary = await harness.tap(ann, shown, "Winter")
    saved = await harness.tap(ann, summary, "Save changes")
    assert "Thanks for your time!" in texts(saved)
    (response,) = await rows(harness, SurveyResponse)
    assert response.status is ResponseStatus.COMPLETE
    assert (await answers(harness))["season"] == [(0, "winter", None, None)]


async def test_an_anonymous_response_holds_no_identity(harness: Harness) -> None:
    survey_id = await add_survey(harness, short_survey(anonymous=True))
    harness.clock.advance(hours=5, minutes=17)
    ann = await resident(harness)
    await harness.tap(ann, await answer_short(harness, ann, survey_id), "Submit")
    async with harness.database.unit_of_work() as uow:
        member = await uow.members.get_by_telegram_id(ann.user_id)
        assert member is not None
    (response,) = await rows(harness, SurveyResponse)
    keyed = hmac.new(b"townsquare", f"{survey_id}:{ann.user_id}".encode(), hashlib.sha256)
    assert response.member_id is None and response.respondent == "a:" + keyed.hexdigest()[:40]
    midnight = harness.clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    assert response.started_at == response.submitted_at == response.updated_at == midnight
    for answer in await rows(harness, SurveyAnswer):
        assert answer.answered_at == midnight
        assert answer.response_id == response.id
    for row in [response, *await rows(harness, SurveyAnswer)]:
        values = [str(getattr(row, column.key)) for column in row.__table__.columns]
        assert str(ann.user_id) not in " ".join(values)
    (contact,) = await rows(harness, SurveyContact)  # who took part, not what they said
    assert contact.member_id == member.id and contact.finished
    again = await open_link(harness, ann, survey_id)  # the pseudonym still refuses a second
    assert "You have already answered this survey" in texts(again)


async def test_concurrent_taps_create_one_response(harness: Harness) -> None:
    survey_id = await add_survey(harness, park_survey())
    ann = await resident(harness)
    data = encode(payload("sv.take", survey_id))
    await asyncio.gather(harness.press(ann, data), harness.press(ann, data))
    assert len(await rows(harness, SurveyResponse)) == 1
    assert len(await rows(harness, SurveyContact)) == 1


async def test_two_instances_starting_at_once_create_one_response(harness: Harness) -> None:
    survey_id = await add_survey(harness, park_survey())
    ann = await resident(harness)
    engines = [
        Engine(harness.database, build_router(), harness.outbound, harness.config, harness.clock)
        for _ in range(2)
    ]
    presses = [
        ButtonPressed(
            update_id=900 + n,
            at=harness.clock.now(),
            chat=private(ann),
            sender=ann,
            callback_id=f"two{n}",
            payload=payload("sv.take", survey_id),
            message_id=7,
        )
        for n in range(2)
    ]
    await asyncio.gather(*(engine.handle(e) for engine, e in zip(engines, presses, strict=True)))
    assert len(await rows(harness, SurveyResponse)) == 1
    shown = [m.text for m in messages(harness.outbound.delivered[-4:])]
    assert sum("Question 1 of 9" in text for text in shown) == 2  # both see the survey


async def test_start_respondent_twice_in_one_transaction(harness: Harness) -> None:
    survey_id = await add_survey(harness, park_survey())
    now = harness.clock.now()
    async with harness.database.unit_of_work() as uow:
        first, created = await uow.responses.start(survey_id, "a:x", None, "en", "visit", now)
        second, again = await uow.responses.start(survey_id, "a:x", None, "en", "visit", now)
        await uow.commit()
    assert created and not again and first.id == second.id


async def test_mydata_and_forget(harness: Harness) -> None:
    identified = await add_survey(harness, short_survey())
    anonymous = await add_survey(
        harness, short_survey(anonymous=True).model_copy(update={"id": "anon"})
    )
    unfinished = await add_survey(harness, park_survey())
    ann = await resident(harness)
    await harness.tap(ann, await answer_short(harness, ann, identified), "Submit")
    await harness.tap(ann, await answer_short(harness, ann, anonymous), "Submit")
    await harness.tap(ann, await open_link(harness, ann, unfinished), "Weekly")

    exported = await harness.command(ann, "mydata")
    (document,) = [e for e in exported if isinstance(e, SendDocument)]
    section = json.loads(document.content)["surveys"]
    titles = [response["survey"] for response in section["responses"]]
    assert titles == ["Seasons", "Elm Park survey"]
    assert section["responses"][0]["answers"] == [
        {"question": "Favourite season?", "values": [{"choice": "summer"}]},
        {"question": "Why?", "values": [{"text": "Warm evenings"}]},
    ]
    assert "cannot be exported or erased" in section["note"]

    await harness.tap(ann, await harness.command(ann, "forget"), "Yes, erase")
    statuses = {r.survey_id: r.status for r in await rows(harness, SurveyResponse)}
    assert statuses == {identified: ResponseStatus.COMPLETE, anonymous: ResponseStatus.COMPLETE}
    left = [(a.survey_id, a.question_id, a.text) for a in await rows(harness, SurveyAnswer)]
    assert (identified, "season", None) in left and (identified, "why", "Warm evenings") not in left
    assert (anonymous, "why", "Warm evenings") in left  # not linked, so not erasable
    lines = {r.survey_id: r.cells for r in await rows(harness, SurveyResponse)}
    assert lines == {identified: "summer,", anonymous: "summer,Warm evenings"}  # exports too
    assert await rows(harness, SurveyContact) == []


async def test_text_for_a_button_question_gets_a_hint(harness: Harness) -> None:
    survey_id = await add_survey(harness, park_survey())
    ann = await resident(harness)
    await open_link(harness, ann, survey_id)
    shown = await harness.text(ann, "weekly")
    assert last_text(shown).startswith("Please answer with the buttons above.")
    assert "How often do you visit?" in last_text(shown) and "Weekly" in str(shown)
    assert await answers(harness) == {}


async def test_a_take_button_in_a_group_opens_the_survey_in_private(harness: Harness) -> None:
    survey_id = await add_survey(harness, park_survey())
    ann = await resident(harness)
    shown = await harness.press(ann, encode(payload("sv.take", survey_id)), chat=group())
    assert "I've sent you the survey in our private chat." in texts(toasts(shown))
    (question,) = messages(shown)
    assert isinstance(question, SendMessage) and question.chat_id == ann.user_id
    assert "How often do you visit?" in question.text


async def test_followers_only_and_not_yet_open(harness: Harness) -> None:
    async with harness.database.unit_of_work() as uow:
        await add_followable(uow, FollowKind.TOPIC, "parks", {"en": "Parks"}, harness.clock.now())
        await uow.commit()
    followers = await add_survey(
        harness, park_survey(audience={"kind": "followers", "followable": "parks"})
    )
    ann = await resident(harness)  # follows Parks while onboarding
    bo = person("Bo")
    await harness.tap(bo, await harness.command(bo, "start"), "English")
    await harness.tap(bo, await harness.press(bo, encode(payload("consent", "yes"))), "Done")
    assert "How often do you visit?" in texts(await open_link(harness, ann, followers))
    assert "for a particular group" in texts(await open_link(harness, bo, followers))

    later = harness.clock.now() + timedelta(days=2)
    soon = await add_survey(
        harness, short_survey(opens_at=later).model_copy(update={"id": "later"})
    )
    assert "This survey opens on 2026-12-01 12:00." in texts(await open_link(harness, ann, soon))


async def test_answers_in_the_respondents_language(harness: Harness) -> None:
    survey_id = await add_survey(harness, park_survey())
    li = person("Li", "zh-hans")
    await onboard(harness, li, language="中文")
    shown = await open_link(harness, li, survey_id)
    assert last_text(shown).startswith("榆树公园调查")
    assert "你多久去一次？" in last_text(shown)
    assert "Think of the last month." in last_text(shown)  # no translation: the default
    (response,) = await rows(harness, SurveyResponse)
    assert response.language == "zh_Hans"


async def test_picks_below_the_minimum_and_keeping_an_answer(harness: Harness) -> None:
    definition = SurveyDefinition(
        id="picks",
        title="Picks",
        questions=[
            Question(id="first", type=Q.YES_NO, text="First?"),
            Question(
                id="two",
                type=Q.MULTIPLE_CHOICE,
                text="Pick two",
                options=options("A", "B", "C"),
                min_picks=2,
                max_picks=2,
            ),
        ],
    )
    survey_id = await add_survey(harness, definition)
    ann = await resident(harness)
    shown = await harness.tap(ann, await open_link(harness, ann, survey_id), "No")
    assert "Pick 2, then press Done." in last_text(shown)
    shown = await harness.tap(ann, shown, "B")
    refused = await harness.tap(ann, shown, "Done")
    assert "Please pick at least 2." in texts(toasts(refused)) and not messages(refused)
    back = await harness.tap(ann, shown, "‹ Back")
    assert "Your answer: No" in last_text(back)
    shown = await harness.tap(ann, back, "Keep ›")
    assert "Pick two" in last_text(shown) and "✓ B" in str(shown)
    summary = await harness.tap(ann, await harness.tap(ann, shown, "C"), "Done")
    assert "→ B, C" in last_text(summary)
    assert (await answers(harness))["first"] == [(0, "no", None, None)]
