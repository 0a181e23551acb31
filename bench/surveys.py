"""Surveys benchmark: /results and the CSV over 100,000 responses, and answers per second.

(a) A scratch database gets a 10-question survey (every kind of question) and 100,000 stored
responses; the benchmark times what `/results` does (count the results, write the report) and
what the CSV button does (read every answer, write the file). Target: under 1 s each on SQLite.

(b) Simulated respondents complete the survey in process through the full stack (aiogram's
dispatcher, translation, the engine, the answering flow, the outbound path), pressing the
buttons of the bot's previous reply as a real client would; answers/s is printed next to bare
aiogram's dispatch rate measured in the same run. Target: ratio >= 0.5.

    python bench/surveys.py [--responses 100000] [--respondents 200] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

# `inprocess` (beside this script) also puts the checkout on sys.path for the imports after it.
from inprocess import (
    BOT_ID,
    FIRST_PERSON,
    TOKEN,
    InstantSession,
    Stack,
    bare_aiogram,
    seed_members,
    townsquare_stack,
)
from scratch import scratch_database
from sqlalchemy import func, insert, select, text

from bot.gc_tuning import tune_garbage_collection
from flows.i18n import translator
from flows.survey.definition import SurveyDefinition
from flows.survey.export import answer_line, export_table, to_csv
from flows.survey.results import survey_results
from flows.survey.results_text import full_report, summary
from storage.db import Database
from storage.migrate import upgrade
from storage.models import (
    ResponseStatus,
    Survey,
    SurveyAnswer,
    SurveyResponse,
    SurveyStatus,
)
from storage.repositories.survey_responses import Answers, AnswerValue

TARGET_SECONDS = 1.0
OPTIONS = ["bus", "bike", "car", "walk", "train"]
ISSUES = ["parks", "noise", "traffic", "safety", "schools", "shops"]
PRIORITIES = ["housing", "transport", "greenery", "culture"]
SURVEY = {
    "title": {"en": "Our neighbourhood", "zh_Hans": "我们的社区"},
    "settings": {"remind_after_hours": 0},
    "questions": [
        {
            "id": "commute",
            "type": "single_choice",
            "text": "How do you get to work?",
            "options": [{"id": o, "text": o.title()} for o in OPTIONS],
            "other": True,
        },
        {
            "id": "issues",
            "type": "multiple_choice",
            "text": "What matters most?",
            "options": [{"id": o, "text": o.title()} for o in ISSUES],
            "other": True,
            "max_picks": 3,
        },
        {
            "id": "happy",
            "type": "scale",
            "text": "How happy are you here?",
            "min_label": "not at all",
            "max_label": "very",
        },
        {"id": "recommend", "type": "nps", "text": "Would you recommend living here?"},
        {"id": "stay", "type": "yes_no", "text": "Will you live here in five years?"},
        {
            "id": "priorities",
            "type": "ranking",
            "text": "Rank what the council should fund",
            "options": [{"id": o, "text": o.title()} for o in PRIORITIES],
        },
        {"id": "rent", "type": "number", "text": "Your monthly rent?", "min": 0},
        {"id": "moved", "type": "date", "text": "When did you move in?"},
        {"id": "idea", "type": "short_text", "text": "One idea for the area"},
        {"id": "comments", "type": "long_text", "text": "Anything else?", "required": False},
    ],
}
TEXTS = {
    "en": ["More trees on the high street please", "A safer crossing near the school"],
    "zh": ["希望公园里多一些长椅", "晚上路灯太暗了"],
    "fr": ["Plus de pistes cyclables dans le quartier"],
}


async def add_survey(database: Database, slug: str, status: SurveyStatus) -> int:
    """Store the benchmark's survey under `slug`; return its id."""
    now = datetime.now(UTC)
    async with database.unit_of_work() as uow:
        survey = Survey(
            slug=slug,
            title=SURVEY["title"],
            definition={**SURVEY, "id": slug},
            status=status,
            anonymous=False,
            created_at=now,
            updated_at=now,
            closed_at=now if status is SurveyStatus.CLOSED else None,
        )
        await uow.surveys.add(survey)
        await uow.commit()
        return survey.id


