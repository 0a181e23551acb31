"""Display conditions: which questions a respondent sees, given their answers so far."""

from __future__ import annotations

from flows.survey.definition import Condition, Question, QuestionType, SurveyDefinition
from storage.repositories.survey_responses import Answers, AnswerValue


def holds(condition: Condition, target: Question, values: list[AnswerValue]) -> bool:
    """Whether `condition` holds for the answer `values` of the question it refers to.

    `equals` compares with the whole answer: the option picked (for a multiple choice, the only
    option picked; for a ranking, the one ranked first), yes/no, or the scale point.
    """
    if condition.answered is not None:
        return bool(values) is condition.answered
    if condition.includes is not None:
        return any(value.choice == condition.includes for value in values)
    expected = condition.equals if condition.equals is not None else condition.differs
    if not values:
        return False  # neither equal to nor different from an answer that was not given
    same = _primary(target, values) == expected
    return same if condition.equals is not None else not same


def _primary(question: Question, values: list[AnswerValue]) -> str | int | None:
    if question.type in (QuestionType.SCALE, QuestionType.NPS):
        number = values[0].number
        return None if number is None else int(number)
    if question.type is QuestionType.MULTIPLE_CHOICE and len(values) != 1:
        return None
    return values[0].choice


def visible_questions(definition: SurveyDefinition, answers: Answers) -> list[Question]:
    """The questions shown for these answers, in order.

    A condition on a hidden question is judged as if that question was not answered, so hiding
    cascades down the survey.
    """
    shown: list[Question] = []
    shown_ids: set[str] = set()
    for question in definition.questions:
        condition = question.show_if
        if condition is not None:
            target = definition.question(condition.question)
            assert target is not None, "checked when the definition was validated"
            values = answers.get(condition.question, []) if target.id in shown_ids else []
            if not holds(condition, target, values):
                continue
        shown.append(question)
        shown_ids.add(question.id)
    return shown


def hidden_answers(definition: SurveyDefinition, answers: Answers) -> list[str]:
    """The ids of answered questions that the answers now hide (their answers must go)."""
    shown = {question.id for question in visible_questions(definition, answers)}
    return [question_id for question_id in answers if question_id not in shown]
