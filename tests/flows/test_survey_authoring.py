"""Authoring surveys in the chat: upload a file, preview, save a draft, download it; /newsurvey."""

from __future__ import annotations

from pathlib import Path

import pytest

from admin.roles import set_role
from admin.survey_files import parse_definition
from flows.codec import encode, payload
from flows.effects import Effect, SendDocument
from flows.events import DocumentReceived, Person
from flows.survey.definition import QuestionType
from flows.survey.lifecycle import definition_of
from storage.models import Role, Survey, SurveyStatus
from tests.flows.harness import Harness, find_button, group, person, private, texts, toasts
from tests.flows.test_account import onboard
from tests.flows.test_groups_and_roles import OWNER

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
PARK = (EXAMPLES / "park-renovation.yaml").read_bytes()
SMALL = b"""\
id: benches
title: New benches
questions:
  - {id: where, type: short_text, text: Where should they go}
"""


async def upload(
    harness: Harness,
    who: Person,
    content: bytes | None,
    name: str | None = "survey.yaml",
    size: int | None = None,
    private_chat: bool = True,
) -> list[Effect]:
    """Send a document as the front end hands it over (content fetched, or None)."""
    event = DocumentReceived(
        update_id=next(harness.update_ids),
        at=harness.clock.now(),
        chat=private(who) if private_chat else group(),
        sender=who,
        file_id="F1",
        file_name=name,
        mime_type=None,
        file_size=size if size is not None else len(content or b""),
        caption="",
        message_id=1,
        content=content,
    )
    return await harness.send(event)


async def surveys(harness: Harness) -> list[Survey]:
    async with harness.database.unit_of_work() as uow:
        return list(await uow.surveys.listed())


async def set_status(harness: Harness, slug: str, status: SurveyStatus) -> None:
    async with harness.database.unit_of_work() as uow:
        survey = await uow.surveys.get_by_slug(slug)
        assert survey is not None
        survey.status = status
        await uow.commit()


def documents(effects: list[Effect]) -> list[SendDocument]:
    return [e for e in effects if isinstance(e, SendDocument)]


@pytest.fixture
async def owner(harness: Harness) -> Person:
    await onboard(harness, OWNER)
    return OWNER


async def test_an_uploaded_survey_is_previewed_saved_as_a_draft_and_downloaded_again(
    harness: Harness, owner: Person
) -> None:
    preview = await upload(harness, owner, PARK, "park-renovation.yaml")
    shown = texts(preview)
    assert shown.startswith("Here is the survey in park-renovation.yaml:\n\n📋 Riverside Park")
    for line in (
        "Id: park-renovation",
        "Languages: en, zh_Hans",
        # counted by type, in the order the types first appear
        "8 questions: 1 single choice, 2 multiple choice, 1 yes/no, 1 scale, 1 ranking, "
        "1 number, 1 long text",
        "Anonymous: no",
        "Who may answer: followers of parks",
        "Opens: 2027-03-01 09:00 (UTC)",
        "Closes: 2027-03-31 18:00 (UTC)",
        "Maximum responses: no limit",
        "Answers can be changed until it closes: yes",
        "Results sent to participants when it closes: yes",
        "Save it as a draft?",
    ):
        assert line in shown, line
    assert await surveys(harness) == []  # nothing is stored before Save

    saved = await harness.tap(owner, preview, "Save")
    assert "Saved as a draft: Riverside Park renovation (survey 1)." in texts(saved)
    assert [t.text for t in toasts(saved)] == ["Saved."]
    (survey,) = await surveys(harness)
    assert survey.slug == "park-renovation" and survey.status is SurveyStatus.DRAFT
    assert survey.title == {"en": "Riverside Park renovation", "zh_Hans": "河滨公园改造"}
    assert not survey.anonymous
    assert survey.opens_at is not None and survey.opens_at.isoformat().startswith("2027-03-01")
    assert survey.closes_at is not None and survey.closes_at.isoformat().startswith("2027-03-31")
    assert definition_of(survey) == parse_definition(PARK, "park.yaml")

    again = await harness.tap(owner, preview, "Save")  # a second tap on the old preview
    assert "no longer valid" in texts(again)
    assert len(await surveys(harness)) == 1

    (document,) = documents(await harness.tap(owner, saved, "Download the file"))
    assert document.filename == "park-renovation.yaml" and document.chat_id == owner.user_id
    assert "The definition of survey 1 (park-renovation)." in document.caption
    assert parse_definition(document.content, document.filename) == definition_of(survey)
    by_command = documents(await harness.command(owner, "surveyfile", "park-renovation"))
    assert [d.content for d in by_command] == [document.content]
    assert documents(await harness.command(owner, "surveyfile", "1"))[0].content == document.content


