"""Authoring through the real front ends: an organiser uploads a survey file and gets it back."""

from __future__ import annotations

from pathlib import Path

from admin.survey_files import parse_definition
from storage.db import Database
from storage.models import SurveyStatus
from tests.scenarios.conftest import OWNER_ID, RunningBot
from tests.scenarios.people import Person, labels, onboard, text_of

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
PARK = (EXAMPLES / "park-renovation.yaml").read_bytes()


async def test_an_organiser_uploads_a_survey_saves_it_and_downloads_it_again(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    owner = Person(world, world.user("Olga", user_id=OWNER_ID, username="olga"))
    await onboard(owner, follow=[])

    await owner.send_document("park-renovation.yaml", PARK)
    preview = await owner.next_message()
    assert text_of(preview).startswith(
        "Here is the survey in park-renovation.yaml:\n\n📋 Riverside Park renovation\n"
    )
    assert "Languages: en, zh_Hans" in text_of(preview)
    assert labels(preview) == ["Save", "Cancel"]

    saved = await owner.tap(preview, "Save")
    assert saved.message_id == preview.message_id and saved.edited
    assert text_of(saved).startswith("Saved as a draft: Riverside Park renovation (survey 1).")
    async with database.unit_of_work() as uow:
        survey = await uow.surveys.get_by_slug("park-renovation")
    assert survey is not None and survey.status is SurveyStatus.DRAFT

    await owner.press(saved, "Download the file")
    document = await owner.next_message()
    assert document.document is not None
    assert document.document["file_name"] == "park-renovation.yaml"
    content = world.file_by_id(document.document["file_id"]).data
    assert parse_definition(content, "park.yaml") == parse_definition(PARK, "park.yaml")

    await owner.write("/surveyfile park-renovation")
    again = await owner.next_message()
    assert again.document is not None
    assert world.file_by_id(again.document["file_id"]).data == content


async def test_a_broken_file_gets_its_problems_and_a_resident_cannot_upload(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    owner = Person(world, world.user("Olga", user_id=OWNER_ID, username="olga"))
    ann = Person(world, world.user("Ann", username="ann"))
    await onboard(owner, follow=[])
    await onboard(ann, follow=[])

    broken = PARK.replace(b"type: ranking", b"type: podium")
    await owner.send_document("park.yml", broken)
    answer = text_of(await owner.next_message())
    assert answer.startswith("I can't use park.yml: there is 1 problem.\n\n")
    assert "• question 6 (priorities), field type, line " in answer
    assert answer.endswith("Nothing was saved. Please fix the file and send it again.")

    await ann.send_document("park-renovation.yaml", PARK)
    assert text_of(await ann.next_message()) == (
        "Sorry, I can't use files here. Please write your message as text."
    )
    async with database.unit_of_work() as uow:
        assert list(await uow.surveys.listed()) == []