async def seed_responses(database_url: str, count: int) -> int:
    """Store the survey and `count` responses (85% submitted); return the survey's id."""
    rng = random.Random(4)
    now = datetime.now(UTC).replace(microsecond=0)
    database = Database(database_url)
    try:
        survey_id = await add_survey(database, "stored", SurveyStatus.CLOSED)
        question_ids = [q["id"] for q in SURVEY["questions"]]  # type: ignore[index]
        definition = SurveyDefinition.model_validate({**SURVEY, "id": "stored"})
        async with database.engine.begin() as connection:
            for start in range(0, count, 10_000):
                responses, answered = [], []
                for n in range(start + 1, min(start + 10_000, count) + 1):
                    complete = rng.random() < 0.85
                    reached = 10 if complete else rng.randrange(0, 11)
                    rows = _answers(rng, survey_id, question_ids[:reached], now)
                    answered.append(rows)
                    responses.append(
                        {
                            "survey_id": survey_id,
                            "respondent": f"m:{n}",
                            "member_id": None,
                            "status": ResponseStatus.COMPLETE
                            if complete
                            else ResponseStatus.IN_PROGRESS,
                            "current": None if reached == 10 else question_ids[reached],
                            "language": "en" if n % 3 else "zh_Hans",
                            "started_at": now - timedelta(hours=2),
                            "updated_at": now,
                            "submitted_at": now if complete else None,
                            "cells": answer_line(definition, _as_answers(rows)),
                        }
                    )
                statement = insert(SurveyResponse).returning(
                    SurveyResponse.id, sort_by_parameter_order=True
                )
                ids = (await connection.execute(statement, responses)).scalars().all()
                for response_id, rows in zip(ids, answered, strict=True):
                    for row in rows:
                        row["response_id"] = response_id
                await connection.execute(
                    insert(SurveyAnswer), [r for rows in answered for r in rows]
                )
        if database.is_postgresql:
            # As autovacuum would soon: otherwise it analyses the new rows while (b) runs and
            # takes one of the machine's cores from it.
            async with database.engine.connect() as connection:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.execute(text("VACUUM ANALYZE"))
        return survey_id
    finally:
        await database.dispose()


def _as_answers(rows: list[dict[str, Any]]) -> Answers:
    answers: Answers = {}
    for row in rows:
        value = AnswerValue(row["choice"], row["number"], row["text"], row["language"])
        answers.setdefault(row["question_id"], []).append(value)
    return answers


def _answers(
    rng: random.Random, survey_id: int, questions: list[str], at: datetime
) -> list[dict[str, Any]]:
    """The answer rows of one response (its id is filled in once the response is stored)."""
    rows: list[dict[str, Any]] = []

    def add(question: str, position: int = 0, **values: Any) -> None:
        row = {"choice": None, "number": None, "text": None, "language": None, **values}
        rows.append(
            {
                "question_id": question,
                "position": position,
                "survey_id": survey_id,
                "answered_at": at,
                **row,
            }
        )

    def free_text() -> tuple[str, str]:
        language = rng.choice(["en", "en", "zh", "fr"])
        return rng.choice(TEXTS[language]), language

    for question in questions:
        if question == "commute":
            if rng.random() < 0.05:
                text, language = free_text()
                add(question, choice="other", text=text, language=language)
            else:
                add(question, choice=rng.choice(OPTIONS))
        elif question == "issues":
            picks = sorted(rng.sample(range(len(ISSUES)), rng.randint(1, 3)))
            for position, pick in enumerate(picks):
                add(question, position, choice=ISSUES[pick])
        elif question == "happy":
            add(question, number=rng.randint(1, 5))
        elif question == "recommend":
            add(question, number=rng.randint(0, 10))
        elif question == "stay":
            add(question, choice=rng.choice(["yes", "no"]))
        elif question == "priorities":
            for position, option in enumerate(rng.sample(PRIORITIES, len(PRIORITIES))):
                add(question, position, choice=option, number=position + 1)
        elif question == "rent":
            add(question, number=round(rng.uniform(300, 3000), 2))
        elif question == "moved":
            day = datetime(2000, 1, 1) + timedelta(days=rng.randrange(9000))
            add(question, text=day.date().isoformat())
        elif question == "idea" or rng.random() < 0.3:
            text, language = free_text()
            add(question, text=text, language=language)
    return rows


async def time_results(database_url: str, survey_id: int) -> tuple[float, float, int, int]:
    """Seconds to build /results (the value and its text) and the CSV, and their sizes."""
    database = Database(database_url)
    t = translator("en")
    try:
        started = time.perf_counter()
        async with database.unit_of_work() as uow:
            survey = await uow.surveys.get(survey_id)
            assert survey is not None
            results = await survey_results(uow, survey)
        report = full_report(results, t)
        summary(results, t)
        results_seconds = time.perf_counter() - started

        started = time.perf_counter()
        async with database.unit_of_work() as uow:
            survey = await uow.surveys.get(survey_id)
            assert survey is not None
            table = await export_table(uow, survey, "en")
        content = await asyncio.to_thread(to_csv, table)
        csv_seconds = time.perf_counter() - started
        return results_seconds, csv_seconds, len(report), len(content)
    finally:
        await database.dispose()


