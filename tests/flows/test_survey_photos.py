"""Photo questions: answering with a photo, the hints, skip, edit, results, photos, privacy."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from admin.survey_files import DefinitionError, dump_definition, parse_definition
from flows.codec import encode, payload
from flows.effects import Effect, SendDocument, SendMessage, SendPhoto
from flows.events import DocumentReceived, Person, PhotoReceived
from flows.survey.definition import Question, QuestionType, Settings, SurveyDefinition
from storage.models import (
    AuditEntry,
    ResponseStatus,
    SurveyAnswer,
    SurveyResponse,
    SurveyStatus,
)
from tests.flows.harness import Harness, group, person, private, texts, toasts
from tests.flows.survey_data import add_survey as store_survey
from tests.flows.survey_data import store_response
from tests.flows.test_account import every_value_in_the_database, onboard
from tests.flows.test_survey_answering import (
    add_survey,
    answers,
    last_text,
    open_link,
    options,
    resident,
    rows,
)

Q = QuestionType
OWNER = person("Olga", user_id=42)  # the harness's owner
SEND_A_PHOTO = (
    "Send a photo: tap 📎 and choose a picture (as a photo, not as a file). A caption is not kept."
)
CANNOT_READ = "Sorry, I can only read text messages and button presses here."


def bins_survey(**settings: Any) -> SurveyDefinition:
    """A required photo, an optional photo, then a choice."""
    return SurveyDefinition(
        id="bins",
        title="Overflowing bins",
        settings=Settings(**settings),
        questions=[
            Question(
                id="bin",
                type=Q.PHOTO,
                text={"en": "Show us the bin.", "zh_Hans": "请拍下垃圾桶。"},
                hint="A photo of the whole bin helps most.",
            ),
            Question(id="street", type=Q.PHOTO, text="And the street around it?", required=False),
            Question(
                id="often",
                type=Q.SINGLE_CHOICE,
                text="How often?",
                options=options("Daily", "Weekly"),
            ),
        ],
    )


async def send_photo(
    harness: Harness, who: Person, file_id: str, caption: str = "", chat: Any = None
) -> list[Effect]:
    event = PhotoReceived(
        **harness._base(who, chat or private(who)),  # type: ignore[arg-type]
        file_id=file_id,
        file_unique_id="U-" + file_id,
        width=1280,
        height=960,
        caption=caption,
        message_id=5,
    )
    return await harness.send(event)


async def send_image_file(harness: Harness, who: Person) -> list[Effect]:
    event = DocumentReceived(
        **harness._base(who, private(who)),  # type: ignore[arg-type]
        file_id="DOC1",
        file_name="bin.jpg",
        mime_type="image/jpeg",
        file_size=2000,
        caption="",
        message_id=6,
    )
    return await harness.send(event)


async def test_a_photo_answers_a_photo_question(harness: Harness) -> None:
    survey_id = await add_survey(harness, bins_survey())
    ann = await resident(harness)
    shown = await open_link(harness, ann, survey_id)
    first = last_text(shown)
    assert "Question 1 of 3" in first
    assert "Show us the bin.\nA photo of the whole bin helps most." in first
    assert SEND_A_PHOTO in first
    assert "Skip" not in str(shown)  # required

    typed = await harness.text(ann, "it is full again")
    assert last_text(typed).startswith("This question is answered with a photo, not with text.")
    assert "Show us the bin." in last_text(typed)
    assert await answers(harness) == {}

    second = await send_photo(harness, ann, "PHOTO-A", caption="Ann Smith, 3 Elm Street")
    assert isinstance(second[-1], SendMessage)  # a photo, like typed text, gets a new message
    assert "Question 2 of 3" in last_text(second) and "And the street around it?" in last_text(
        second
    )
    assert await answers(harness) == {"bin": [(0, None, None, "PHOTO-A")]}

    # The optional one is skipped; Back shows the first again with the photo given.
    third = await harness.tap(ann, second, "Skip")
    assert "How often?" in last_text(third)
    back = await harness.tap(ann, third, "‹ Back")
    assert "And the street around it?" in last_text(back)
    back = await harness.tap(ann, back, "‹ Back")
    assert "Your answer: 📷 photo" in last_text(back)
    kept = await harness.tap(ann, back, "Keep ›")
    assert "And the street around it?" in last_text(kept)
    summary = await harness.tap(ann, kept, "Skip")
    summary = await harness.tap(ann, summary, "Weekly")
    text = last_text(summary)
    assert "1. Show us the bin.\n→ 📷 photo" in text
    assert "2. And the street around it?\n→ (skipped)" in text

    # Edit from the summary: a new photo replaces the first and leads back to the summary.
    edit = await harness.tap(ann, summary, "Edit 1")
    assert "Your answer: 📷 photo" in last_text(edit) and "‹ Summary" in str(edit)
    again = await send_photo(harness, ann, "PHOTO-B")
    assert "Here are your answers." in last_text(again)
    thanks = await harness.tap(ann, again, "Submit")
    assert "Thank you!" in texts(thanks)

    assert await answers(harness) == {
        "bin": [(0, None, None, "PHOTO-B")],
        "often": [(0, "weekly", None, None)],
    }
    (response,) = await rows(harness, SurveyResponse)
    assert response.status is ResponseStatus.COMPLETE
    assert response.cells == "PHOTO-B,,weekly"  # the export line holds the file_id
    (photo,) = [a for a in await rows(harness, SurveyAnswer) if a.question_id == "bin"]
    assert photo.language is None
    # The caption is not kept anywhere.
    stored = await every_value_in_the_database(harness.database)
    assert not [value for value in stored if "Elm Street" in str(value)]


async def test_an_optional_photo_can_be_skipped_and_an_image_file_gets_a_hint(
    harness: Harness,
) -> None:
    survey_id = await add_survey(harness, bins_survey())
    ann = await resident(harness)
    await open_link(harness, ann, survey_id)
    as_file = await send_image_file(harness, ann)
    assert last_text(as_file).startswith("Please send the picture as a photo, not as a file.")
    assert "Show us the bin." in last_text(as_file)
    shown = await send_photo(harness, ann, "PHOTO-A")
    skipped = await harness.tap(ann, shown, "Skip")
    assert "How often?" in last_text(skipped)
    assert set(await answers(harness)) == {"bin"}
    # A file that is no image is still refused as before.
    assert "I can't use files here" in texts(await send_image_file_named(harness, ann, "a.pdf"))


async def send_image_file_named(harness: Harness, who: Person, name: str) -> list[Effect]:
    event = DocumentReceived(
        **harness._base(who, private(who)),  # type: ignore[arg-type]
        file_id="DOC2",
        file_name=name,
        mime_type="application/pdf",
        file_size=2000,
        caption="",
        message_id=6,
    )
    return await harness.send(event)


async def test_a_photo_where_no_photo_question_is_asked(harness: Harness) -> None:
    ann = await resident(harness)
    assert texts(await send_photo(harness, ann, "P1")) == CANNOT_READ
    # While a choice question is asked, a photo changes nothing.
    survey_id = await add_survey(harness, bins_survey())
    shown = await open_link(harness, ann, survey_id)
    shown = await send_photo(harness, ann, "P2")
    shown = await harness.tap(ann, shown, "Skip")
    assert "How often?" in last_text(shown)
    assert texts(await send_photo(harness, ann, "P3")) == CANNOT_READ
    assert await answers(harness) == {"bin": [(0, None, None, "P2")]}
    # In a group the bot stays quiet; someone who never started is told what it reads.
    assert await send_photo(harness, ann, "P4", chat=group()) == []
    stranger = person("Sam")
    assert texts(await send_photo(harness, stranger, "P5")) == CANNOT_READ


async def test_a_photo_after_the_survey_closed(harness: Harness) -> None:
    survey_id = await add_survey(harness, bins_survey())
    ann = await resident(harness)
    await open_link(harness, ann, survey_id)
    async with harness.database.unit_of_work() as uow:
        survey = await uow.surveys.get(survey_id)
        assert survey is not None
        survey.status = SurveyStatus.CLOSED
        await uow.commit()
    late = await send_photo(harness, ann, "LATE")
    assert texts(late) == "This survey has closed; your answers so far are kept."
    assert await answers(harness) == {}


async def test_mydata_lists_photos_and_forget_erases_them(harness: Harness) -> None:
    identified = await add_survey(harness, bins_survey())
    anonymous = await add_survey(
        harness, bins_survey(anonymous=True).model_copy(update={"id": "anon-bins"})
    )
    ann = await resident(harness)
    for survey_id, file_id in ((identified, "MINE"), (anonymous, "ANON")):
        await open_link(harness, ann, survey_id)
        shown = await send_photo(harness, ann, file_id)
        shown = await harness.tap(ann, shown, "Skip")
        await harness.tap(ann, await harness.tap(ann, shown, "Daily"), "Submit")

    exported = await harness.command(ann, "mydata")
    (document,) = [e for e in exported if isinstance(e, SendDocument)]
    section = json.loads(document.content)["surveys"]
    (response,) = section["responses"]
    assert response["answers"][0] == {"question": "Show us the bin.", "values": [{"photo": "MINE"}]}

    await harness.tap(ann, await harness.command(ann, "forget"), "Yes, erase")
    left = {(a.survey_id, a.question_id, a.text) for a in await rows(harness, SurveyAnswer)}
    assert (identified, "bin", "MINE") not in left
    assert (identified, "often", None) in left  # choices stay in the totals
    assert (anonymous, "bin", "ANON") in left  # not linked to Ann, so not erasable
    lines = {r.survey_id: r.cells for r in await rows(harness, SurveyResponse)}
    assert lines == {identified: ",,daily", anonymous: "ANON,,daily"}


async def test_an_anonymous_photo_answer_holds_no_identity(harness: Harness) -> None:
    survey_id = await add_survey(harness, bins_survey(anonymous=True))
    harness.clock.advance(hours=3, minutes=11)
    ann = await resident(harness)
    await open_link(harness, ann, survey_id)
    await send_photo(harness, ann, "ANON-PHOTO", caption=f"from {ann.user_id}")
    (photo,) = await rows(harness, SurveyAnswer)
    (response,) = await rows(harness, SurveyResponse)
    midnight = harness.clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    assert photo.text == "ANON-PHOTO" and photo.answered_at == midnight
    assert response.member_id is None
    for row in (photo, response):
        values = " ".join(str(getattr(row, c.key)) for c in row.__table__.columns)
        assert str(ann.user_id) not in values


# -- results --------------------------------------------------------------------------------


async def test_results_count_photos_and_organisers_can_see_them(harness: Harness) -> None:
    definition = bins_survey(anonymous=True).model_dump(mode="json")
    survey = await store_survey(harness.database, definition, harness.clock.now(), anonymous=True)
    for n in range(12):
        photo = [{"text": f"PHOTO-{n:02d}"}]
        await store_response(
            harness.database, survey, {"bin": photo}, harness.clock.now(), telegram_id=500 + n
        )
    await onboard(harness, OWNER)

    shown = await harness.command(OWNER, "results", "bins")
    (message,) = [e for e in shown if isinstance(e, SendMessage)]
    assert "1. Show us the bin.\nAnswered: 12\n📷 12 photos received" in message.text
    assert "2. And the street around it?\nAnswered: 0\n📷 0 photos received" in message.text
    labels = [button.text for row in message.buttons for button in row]
    assert labels == ["CSV", "Excel (XLSX)", "📷 Show photos (question 1)"]

    first = await harness.tap(OWNER, shown, "Show photos")
    photos = [e for e in first if isinstance(e, SendPhoto)]
    assert len(photos) == 10
    assert all(p.chat_id == OWNER.user_id and p.content == b"" for p in photos)
    assert photos[0].caption == "Question 1, photo 1 of 12"
    assert texts(toasts(first)) == "Here are the photos."
    assert "Photos 1 to 10 of 12." in texts(first)
    more = await harness.tap(OWNER, first, "More photos ›")
    rest = [e for e in more if isinstance(e, SendPhoto)]
    assert [p.caption for p in rest] == ["Question 1, photo 11 of 12", "Question 1, photo 12 of 12"]
    assert not [e for e in more if isinstance(e, SendMessage)]  # no "more" after the last
    sent = [p.file_id for p in photos + rest]
    assert sorted(sent) == [f"PHOTO-{n:02d}" for n in range(12)]
    # Anonymous: in the order of the pseudonyms, as the export, not the order of answering.
    async with harness.database.unit_of_work() as uow:
        total, page = await uow.survey_results.photos(
            survey.id, "bin", by_respondent=True, offset=0, limit=20
        )
    assert total == 12 and page == sent
    audit = [a for a in await rows(harness, AuditEntry) if a.action == "survey.photos"]
    assert [entry.details["photos"] for entry in audit] == [10, 2]

    exported = await harness.tap(OWNER, shown, "CSV")
    (document,) = [e for e in exported if isinstance(e, SendDocument)]
    table = list(csv.DictReader(io.StringIO(document.content.decode("utf-8-sig"))))
    assert sorted(row["bin"] for row in table) == [f"PHOTO-{n:02d}" for n in range(12)]
    assert {row["street"] for row in table} == {""}


async def test_photo_buttons_are_checked(harness: Harness) -> None:
    definition = bins_survey().model_dump(mode="json")
    survey = await store_survey(harness.database, definition, harness.clock.now())
    ann = await resident(harness)
    await onboard(harness, OWNER)
    refused = await harness.press(ann, encode(payload("sr.ph", survey.id, 1, 0)))
    assert "only for organisers" in texts(refused)
    assert not [e for e in refused if isinstance(e, SendPhoto)]
    expired = "This button is no longer valid. Please use the latest message."
    for data in (
        encode(payload("sr.ph", survey.id, 3, 0)),  # a choice question
        encode(payload("sr.ph", survey.id, 9, 0)),  # no such question
        encode(payload("sr.ph", survey.id, 1, -1)),
        "1:sr.ph:1:x:0",
    ):
        answer = await harness.press(OWNER, data)
        assert [t.text for t in toasts(answer)] == [expired], data
    nothing = await harness.press(OWNER, encode(payload("sr.ph", survey.id, 1, 0)))
    assert [t.text for t in toasts(nothing)] == ["There are no photos to show (any more)."]
    in_a_group = await harness.press(OWNER, encode(payload("sr.ph", survey.id, 1, 0)), chat=group())
    assert [t.text for t in toasts(in_a_group)] == [expired]


async def test_the_summary_and_published_results_count_photos(harness: Harness) -> None:
    from flows.i18n import translator
    from flows.survey.results import survey_results
    from flows.survey.results_text import summary

    definition = bins_survey().model_dump(mode="json")
    survey = await store_survey(harness.database, definition, harness.clock.now())
    ann = await resident(harness)
    async with harness.database.unit_of_work() as uow:
        member = await uow.members.get_by_telegram_id(ann.user_id)
    await store_response(
        harness.database, survey, {"bin": [{"text": "P"}]}, harness.clock.now(), member=member
    )
    async with harness.database.unit_of_work() as uow:
        results = await survey_results(uow, survey)
    assert "1. Show us the bin.\n   📷 1 photo received" in summary(results, translator("en"))
    assert "1. 请拍下垃圾桶。\n   📷 收到 1 张照片" in summary(results, translator("zh_Hans"))


# -- definition -----------------------------------------------------------------------------


def test_a_photo_question_round_trips_through_yaml_and_json() -> None:
    source = b"""id: bins
