"""Survey results through the real front ends: an organiser asks /results and downloads the CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from storage.db import Database
from tests.flows.survey_data import add_survey, member_of, number, picks, store_response, text
from tests.scenarios.conftest import OWNER_ID, RunningBot
from tests.scenarios.people import Person, labels, onboard, text_of

SURVEY = {
    "id": "riverside-2027",
    "title": "Riverside survey",
    "questions": [
        {
            "id": "transport",
            "type": "single_choice",
            "text": "How do you travel?",
            "options": [{"id": "bus", "text": "Bus"}, {"id": "bike", "text": "Bike"}],
        },
        {"id": "happy", "type": "scale", "text": "How happy are you here?"},
        {"id": "idea", "type": "short_text", "text": "One idea"},
    ],
}


async def test_an_organiser_sees_the_results_and_downloads_the_csv(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    owner = Person(world, world.user("Olga", user_id=OWNER_ID, username="olga"))
    ann = Person(world, world.user("Ann", username="ann_r"))
    await onboard(owner, follow=[])
    await onboard(ann, follow=[])
    now = datetime.now(UTC).replace(microsecond=0)
    survey = await add_survey(database, SURVEY, now)
    answers = {"transport": picks("bike"), "happy": number(4), "idea": text("More trees", "en")}
    member = await member_of(database, ann.id)
    await store_response(database, survey, answers, now, member=member)

    refused = await ann.ask(f"/results {survey.id}")
    assert text_of(refused) == "Sorry, this is only for organisers and moderators."

    results = await owner.ask("/results riverside-2027")
    assert text_of(results).startswith(
        "📊 Results: Riverside survey\nStatus: open\n"
        "Responses: 1 started, 1 submitted (100% completed)\n\n"
        "1. How do you travel?\nAnswered: 1\n"
    )
    assert "  Bike  ██████████ 100% (1)" in text_of(results)
    assert labels(results) == ["CSV", "Excel (XLSX)"]

    await owner.press(results, "CSV")
    document = await owner.next_message()
    assert document.document is not None
    assert document.document["file_name"] == "riverside-2027-responses.csv"
    assert document.caption == "1 response to “Riverside survey”."
    content = world.file_by_id(document.document["file_id"]).data
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert len(rows) == 1
    assert rows[0]["name"] == "Ann" and rows[0]["username"] == "ann_r"
    assert rows[0]["telegram_id"] == str(ann.id)
    assert (rows[0]["transport"], rows[0]["happy"], rows[0]["idea"]) == ("bike", "4", "More trees")


async def test_an_anonymous_survey_answered_in_the_chat_exports_no_identity(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    owner = Person(world, world.user("Olga", user_id=OWNER_ID, username="olga"))
    ann = Person(world, world.user("Annika", username="annika_r"))
    await onboard(owner, follow=[])
    await onboard(ann, follow=[])
    secret = {**SURVEY, "id": "secret-ballot", "questions": SURVEY["questions"][:1]}
    survey = await add_survey(database, secret, datetime.now(UTC), anonymous=True)

    first = await ann.ask(f"/start survey-{survey.id}")
    summary = await ann.tap(first, "Bike")
    thanks = await ann.tap(summary, "Submit")
    assert text_of(thanks) == "Thank you! Your answers have been recorded."

    results = await owner.ask("/results secret-ballot")
    await owner.press(results, "CSV")
    document = await owner.next_message()
    assert document.document is not None
    content = world.file_by_id(document.document["file_id"]).data.decode("utf-8-sig")
    (row,) = list(csv.DictReader(io.StringIO(content)))
    assert list(row) == ["response", "status", "submitted", "language", "transport"]
    assert (row["status"], row["transport"]) == ("complete", "bike")
    assert len(row["submitted"]) == len("2027-03-01")  # the day only, no time
    for identity in ("Annika", "annika_r", str(ann.id)):
        assert identity not in content
