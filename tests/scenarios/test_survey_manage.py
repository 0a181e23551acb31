"""Running a survey through the real front ends: an organiser opens it and posts it in a group."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.emulator import ChatMessage
from flows.survey.definition import SurveyDefinition
from storage.db import Database
from storage.models import Survey, SurveyStatus
from tests.scenarios.conftest import OWNER_ID, RunningBot
from tests.scenarios.people import Person, eventually, next_in, onboard, text_of

PARK_SURVEY = {
    "id": "park-use",
    "title": "How do you use the park?",
    "intro": "The park is being redesigned. Tell us how you use it: two short questions.",
    "questions": [
        {
            "id": "often",
            "type": "single_choice",
            "text": "How often do you go?",
            "options": [{"id": "daily", "text": "Daily"}, {"id": "weekly", "text": "Weekly"}],
        },
        {"id": "wish", "type": "short_text", "text": "What would you change?"},
    ],
}


async def add_draft(database: Database) -> int:
    """Store a draft survey as the authoring flow would; returns its id."""
    definition = SurveyDefinition.model_validate(PARK_SURVEY)
    now = datetime.now(UTC)
    async with database.unit_of_work() as uow:
        survey = await uow.surveys.add(
            Survey(
                slug=definition.id,
                title=definition.title,
                definition=definition.model_dump(mode="json"),
                status=SurveyStatus.DRAFT,
                anonymous=False,
                created_at=now,
                updated_at=now,
            )
        )
        await uow.commit()
        return survey.id


def url_buttons(message: ChatMessage) -> list[tuple[str, str | None]]:
    return [(button.text, button.url) for button in message.flat_buttons]


async def test_an_organiser_opens_a_survey_and_posts_it_in_a_group(
    running_bot: RunningBot, database: Database
) -> None:
    world = running_bot.world
    owner = Person(world, world.user("Olga", user_id=OWNER_ID, username="olga"))
    ann = Person(world, world.user("Ann"))
    await onboard(owner, follow=[])
    await onboard(ann, follow=[])
    group = world.group("Elm Street", admins=[owner.user], members=[ann.user])
    await world.add_bot(group, by=owner.user)
    await next_in(world, group)  # the greeting
    survey_id = await add_draft(database)

    refused = await ann.ask("/surveys")
    assert text_of(refused) == "Sorry, this is only for organisers and moderators."

    listing = await owner.ask("/surveys")
    assert text_of(listing) == (
        "Surveys, newest first:\n\n• How do you use the park? (draft): 0 started, 0 submitted"
    )
    card = await owner.tap(listing, "How do you use the park?")
    assert "Status: draft" in text_of(card)
    opened = await owner.tap(card, "Open now")
    assert text_of(opened).startswith("✅ Opened. Residents can answer now.")
    assert owner.toast is not None and owner.toast.text == "Opened."

    async def is_open() -> bool:
        async with database.unit_of_work() as uow:
            survey = await uow.surveys.get(survey_id)
            return survey is not None and survey.status is SurveyStatus.OPEN

    await eventually(is_open, "the survey to be open")

    choose = await owner.tap(opened, "Post in a group")
    assert text_of(choose) == (
        "In which group should I post “How do you use the park?” with a “Take the survey” button?"
    )
    posted_card = await owner.tap(choose, "Elm Street")
    assert text_of(posted_card).startswith("✅ Posted in Elm Street.")
    post = await next_in(world, group)
    assert text_of(post) == (
        "📋 Survey: How do you use the park?\n\n"
        "The park is being redesigned. Tell us how you use it: two short questions."
    )
    assert url_buttons(post) == [
        ("Take the survey", f"https://t.me/townsquare_test_bot?start=survey-{survey_id}")
    ]

    # The card's old "Open now" button, pressed again, changes nothing.
    answer = await owner.press(posted_card, data=f"1:sm.open:{survey_id}")
    assert answer.text == "This card was out of date. Here is the survey as it is now."
    assert len(world.bot_messages(group)) == 2  # the greeting and the one post