title: Bins
questions:
  - id: bin
    type: photo
    text: Show us the bin.
    required: false
"""
    definition = parse_definition(source, "bins.yaml")
    (question,) = definition.questions
    assert question.type is Q.PHOTO and not question.required
    dumped = dump_definition(definition)
    assert b"type: photo" in dumped
    assert parse_definition(dumped, "again.yaml") == definition
    as_json = json.dumps(definition.model_dump(mode="json")).encode()
    assert parse_definition(as_json, "bins.json") == definition


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ("    options: [{id: a, text: A}, {id: b, text: B}]\n", "a photo question has no options"),
        ("    max_length: 10\n", "max_length is for short_text and long_text questions"),
        (
            "  - id: next\n    type: yes_no\n    text: Next?\n"
            "    show_if: {question: bin, equals: a}\n",
            "show_if can only compare with a choice, yes/no, scale or NPS question",
        ),
    ],
)
def test_a_photo_question_takes_no_fields_of_other_types(extra: str, problem: str) -> None:
    source = "id: bins\ntitle: Bins\nquestions:\n  - id: bin\n    type: photo\n    text: Bin?\n"
    with pytest.raises(DefinitionError) as raised:
        parse_definition((source + extra).encode(), "bins.yaml")
    assert problem in str(raised.value)


def test_answered_conditions_work_with_photos() -> None:
    source = (
        "id: bins\ntitle: Bins\nquestions:\n  - id: bin\n    type: photo\n    text: Bin?\n"
        "    required: false\n  - id: why\n    type: short_text\n    text: Why no photo?\n"
        "    show_if: {question: bin, answered: false}\n"
    )
    definition = parse_definition(source.encode(), "bins.yaml")
    assert definition.questions[1].show_if is not None