SCREEN = "Question 3 of 10\n\nHow happy are you here?\n1 = not at all, 5 = very"
TYPED = {"rent": "1250", "moved": "2015-06-01", "idea": TEXTS["en"][0], "comments": TEXTS["fr"][0]}


class Respondents:
    """People answering the survey in their private chats, each pressing the buttons of the
    bot's latest reply (or typing, where a question asks for it), as a Telegram client would.
    """

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.updates = 0
        self.sent: list[dict[str, Any]] = []  # every update, as JSON, for the bare replay
        self._update_ids = itertools.count(1)
        self._handled: dict[int, asyncio.Future[None]] = {}

    async def handled(self, event: Any) -> None:
        """Called by the stack once an update has been handled and its replies sent."""
        future = self._handled.pop(event.update_id, None)
        if future is not None:
            future.set_result(None)

    async def complete(self, user_id: int, survey_id: int, rng: random.Random) -> None:
        """Open the survey by its deep link, answer every question, then submit."""
        await self._send(user_id, text=f"/start survey-{survey_id}")
        picked = False  # a multiple choice question has one pick: press Done
        while True:
            buttons = self._buttons(user_id)
            actions = {data.split(":")[1] for data in buttons}
            if "sv.sub" in actions:
                await self._press(user_id, _first(buttons, "sv.sub"))
                return
            if "sv.r" in actions:  # rank the options in the order shown
                await self._press(user_id, _first(buttons, "sv.r"))
            elif "sv.t" in actions and not picked:
                toggles = [d for d in buttons if d.startswith("1:sv.t:") and not d.endswith(":o")]
                await self._press(user_id, rng.choice(toggles))
                picked = True
            elif "sv.d" in actions:
                await self._press(user_id, _first(buttons, "sv.d"))
                picked = False
            elif choices := [
                d for d in buttons if d.startswith("1:sv.a:") and not d.endswith(":o")
            ]:
                await self._press(user_id, rng.choice(choices))
            else:  # a typed question: its id is in the navigation buttons' data
                await self._send(user_id, text=TYPED[buttons[0].split(":")[3]])

    def _buttons(self, user_id: int) -> list[str]:
        messages = self.stack.session.chats.get(user_id, [])
        latest = max((m for m in messages if m.keyboard), key=lambda m: m.message_id)
        assert latest.keyboard is not None
        return [
            button.callback_data
            for row in latest.keyboard.inline_keyboard
            for button in row
            if button.callback_data
        ]

    async def _press(self, user_id: int, data: str) -> None:
        messages = self.stack.session.chats[user_id]
        message = max((m for m in messages if m.keyboard), key=lambda m: m.message_id)
        await self._send(user_id, data=data, message_id=message.message_id)

    async def _send(
        self, user_id: int, *, text: str | None = None, data: str | None = None, message_id: int = 0
    ) -> None:
        update_id = next(self._update_ids)
        person = {"id": user_id, "is_bot": False, "first_name": "Resident"}
        chat = {"id": user_id, "type": "private", "first_name": "Resident"}
        if data is not None:
            bot = {"id": BOT_ID, "is_bot": True, "first_name": "Bench"}
            message = {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": chat,
                "from": bot,
            }
            body: dict[str, Any] = {
                "callback_query": {
                    "id": str(update_id),
                    "from": person,
                    "chat_instance": str(user_id),
                    "message": {**message, "text": "…"},
                    "data": data,
                }
            }
        else:
            assert text is not None
            entities = (
                [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
                if text.startswith("/")
                else []
            )
            body = {
                "message": {
                    "message_id": update_id,
                    "date": int(time.time()),
                    "chat": chat,
                    "from": person,
                    "text": text,
                    "entities": entities,
                }
            }
        raw = {"update_id": update_id, **body}
        self.sent.append(raw)
        update = Update.model_validate(raw, context={"bot": self.stack.bot})
        done = self._handled[update_id] = asyncio.get_running_loop().create_future()
        self.updates += 1
        await self.stack.dispatcher.feed_update(self.stack.bot, update)
        await done


def _first(buttons: list[str], action: str) -> str:
    return next(data for data in buttons if data.split(":")[1] == action)


@dataclass
class AnswerRun:
    """What the respondents did: how long it took, what it stored, the updates they sent."""

    seconds: float
    answers: int
    submitted: int
    updates: list[dict[str, Any]]


async def answer_rate(database_url: str, respondents: int) -> AnswerRun:
    """`respondents` people complete the survey at once through the full stack."""
    database = Database(database_url)
    try:
        survey_id = await add_survey(database, "live", SurveyStatus.OPEN)
    finally:
        await database.dispose()
    people: Respondents | None = None

    async def handled(event: Any) -> None:
        assert people is not None
        await people.handled(event)

    async with townsquare_stack(database_url, handled) as stack:
        people = Respondents(stack)
        rngs = [random.Random(n) for n in range(respondents)]
        started = time.perf_counter()
        await asyncio.gather(
            *(people.complete(FIRST_PERSON + n, survey_id, rngs[n]) for n in range(respondents))
        )
        seconds = time.perf_counter() - started
    database = Database(database_url)
    try:
        async with database.unit_of_work() as uow:
            submitted = await uow.session.scalar(
                select(func.count()).where(
                    SurveyResponse.survey_id == survey_id,
                    SurveyResponse.status == ResponseStatus.COMPLETE,
                )
            )
            answers = await uow.session.scalar(
                select(func.count()).where(
                    SurveyAnswer.survey_id == survey_id, SurveyAnswer.position == 0
                )
            )
    finally:
        await database.dispose()
    return AnswerRun(seconds, int(answers or 0), int(submitted or 0), people.sent)


async def bare_replay(updates: list[dict[str, Any]]) -> float:
    """Seconds bare aiogram takes to answer the same updates with the same Bot API calls.

    Townsquare answers a press with answerCallbackQuery and editMessageText (the next
    question, with its buttons) and a typed answer or /start with sendMessage; the bare
    handlers make exactly those calls with a question-sized screen, and nothing else. Like the
    respondents, it builds each update from its JSON inside the timed run.
    """
    bot = Bot(TOKEN, session=InstantSession())
    dispatcher = Dispatcher()

    def keyboard() -> InlineKeyboardMarkup:  # built per reply, as a bot shows the next question
        return InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(text=str(n), callback_data=f"1:sv.a:1:happy:o:{n}")
                    for n in range(1, 6)
                ],
                [InlineKeyboardButton(text="‹ Back", callback_data="1:sv.b:1:happy:o")],
            ]
        )

    @dispatcher.callback_query()
    async def pressed(query: CallbackQuery) -> None:
        await query.answer()
        assert isinstance(query.message, Message)
        await query.message.edit_text(SCREEN, reply_markup=keyboard())

    @dispatcher.message()
    async def typed(message: Message) -> None:
        await message.answer(SCREEN, reply_markup=keyboard())

    started = time.perf_counter()
    await asyncio.gather(
        *(
            dispatcher.feed_update(bot, Update.model_validate(raw, context={"bot": bot}))
            for raw in updates
        )
    )
    return time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--respondents", type=int, default=300)
    parser.add_argument("--database-url", help="a PostgreSQL server to use (SQLite otherwise)")
    args = parser.parse_args()

    async with scratch_database(args.database_url) as url:
        await upgrade(url)
        started = time.perf_counter()
        survey_id = await seed_responses(url, args.responses)
        seeded = time.perf_counter() - started
        await time_results(url, survey_id)  # warm up (imports, caches)
        results_seconds, csv_seconds, report_size, csv_size = await time_results(url, survey_id)

        await seed_members(url, args.respondents)
        await bare_aiogram(200, args.respondents)  # warm up
        bare_seconds, _sent = await bare_aiogram(3000, args.respondents)
        run = await answer_rate(url, args.respondents)
        replay_seconds = await bare_replay(run.updates)

    engine = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    help_rate = 3000 / bare_seconds
    answers_per_second = run.answers / run.seconds
    updates = len(run.updates)
    print(
        f"(a) {args.responses} stored responses of a 10-question survey ({engine}, stored in "
        f"{seeded:.0f} s)"
    )
    print(
        f"/results (value + text):  {results_seconds:8.2f} s   (target < {TARGET_SECONDS:.0f} s;"
        f" report {report_size:,} characters)"
    )
    print(
        f"CSV export:               {csv_seconds:8.2f} s   (target < {TARGET_SECONDS:.0f} s;"
        f" {csv_size:,} bytes)"
    )
    print(
        f"(b) {args.respondents} respondents completing the survey at once ({engine}; "
        f"{run.submitted} submitted, {run.answers} answers in {updates} updates)"
    )
    print(
        f"Townsquare:                        {answers_per_second:6.0f} answers/s "
        f"({updates / run.seconds:.0f} updates/s)"
    )
    print(
        f"bare aiogram, the same updates:    {run.answers / replay_seconds:6.0f} answers/s "
        f"({updates / replay_seconds:.0f} updates/s, same calls, no logic or storage)"
    )
    print(f"bare aiogram, /help:               {help_rate:6.0f} updates/s")
    print(f"ratio, like for like (target >= 0.5): {replay_seconds / run.seconds:5.2f}")
    print(f"ratio, answers/s to /help updates/s:  {answers_per_second / help_rate:5.2f}")


if __name__ == "__main__":
    tune_garbage_collection()  # as `townsquare run` does; both sides run under it
    asyncio.run(main())