async def test_a_draft_is_replaced_by_a_file_with_its_id_but_an_opened_survey_is_not(
    harness: Harness, owner: Person
) -> None:
    await harness.tap(owner, await upload(harness, owner, SMALL), "Save")
    changed = SMALL.replace(b"title: New benches", b"title: Benches by the lake")
    preview = await upload(harness, owner, changed)
    assert "Saving replaces the draft benches (survey 1)." in texts(preview)
    replaced = await harness.tap(owner, preview, "Save")
    assert "Draft replaced: Benches by the lake (survey 1)." in texts(replaced)
    (survey,) = await surveys(harness)
    assert survey.title == {"en": "Benches by the lake"}

    await set_status(harness, "benches", SurveyStatus.OPEN)
    refused = await upload(harness, owner, SMALL)
    assert texts(refused) == (
        "The survey benches (survey 1) has already been opened, so it can't be replaced. "
        "Nothing was saved. Please use a new id in the file."
    )
    (survey,) = await surveys(harness)
    assert survey.title == {"en": "Benches by the lake"}


async def test_a_survey_opened_while_its_replacement_waits_is_not_replaced(
    harness: Harness, owner: Person
) -> None:
    await harness.tap(owner, await upload(harness, owner, SMALL), "Save")
    preview = await upload(harness, owner, SMALL.replace(b"New benches", b"Other"))
    await set_status(harness, "benches", SurveyStatus.CLOSED)
    refused = await harness.tap(owner, preview, "Save")
    assert "has already been opened, so it can't be replaced" in texts(refused)
    (survey,) = await surveys(harness)
    assert survey.title == {"en": "New benches"}
    assert "nothing to cancel" in texts(await harness.command(owner, "cancel"))


async def test_save_on_an_older_preview_does_not_save_the_newer_file(
    harness: Harness, owner: Person
) -> None:
    first = await upload(harness, owner, SMALL)
    second = await upload(harness, owner, PARK, "park.yaml")
    assert "no longer valid" in texts(await harness.tap(owner, first, "Save"))
    assert await surveys(harness) == []
    cancelled = await harness.tap(owner, second, "Cancel")
    assert texts(cancelled).strip() == "Cancelled: nothing was saved."
    assert "no longer valid" in texts(await harness.tap(owner, second, "Save"))
    assert await surveys(harness) == []


async def test_typing_while_a_preview_waits_points_to_its_buttons(
    harness: Harness, owner: Person
) -> None:
    await upload(harness, owner, SMALL)
    assert texts(await harness.text(owner, "hello")) == (
        "Please press Save or Cancel above, or /cancel."
    )
    assert texts(await harness.command(owner, "cancel")) == "Cancelled."
    assert await surveys(harness) == []


async def test_a_broken_file_gets_the_list_of_problems_and_nothing_is_saved(
    harness: Harness, owner: Person
) -> None:
    broken = SMALL.replace(b"type: short_text", b"type: essay").replace(b"id: benches", b"")
    answer = await upload(harness, owner, broken, "benches.yml")
    assert texts(answer) == (
        "I can't use benches.yml: there are 2 problems.\n\n"
        "• field id: this field is required\n"
        "• question 1 (where), field type, line 4: must be one of 'single_choice', "
        "'multiple_choice', 'scale', 'nps', 'yes_no', 'short_text', 'long_text', 'number', "
        "'date', 'ranking' or 'photo'\n\n"
        "Nothing was saved. Please fix the file and send it again."
    )
    syntax = await upload(harness, owner, b"id: x\ntitle: [\n", "x.yaml")
    assert "there is 1 problem." in texts(syntax)
    assert "• line 3: not valid YAML" in texts(syntax)
    assert await surveys(harness) == []


async def test_a_long_list_of_problems_is_cut_after_twenty(harness: Harness, owner: Person) -> None:
    questions = "".join(f"  - {{id: q{n}, type: nope, text: Q}}\n" for n in range(25))
    answer = texts(
        await upload(harness, owner, f"id: x\ntitle: X\nquestions:\n{questions}".encode())
    )
    assert "there are 25 problems" in answer
    assert answer.count("• ") == 20
    assert "… and 5 more." in answer


