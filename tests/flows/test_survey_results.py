"""/results, the CSV and Excel exports, and publishing results to participants."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from flows.codec import encode, payload
from flows.effects import Effect, SendDocument, SendMessage
from flows.i18n import translator
from flows.survey.export import export_table, to_csv
from flows.survey.results import SurveyResults, survey_results
from flows.survey.results_text import full_report
from storage.db import Database
from storage.models import (
    AuditEntry,
    Member,
    OutboxMessage,
    Role,
    Survey,
    SurveyResponse,
    SurveyStatus,
)
from tests.flows.harness import Harness, Person, find_button, group, person, texts, toasts
from tests.flows.survey_data import (
    add_survey,
    date,
    member_of,
    number,
    picks,
    ranks,
    store_response,
    text,
)
from tests.flows.test_account import onboard
from tests.flows.test_groups_and_roles import OWNER

NEIGHBOURHOOD: dict[str, Any] = {
    "id": "town-2027",
    "title": {"en": "Town survey", "zh_Hans": "社区调查"},
    "questions": [
        {"id": "transport", "type": "single_choice", "text": "How do you travel?",
         "options": [{"id": "bus", "text": "Bus"}, {"id": "bike", "text": "Bike"}],
         "other": True},
        {"id": "issues", "type": "multiple_choice", "text": "What matters?",
         "options": [{"id": "parks", "text": "Parks"}, {"id": "noise", "text": "Noise"},
                     {"id": "traffic", "text": "Traffic"}], "other": True},
        {"id": "happy", "type": "scale", "text": "How happy are you here?",
         "min_label": "not at all", "max_label": "very"},
        {"id": "recommend", "type": "nps", "text": "Would you recommend the town?"},
        {"id": "stay", "type": "yes_no", "text": "Will you stay?"},
        {"id": "fund", "type": "ranking", "text": "Rank what to fund",
         "options": [{"id": "a", "text": "Arts"}, {"id": "b", "text": "Buses"},
                     {"id": "c", "text": "Cycling"}]},
        {"id": "budget", "type": "number", "text": "Your budget?"},
        {"id": "idea", "type": "short_text", "text": "One idea"},
        {"id": "moved", "type": "date", "text": "When did you move in?", "required": False},
    ],
}  # fmt: skip

ANSWERS: list[tuple[dict[str, Any], dict[str, Any]]] = [
    (
        {},
        {"transport": picks("bus"), "issues": picks("parks", "noise"), "happy": number(5),
         "recommend": number(10), "stay": picks("yes"), "fund": ranks("a", "b", "c"),
         "budget": number(10), "idea": text("More benches in the park please", "en"),
         "moved": date("2020-01-05")},
    ),
    (
        {"language": "zh_Hans"},
        {"transport": picks("bike"), "issues": picks("parks"), "happy": number(4),
         "recommend": number(9), "stay": picks("no"), "fund": ranks("b", "a", "c"),
         "budget": number(20), "idea": text("希望公园里多一些长椅", "zh"),
         "moved": date("2021-03-01")},
    ),
    (
        {},
        {"transport": picks(("other", "Tram")), "issues": picks("noise", ("other", "Dogs")),
         "happy": number(2), "recommend": number(3), "stay": picks("yes"),
         "fund": ranks("a", "c", "b"), "budget": number(35),
         "idea": text("Fix the potholes on Elm Street", "en")},
    ),
    (
        {},
        {"transport": picks("bus"), "issues": picks("traffic"), "happy": number(3),
         "recommend": number(7), "stay": picks("yes"), "fund": ranks("a", "b", "c"),
         "budget": number(1000), "idea": text("Longer library hours", "en"),
         "moved": date("2019-07-30")},
    ),
    (
        {"complete": False, "current": "happy"},
        {"transport": picks("bus"), "issues": picks("parks")},
    ),
    ({"complete": False, "current": "transport"}, {}),
    (
        {"complete": False, "current": None},
        {"transport": picks("bike"), "issues": picks("noise"), "happy": number(4),
         "recommend": number(9), "stay": picks("no"), "fund": ranks("c", "b", "a"),
         "budget": number(5), "idea": text("ok", None)},
    ),
]  # fmt: skip

# Names that appear nowhere else, so that a scan for them finds only what identifies people.
NAMES = ("Xanthe", "Bartholomew", "Cosimo", "Dagny", "Evander", "Fenella", "Gulliver")
RESIDENTS = [person(name, "zh-hans" if name == "Bartholomew" else "en") for name in NAMES]


async def town_survey(harness: Harness, *, anonymous: bool = False) -> Survey:
    """The town survey with the seven responses above, from seven onboarded residents."""
    now = harness.clock.now()
    survey = await add_survey(harness.database, NEIGHBOURHOOD, now, anonymous=anonymous)
    for who, (options, answers) in zip(RESIDENTS, ANSWERS, strict=True):
        await onboard(harness, who, "中文" if who.language_code == "zh-hans" else "English")
        member = await member_of(harness.database, who.user_id)
        await store_response(harness.database, survey, answers, now, member=member, **options)
        harness.clock.advance(minutes=7)
    return survey


async def results_of(harness: Harness, survey: Survey) -> SurveyResults:
    async with harness.database.unit_of_work() as uow:
        return await survey_results(uow, survey)


async def organiser(harness: Harness) -> Person:
    await onboard(harness, OWNER)
    return OWNER


def document(effects: list[Effect]) -> SendDocument:
    (found,) = [e for e in effects if isinstance(e, SendDocument)]
    return found


def csv_rows(effects: list[Effect]) -> list[dict[str, str]]:
    content = document(effects).content
    assert content.startswith(b"\xef\xbb\xbf")  # spreadsheets need the BOM to read UTF-8
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


async def test_the_results_count_everything_exactly(harness: Harness) -> None:
    survey = await town_survey(harness)
    results = await results_of(harness, survey)
    assert (results.started, results.submitted, results.at_summary) == (7, 4, 1)
    assert round(results.completion_rate, 1) == 57.1
    by_id = {item.question.id: item for item in results.questions}

    transport = by_id["transport"]
    assert transport.answered == 6
    assert [(s.key, s.count, round(s.percent)) for s in transport.shares] == [
        ("bus", 3, 50),
        ("bike", 2, 33),
        ("other", 1, 17),
    ]
    assert transport.texts == {"en": ["Tram"]} and transport.text_counts == {"en": 1}
    issues = by_id["issues"]
    assert [(s.key, s.count) for s in issues.shares] == [
        ("parks", 3),
        ("noise", 3),
        ("traffic", 1),
        ("other", 1),
    ]
    assert issues.answered == 6 and issues.texts == {"en": ["Dogs"]}

    happy = by_id["happy"]
    assert [(s.key, s.count) for s in happy.shares] == [
        ("1", 0),
        ("2", 1),
        ("3", 1),
        ("4", 2),
        ("5", 1),
    ]
    assert (happy.answered, happy.mean, happy.median) == (5, 3.6, 4)

    recommend = by_id["recommend"]
    assert recommend.nps is not None
    assert (recommend.nps.promoters, recommend.nps.passives, recommend.nps.detractors) == (3, 1, 1)
    assert recommend.nps.score == 40
    assert (recommend.mean, recommend.median) == (7.6, 9)

    assert [(s.key, s.count, s.percent) for s in by_id["stay"].shares] == [
        ("yes", 3, 60),
        ("no", 2, 40),
    ]
    fund = by_id["fund"]
    assert fund.answered == 5
    assert [(r.option, r.average_rank, r.points, r.first) for r in fund.ranking] == [
        ("a", 1.6, 12, 3),
        ("b", 2.0, 10, 1),
        ("c", 2.4, 8, 1),
    ]
    budget = by_id["budget"]
    assert (budget.mean, budget.median, budget.low, budget.high) == (214, 20, 5, 1000)

    idea = by_id["idea"]
    assert idea.text_counts == {"en": 3, "zh": 1, None: 1}
    assert idea.texts["en"] == [
        "More benches in the park please",
        "Fix the potholes on Elm Street",
        "Longer library hours",
    ]
    assert by_id["moved"].dates == ("2019-07-30", "2021-03-01")
    assert by_id["moved"].answered == 3

    stopped = {item.question.id: item.stopped for item in results.questions if item.stopped}
    assert stopped == {"transport": 1, "happy": 1}


async def test_a_number_with_many_values_gets_its_exact_median_from_the_database(
    harness: Harness,
) -> None:
    definition = {
        "id": "ages",
        "title": "Ages",
        "questions": [{"id": "age", "type": "number", "text": "Your age?"}],
    }
    survey = await add_survey(harness.database, definition, harness.clock.now())
    ages = [18, 19, 21, 25, 30, 33, 40, 41, 52, 60, 61, 70, 75, 88.5]  # 14 distinct: no histogram
    for n, age in enumerate(ages):
        await onboard(harness, who := person(f"P{n}"))
        member = await member_of(harness.database, who.user_id)
        await store_response(
            harness.database, survey, {"age": number(age)}, harness.clock.now(), member=member
        )
    (age,) = (await results_of(harness, survey)).questions
    assert age.shares == ()  # too many values to list one by one
    assert (age.answered, age.median, age.low, age.high) == (14, 40.5, 18, 88.5)
    assert age.mean == pytest.approx(sum(ages) / 14)


async def test_the_report_reads_well_in_the_readers_language(harness: Harness) -> None:
    survey = await town_survey(harness)
    results = await results_of(harness, survey)
    report = full_report(results, translator("en"), texts=3)
    assert report.startswith(
        "📊 Results: Town survey\nStatus: open\n"
        "Responses: 7 started, 4 submitted (57% completed)\n\n"
        "1. How do you travel?\nAnswered: 6\n"
        "  Bus    █████░░░░░ 50% (3)\n"
        "  Bike   ███░░░░░░░ 33% (2)\n"
        "  Other  ██░░░░░░░░ 17% (1)\n"
        "Other answers:\n  English (1)\n   • Tram\n"
    )
    assert "  5 (very)        ██░░░░░░░░ 20% (1)" in report
    assert "Mean 3.6, median 4" in report
    assert "NPS: +40 (promoters 3 = 60%, passives 1 = 20%, detractors 1 = 20%)" in report
    assert "  Arts: 12 points, average rank 1.6, first for 3" in report
    assert "Mean 214, median 20 · from 5 to 1000" in report
    assert "From 2019-07-30 to 2021-03-01" in report
    assert "  English (3)\n   • More benches in the park please" in report
    assert "  Chinese (1)\n   • 希望公园里多一些长椅" in report
    assert "  Language not detected (1)\n   • ok" in report
    assert report.endswith(
        "Where the 3 unfinished responses stopped:\n"
        "  1. How do you travel?: 1\n"
        "  3. How happy are you here?: 1\n"
        "  At the summary, not submitted: 1"
    )
    chinese = full_report(results, translator("zh_Hans"))
    assert "社区调查" in chinese.splitlines()[0]


async def test_organisers_see_results_with_export_buttons(harness: Harness) -> None:
    survey = await town_survey(harness)
    boss = await organiser(harness)
    for name in (str(survey.id), "town-2027", "#" + str(survey.id), "TOWN-2027"):
        shown = await harness.command(boss, "results", name)
        (message,) = [e for e in shown if isinstance(e, SendMessage)]
        assert message.text.startswith("📊 Results: Town survey")
        labels = [button.text for row in message.buttons for button in row]
        assert labels == ["CSV", "Excel (XLSX)"]
    pressed = await harness.press(boss, encode(payload("sr.results", survey.id)))
    assert "📊 Results: Town survey" in texts(pressed)
    assert "Which survey?" in texts(await harness.command(boss, "results"))
    unknown = await harness.command(boss, "results", "nope")
    assert texts(unknown) == "There is no survey “nope”. /surveys lists them."
    assert "There is no survey" in texts(await harness.command(boss, "results", "999"))


async def test_residents_may_not_see_results_or_forge_export_buttons(harness: Harness) -> None:
    survey = await town_survey(harness)
    resident = RESIDENTS[0]
    assert "only for organisers" in texts(await harness.command(resident, "results", "1"))
    for action in ("sr.results", "sr.csv", "sr.xlsx"):
        forged = await harness.press(resident, encode(payload(action, survey.id)))
        assert "only for organisers" in texts(forged)
        assert not [e for e in forged if isinstance(e, SendDocument | SendMessage)]
    boss = await organiser(harness)
    in_a_group = encode(payload("sr.csv", survey.id))
    for data, chat in [
        ("1:sr.csv:999", None),
        ("1:sr.xlsx:abc", None),
        ("1:sr.csv", None),
        ("1:sr.results:-1", None),
        (in_a_group, group()),  # results never go to a group, even for an organiser
    ]:
        refused = await harness.press(boss, data, chat=chat)
        assert [t.text for t in toasts(refused)] == [
            "This button is no longer valid. Please use the latest message."
        ]
        assert not [e for e in refused if isinstance(e, SendDocument | SendMessage)]


async def test_moderators_may_see_results_and_export(harness: Harness) -> None:
    await town_survey(harness)
    moderator = RESIDENTS[1]
    async with harness.database.unit_of_work() as uow:
        member = await uow.members.get_by_telegram_id(moderator.user_id)
        assert member is not None
        member.role = Role.MODERATOR
        await uow.commit()
    shown = await harness.command(moderator, "results", "town-2027")
    exported = await harness.tap(moderator, shown, "CSV")
    assert len(csv_rows(exported)) == 7


async def test_the_csv_has_a_row_per_response_and_names_people_of_identified_surveys(
    harness: Harness,
) -> None:
    survey = await town_survey(harness)
    boss = await organiser(harness)
    shown = await harness.command(boss, "results", str(survey.id))
    exported = await harness.tap(boss, shown, "CSV")
    assert document(exported).filename == "town-2027-responses.csv"
    assert document(exported).caption == "7 responses to “Town survey”."
    rows = csv_rows(exported)
    assert list(rows[0]) == [
        "response", "status", "submitted", "language", "name", "username", "telegram_id",
        "transport", "issues", "happy", "recommend", "stay", "fund", "budget", "idea", "moved",
    ]  # fmt: skip
    first, third, unfinished = rows[0], rows[2], rows[5]
    assert first == {
        "response": "1",
        "status": "complete",
        "submitted": "2026-11-29T12:00:00+00:00",
        "language": "en",
        "name": "Xanthe",
        "username": "xanthe",
        "telegram_id": str(RESIDENTS[0].user_id),
        "transport": "bus",
        "issues": "parks; noise",
        "happy": "5",
        "recommend": "10",
        "stay": "yes",
        "fund": "a > b > c",
        "budget": "10",
        "idea": "More benches in the park please",
        "moved": "2020-01-05",
    }
    assert (third["transport"], third["issues"]) == ("other: Tram", "noise; other: Dogs")
    assert rows[1]["language"] == "zh_Hans" and rows[1]["idea"] == "希望公园里多一些长椅"
    assert unfinished["status"] == "incomplete" and unfinished["submitted"] == ""
    assert all(unfinished[q] == "" for q in ("transport", "issues", "idea"))
    await _assert_export_audited(harness.database, "csv")


async def _assert_export_audited(database: Database, kind: str) -> None:
    async with database.unit_of_work() as uow:
        found = (await uow.session.scalars(select(AuditEntry))).all()
    assert any(e.action == "survey.export" and e.details.get("format") == kind for e in found)


async def test_the_xlsx_opens_and_holds_the_same_rows(harness: Harness) -> None:
    survey = await town_survey(harness)
    boss = await organiser(harness)
    shown = await harness.command(boss, "results", str(survey.id))
    rows = csv_rows(await harness.tap(boss, shown, "CSV"))
    workbook = document(await harness.tap(boss, shown, "Excel"))
    assert workbook.filename == "town-2027-responses.xlsx"
    book = load_workbook(io.BytesIO(workbook.content), read_only=True)
    sheet = [list(row) for row in book["Responses"].iter_rows(values_only=True)]
    assert sheet[0] == list(rows[0])
    width = len(sheet[0])  # openpyxl leaves out empty cells at the end of a row
    as_text = [
        ["" if v is None else str(v) for v in row] + [""] * (width - len(row)) for row in sheet[1:]
    ]
    assert as_text == [list(row.values()) for row in rows]
    assert isinstance(sheet[1][sheet[0].index("budget")], int)  # numbers stay numbers
    legend = [list(row) for row in book["Questions"].iter_rows(values_only=True)]
    assert legend[0] == ["question", "type", "text", "options"]
    assert legend[1] == [
        "transport",
        "single_choice",
        "How do you travel?",
        "bus = Bus; bike = Bike",
    ]
    await _assert_export_audited(harness.database, "xlsx")


async def test_anonymous_exports_hold_nothing_that_identifies_anyone(harness: Harness) -> None:
    survey = await town_survey(harness, anonymous=True)
    boss = await organiser(harness)
    shown = await harness.command(boss, "results", str(survey.id))
    csv_export = await harness.tap(boss, shown, "CSV")
    rows = csv_rows(csv_export)
    assert list(rows[0])[:5] == ["response", "status", "submitted", "language", "transport"]
    assert [row["response"] for row in rows] == [str(n) for n in range(1, 8)]
    assert {row["submitted"] for row in rows} == {"2026-11-29", ""}  # the day only
    ideas = ["More benches in the park please", "希望公园里多一些长椅",
             "Fix the potholes on Elm Street", "Longer library hours", "ok", "", ""]  # fmt: skip
    assert sorted(row["idea"] for row in rows) == sorted(ideas)
    xlsx = document(await harness.tap(boss, shown, "Excel")).content
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        inside = b"".join(archive.read(name) for name in archive.namelist())
    async with harness.database.unit_of_work() as uow:
        respondents = [r for (r,) in await uow.session.execute(select(SurveyResponse.respondent))]
    for content in (document(csv_export).content, inside):
        found = content.decode("utf-8-sig")
        for who in RESIDENTS:
            assert who.first_name not in found and str(who.username) not in found
            assert not re.search(rf"(?<!\d){who.user_id}(?!\d)", found)
        for respondent in respondents:
            assert respondent not in found and respondent[2:12] not in found


async def test_long_results_come_as_a_summary_and_a_document(harness: Harness) -> None:
    questions = [
        {
            "id": f"q{n}",
            "type": "single_choice",
            "text": f"Question {n}: how do you feel about the plans for the old mill site?",
            "options": [{"id": f"o{k}", "text": f"Option {k} with a long label"} for k in range(8)],
        }
        for n in range(20)
    ]
    definition = {"id": "long-one", "title": "A long survey", "questions": questions}
    survey = await add_survey(harness.database, definition, harness.clock.now())
    await onboard(harness, resident := person("Rae"))
    member = await member_of(harness.database, resident.user_id)
    answers = {f"q{n}": picks(f"o{n % 8}") for n in range(20)}
    await store_response(harness.database, survey, answers, harness.clock.now(), member=member)
    boss = await organiser(harness)
    shown = await harness.command(boss, "results", "long-one")
    report = document(shown)
    assert report.filename == "long-one-results.txt"
    full = report.content.decode("utf-8")
    assert full.startswith("📊 Results: A long survey") and "20. Question 19" in full
    assert len(full) > 4096
    (message,) = [e for e in shown if isinstance(e, SendMessage)]
    assert len(message.text) <= 4096
    assert message.text.startswith("📊 Results: A long survey")
    assert re.search(r"\n\n… and \d+ more questions\n\n", message.text)
    assert message.text.endswith("This is a summary; the full report is in the file above.")
    assert find_button(shown, "CSV").payload == payload("sr.csv", survey.id)


async def test_results_are_published_once_to_finished_participants(harness: Harness) -> None:
    survey = await town_survey(harness)
    async with harness.database.unit_of_work() as uow:
        stored = await uow.surveys.get(survey.id)
        assert stored is not None
        stored.status = SurveyStatus.CLOSED
        now = harness.clock.now()
        await uow.jobs.schedule("survey.publish", str(survey.id), now, {}, now)
        await uow.commit()
    await harness.command(RESIDENTS[3], "stop")  # Dagny finished but wants no announcements
    await harness.engine.run_due_jobs()
    async with harness.database.unit_of_work() as uow:
        sent = {
            m.chat_id: m.payload["text"] for m in await uow.session.scalars(select(OutboxMessage))
        }
    finished = {RESIDENTS[n].user_id for n in (0, 1, 2)}
    assert set(sent) == finished
    english = sent[RESIDENTS[0].user_id]
    assert english.startswith("Thank you for taking part in “Town survey”. Here are the results.")
    assert "Bus 50% · Bike 33% · Other 17%" in english
    assert "NPS: +40" in english
    assert "Tram" not in english and "benches" not in english  # no one's own words
    assert sent[RESIDENTS[1].user_id].startswith("感谢你参加“社区调查”。以下是结果。")

    harness.clock.advance(hours=1)
    async with harness.database.unit_of_work() as uow:
        now = harness.clock.now()
        await uow.jobs.schedule("survey.publish", str(survey.id), now, {}, now)
        await uow.commit()
    await harness.engine.run_due_jobs()
    async with harness.database.unit_of_work() as uow:
        assert len((await uow.session.scalars(select(OutboxMessage))).all()) == 3


async def test_too_large_an_excel_file_is_declined_in_favour_of_csv(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    survey = await town_survey(harness)
    monkeypatch.setattr("admin.survey_results.XLSX_MAX_CELLS", 7 * 16 - 1)  # one cell short
    boss = await organiser(harness)
    shown = await harness.command(boss, "results", str(survey.id))
    declined = await harness.tap(boss, shown, "Excel")
    assert not [e for e in declined if isinstance(e, SendDocument)]
    (toast,) = toasts(declined)
    assert toast.alert and "Please use CSV" in toast.text
    assert len(csv_rows(await harness.tap(boss, shown, "CSV"))) == 7


async def test_a_survey_nobody_answered_yet_shows_zeros(harness: Harness) -> None:
    await add_survey(harness.database, NEIGHBOURHOOD, harness.clock.now())
    boss = await organiser(harness)
    shown = await harness.command(boss, "results", "town-2027")
    report = texts(shown)
    assert "Responses: 0 started, 0 submitted (0% completed)" in report
    assert "  Bus    ░░░░░░░░░░ 0% (0)" in report
    assert "Where the" not in report  # no funnel without unfinished responses
    rows = csv_rows(await harness.tap(boss, shown, "CSV"))
    assert rows == []


async def test_answers_that_look_like_formulas_stay_text_in_both_exports(harness: Harness) -> None:
    definition = {
        "id": "sneaky",
        "title": "Sneaky",
        "questions": [
            {"id": "idea", "type": "short_text", "text": "Idea?"},
            {"id": "n", "type": "number", "text": "A number?"},
        ],
    }
    survey = await add_survey(harness.database, definition, harness.clock.now())
    await onboard(harness, resident := person("Mallory"))
    member = await member_of(harness.database, resident.user_id)
    formula = '=HYPERLINK("http://evil.example","click")'
    answers = {"idea": text(formula, None), "n": number(-3)}
    await store_response(harness.database, survey, answers, harness.clock.now(), member=member)
    boss = await organiser(harness)
    shown = await harness.command(boss, "results", "sneaky")
    (row,) = csv_rows(await harness.tap(boss, shown, "CSV"))
    assert (row["idea"], row["n"]) == ("'" + formula, "-3")  # numbers stay numbers
    workbook = document(await harness.tap(boss, shown, "Excel")).content
    sheet = load_workbook(io.BytesIO(workbook))["Responses"]
    cell = sheet.cell(row=2, column=1 + [c.value for c in sheet[1]].index("idea"))
    assert (cell.value, cell.data_type) == (formula, "s")


async def test_names_are_quoted_and_defused_in_the_csv(harness: Harness) -> None:
    survey = await town_survey(harness)
    async with harness.database.unit_of_work() as uow:
        for member in await uow.session.scalars(select(Member)):
            if member.telegram_id == RESIDENTS[0].user_id:
                member.first_name, member.last_name = 'Ann "A",', "Smith"
            elif member.telegram_id == RESIDENTS[1].user_id:
                member.first_name, member.last_name, member.username = "=cmd", None, "-x"
        await uow.commit()
        stored = await uow.surveys.get(survey.id)
        assert stored is not None
        table = await export_table(uow, stored, "en")
    text = to_csv(table).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert (rows[0]["name"], rows[1]["name"], rows[1]["username"]) == (
        'Ann "A", Smith',
        "'=cmd",
        "'-x",
    )
