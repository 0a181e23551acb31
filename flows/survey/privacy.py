"""Surveys in /mydata and /forget: a member's identified responses and their survey contacts.

Anonymous responses carry no link to the person (only a keyed pseudonym the database cannot
reverse), so they can be neither exported nor erased; the export says so.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flows.privacy import Section, register_section
from flows.survey.definition import Question, QuestionType, SurveyDefinition
from flows.survey.export import answer_line
from flows.survey.lifecycle import definition_of
from storage.models import Member
from storage.repositories.survey_responses import AnswerValue
from storage.uow import UnitOfWork

ANONYMOUS_NOTE = (
    "Answers to anonymous surveys are stored without any link to you, so they cannot be "
    "exported or erased."
)


async def export_surveys(uow: UnitOfWork, member: Member) -> dict[str, Any]:
    """A member's identified responses (survey, status, answers) and survey contacts."""
    responses = []
    for response, survey, answers in await uow.responses.of_member(member.id):
        definition = definition_of(survey)
        language = response.language
        responses.append(
            {
                "survey": definition.text(definition.title, language),
                "status": str(response.status),
                "started_at": response.started_at.isoformat(),
                "submitted_at": _iso(response.submitted_at),
                "answers": [
                    {
                        "question": _question_text(definition, question_id, language),
                        "values": [
                            _value(definition.question(question_id), value) for value in values
                        ],
                    }
                    for question_id, values in answers.items()
                ],
            }
        )
    participation = [
        {
            "survey": survey.slug,
            "invited_at": _iso(contact.invited_at),
            "started": contact.started,
            "finished": contact.finished,
        }
        for contact, survey in await uow.responses.contacts_of(member.id)
    ]
    return {"responses": responses, "participation": participation, "note": ANONYMOUS_NOTE}


async def erase_surveys(uow: UnitOfWork, member: Member, at: datetime) -> None:
    """Erase unfinished identified responses, free text and photos in submitted ones, contacts.

    A photo is stored like a free-text answer (its file_id as text, no choice), so the
    repository's erasing of typed answers erases photos too.
    """
    await uow.responses.erase_member(member.id)
    # What was erased must leave the exports too: rewrite the lines of what is left.
    for response, survey, answers in await uow.responses.of_member(member.id):
        response.cells = answer_line(definition_of(survey), answers)


def register_privacy() -> None:
    """Add the surveys section to /mydata and /forget."""
    register_section(Section("surveys", export_surveys, erase_surveys))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _question_text(definition: SurveyDefinition, question_id: str, language: str) -> str:
    question = definition.question(question_id)
    return definition.text(question.text, language) if question else question_id


def _value(question: Question | None, value: AnswerValue) -> dict[str, Any]:
    if question is not None and question.type is QuestionType.PHOTO:
        # A photo is kept as its Telegram file_id and nothing else (see questions.photo_answer).
        return {"photo": value.text}
    found = {"choice": value.choice, "number": value.number, "text": value.text}
    return {key: item for key, item in found.items() if item is not None}