async def test_files_of_another_kind_too_big_or_not_fetched_get_a_clear_answer(
    harness: Harness, owner: Person
) -> None:
    other = await upload(harness, owner, b"%PDF", "minutes.pdf")
    assert texts(other).startswith("I can only read surveys and polls from .yaml, .yml or .json")
    unnamed = await upload(harness, owner, b"x", None)
    assert texts(unnamed).startswith("I can only read surveys and polls from .yaml")
    big = await upload(harness, owner, None, "huge.yaml", size=3 * 1024 * 1024)
    assert texts(big) == "That file is 3072 KB; a survey or poll file may be at most 256 KB."
    lost = await upload(harness, owner, None, "survey.json", size=100)
    assert texts(lost) == "I couldn't download that file. Please send it again."
    assert await surveys(harness) == []


async def test_residents_cannot_upload_and_groups_are_ignored(
    harness: Harness, owner: Person
) -> None:
    resident, stranger = person("Rae"), person("Sam")
    await onboard(harness, resident)
    assert texts(await upload(harness, resident, SMALL)) == (
        "Sorry, I can't use files here. Please write your message as text."
    )
    assert "press /start first" in texts(await upload(harness, stranger, SMALL))
    assert await upload(harness, owner, SMALL, private_chat=False) == []
    assert "only for organisers" in texts(await harness.command(resident, "surveyfile", "1"))
    forged = await harness.press(resident, encode(payload("sa.file", 1)))
    assert "only for organisers" in texts(forged)
    assert documents(forged) == []
    assert await surveys(harness) == []


async def test_an_appointed_organiser_can_upload(harness: Harness, owner: Person) -> None:
    organiser = person("Ora")
    await onboard(harness, organiser)
    async with harness.database.unit_of_work() as uow:
        await set_role(uow, organiser.user_id, Role.ORGANISER, None, harness.clock.now())
        await uow.commit()
    await harness.tap(organiser, await upload(harness, organiser, SMALL), "Save")
    (survey,) = await surveys(harness)
    async with harness.database.unit_of_work() as uow:
        member = await uow.members.get_by_telegram_id(organiser.user_id)
    assert member is not None and survey.created_by == member.id


async def test_surveyfile_explains_itself_and_forged_buttons_change_nothing(
    harness: Harness, owner: Person
) -> None:
    assert "Which survey?" in texts(await harness.command(owner, "surveyfile"))
    assert texts(await harness.command(owner, "surveyfile", "nope")) == "There is no survey nope."
    assert texts(await harness.command(owner, "surveyfile", "99")) == "There is no survey 99."
    for data in ("1:sa.file:99", "1:sa.file:x", "1:sa.save:1", "1:sa.save"):
        effects = await harness.press(owner, data)
        assert "no longer valid" in texts(effects), data
        assert documents(effects) == []


# -- /newsurvey -------------------------------------------------------------------------------


