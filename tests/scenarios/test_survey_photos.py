"""A photo answer through the real front ends: a resident sends a photo, the organiser sees it."""

from __future__ import annotations

import csv
import io
import struct
from datetime import UTC, datetime

from storage.db import Database
from tests.flows.survey_data import add_survey
from tests.scenarios.conftest import OWNER_ID, RunningBot
from tests.scenarios.people import Person, labels, onboard, text_of

SURVEY = {
    "id": "potholes",
    "title": "Potholes",
    "questions": [
        {"id": "hole", "type": "photo", "text": "Show us the pothole."},
        {"id": "where", "type": "short_text", "text": "Which street?"},
    ],
}


def photo_png(width: int, height: int) -> bytes:
    """The start of a PNG: enough for the emulator (and Telegram) to read its size."""
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + struct.pack(">II", width, height) + b"\0" * 5


async def test_a_resident_answers_with_a_photo_and_the_organiser_sees_it(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    owner = Person(world, world.user("Olga", user_id=OWNER_ID))
    ann = Person(world, world.user("Ann"))
    await onboard(owner, follow=[])
    await onboard(ann, follow=[])
    survey = await add_survey(database, SURVEY, datetime.now(UTC))

    question = await ann.ask(f"/start survey-{survey.id}")
    assert "Show us the pothole." in text_of(question)
    assert "Send a photo: tap 📎" in text_of(question)
    hint = await ann.ask("There is a big one on Elm Street")
    assert text_of(hint).startswith("This question is answered with a photo, not with text.")

    sent = await world.send_photo(ann.user, photo_png(1600, 1200), caption="Elm Street")
    assert sent.photo is not None and len(sent.photo) == 5
    largest = sent.photo[-1]["file_id"]
    where = await ann.next_message()
    assert "Which street?" in text_of(where)
    summary = await ann.ask("Elm Street")
    assert "1. Show us the pothole.\n→ 📷 photo" in text_of(summary)
    thanks = await ann.tap(summary, "Submit")
    assert text_of(thanks).startswith("Thank you!")

    results = await owner.ask("/results potholes")
    assert "1. Show us the pothole.\nAnswered: 1\n📷 1 photo received" in text_of(results)
    assert labels(results) == ["CSV", "Excel (XLSX)", "📷 Show photos (question 1)"]
    await owner.press(results, "📷 Show photos (question 1)")
    shown = await owner.next_message()
    # The bot sends the photo Telegram holds by its file_id: the largest size Ann sent.
    assert shown.photo is not None and shown.photo[0]["file_id"] == largest
    assert shown.caption == "Question 1, photo 1 of 1"
    assert world.file_by_id(largest).data == photo_png(1600, 1200)

    await owner.press(results, "CSV")
    document = await owner.next_message()
    assert document.document is not None
    content = world.file_by_id(document.document["file_id"]).data
    (row,) = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
    assert (row["name"], row["hole"], row["where"]) == ("Ann", largest, "Elm Street")