async def test_the_wizard_writes_a_survey_step_by_step(harness: Harness, owner: Person) -> None:
    assert "What is its title?" in texts(await harness.command(owner, "newsurvey"))
    intro = await harness.text(owner, "  Street lighting  ")
    assert "Write a short introduction" in texts(intro)
    first = await harness.tap(owner, intro, "Skip")
    assert "Question 1: what do you want to ask?" in texts(first)
    kinds = await harness.text(owner, "Is your street well lit at night?")
    assert [b.text for row in _last_buttons(kinds) for b in row] == [
        "single choice",
        "multiple choice",
        "yes/no",
        "scale",
        "short text",
        "long text",
        "photo",
    ]
    added = await harness.tap(owner, kinds, "yes/no")
    assert "Question 1 added." in texts(added)

    second = await harness.tap(owner, added, "Add another question")
    assert "Question 2:" in texts(second)
    kinds = await harness.text(owner, "Which streets are darkest?")
    options = await harness.tap(owner, kinds, "multiple choice")
    assert "Send the options, one per line (2 to 20" in texts(options)
    added = await harness.text(owner, "Elm Street\n\n  Oak Lane \nRiver Road\n")
    assert "Question 2 added." in texts(added)
    third = await harness.tap(owner, added, "Add another question")
    assert "Question 3:" in texts(third)
    added = await harness.tap(owner, await harness.text(owner, "How safe do you feel?"), "scale")

    preview = await harness.tap(owner, added, "Finish")
    shown = texts(preview)
    assert "📋 Street lighting" in shown
    assert "3 questions: 1 yes/no, 1 multiple choice, 1 scale" in shown
    assert (
        "2. Which streets are darkest? (multiple choice)\n   • Elm Street\n   • Oak Lane" in shown
    )
    assert await surveys(harness) == []

    saved = await harness.tap(owner, preview, "Save")
    assert "Saved as a draft: Street lighting (survey 1)." in texts(saved)
    (survey,) = await surveys(harness)
    assert survey.status is SurveyStatus.DRAFT
    assert survey.slug.startswith("street-lighting-") and len(survey.slug) == 20
    definition = definition_of(survey)
    assert definition.intro is None and definition.default_language == "en"
    assert [q.type for q in definition.questions] == [
        QuestionType.YES_NO,
        QuestionType.MULTIPLE_CHOICE,
        QuestionType.SCALE,
    ]
    assert [definition.text(o.text, "en") for o in definition.questions[1].options] == [
        "Elm Street",
        "Oak Lane",
        "River Road",
    ]
    assert "no longer valid" in texts(await harness.tap(owner, preview, "Save"))
    assert len(await surveys(harness)) == 1


async def test_the_wizard_asks_again_after_bad_input(harness: Harness, owner: Person) -> None:
    await harness.command(owner, "newsurvey")
    assert texts(await harness.text(owner, "   ")) == "Please write some text, or /cancel."
    too_long = await harness.text(owner, "x" * 201)
    assert texts(too_long) == "That is 201 characters; the limit is 200. Please shorten it."
    await harness.text(owner, "Parks")
    assert "at most" not in texts(await harness.text(owner, "A short introduction."))
    kinds = await harness.text(owner, "Which park?")
    assert texts(await harness.text(owner, "typed instead")) == (
        "Please use the buttons above, or /cancel."
    )
    await harness.tap(owner, kinds, "single choice")
    one = await harness.text(owner, "Only one")
    assert texts(one) == "Please send 2 to 20 options, one per line (that was 1)."
    many = await harness.text(owner, "\n".join(f"Park {n}" for n in range(21)))
    assert "(that was 21)" in texts(many)
    long_option = await harness.text(owner, "North\n" + "y" * 101)
    assert texts(long_option).startswith("Each option may have at most 100 characters; this")
    twice = await harness.text(owner, "North\nNorth")
    assert texts(twice) == "Two options are the same. Please send each option once."
    stale_type = await harness.press(owner, encode(payload("sw.type", "yes_no")))
    assert "no longer valid" in texts(stale_type)  # the type was chosen already
    added = await harness.text(owner, "North\nSouth")
    assert "Question 1 added." in texts(added)
    assert "no longer valid" in texts(await harness.press(owner, "1:sw.type:essay"))
    preview = await harness.tap(owner, added, "Finish")
    cancelled = await harness.tap(owner, preview, "Cancel")
    assert texts(cancelled).strip() == "Cancelled: nothing was saved."
    assert await surveys(harness) == []


async def test_the_wizard_is_for_organisers_and_cancel_leaves_it(
    harness: Harness, owner: Person
) -> None:
    resident = person("Rae")
    await onboard(harness, resident)
    assert "only for organisers" in texts(await harness.command(resident, "newsurvey"))
    assert "no longer valid" not in texts(await harness.press(resident, "1:sw.finish"))
    await harness.command(owner, "newsurvey")
    await harness.text(owner, "Parks")
    assert texts(await harness.command(owner, "cancel")) == "Cancelled."
    assert "I'm not sure what to do" in texts(await harness.text(owner, "Intro"))
    assert "no longer valid" in texts(await harness.press(owner, "1:sw.skip"))
    assert await surveys(harness) == []


def _last_buttons(effects: list[Effect]) -> tuple[tuple[object, ...], ...]:
    button = find_button(effects, "yes/no")
    assert button.payload is not None
    for effect in reversed(effects):
        buttons = getattr(effect, "buttons", ())
        if any(button in row for row in buttons):
            return tuple(buttons)
    raise AssertionError("no keyboard")
