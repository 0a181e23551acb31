"""What an organiser is shown of a survey before saving it: its texts, questions and settings."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from flows.config import CommunityConfig
from flows.i18n import N_, Translator
from flows.survey.definition import AudienceKind, QuestionType, SurveyDefinition

TYPE_NAMES = {
    QuestionType.SINGLE_CHOICE: N_("single choice"),
    QuestionType.MULTIPLE_CHOICE: N_("multiple choice"),
    QuestionType.SCALE: N_("scale"),
    QuestionType.NPS: N_("NPS (0-10)"),
    QuestionType.YES_NO: N_("yes/no"),
    QuestionType.SHORT_TEXT: N_("short text"),
    QuestionType.LONG_TEXT: N_("long text"),
    QuestionType.NUMBER: N_("number"),
    QuestionType.DATE: N_("date"),
    QuestionType.RANKING: N_("ranking"),
    QuestionType.PHOTO: N_("photo"),
}


def summary(t: Translator, config: CommunityConfig, definition: SurveyDefinition) -> str:
    """Describe a survey in a few lines: title, id, languages, questions by type, settings."""
    settings = definition.settings
    counts = Counter(question.type for question in definition.questions)
    kinds = ", ".join(f"{count} {t(TYPE_NAMES[kind])}" for kind, count in counts.items())
    yes, no = t("yes"), t("no")
    lines = [
        f"📋 {definition.text(definition.title, t.language)}",
        t("Id: {slug}", slug=definition.id),
        t("Languages: {languages}", languages=", ".join(sorted(definition.languages()))),
        t.plural(
            "{count} question: {kinds}",
            "{count} questions: {kinds}",
            len(definition.questions),
            kinds=kinds,
        ),
        t("Anonymous: {answer}", answer=yes if settings.anonymous else no),
        t("Who may answer: {audience}", audience=_audience(t, definition)),
        t("Opens: {when}", when=_when(config, settings.opens_at) or t("as soon as it is opened")),
        t("Closes: {when}", when=_when(config, settings.closes_at) or t("when closed by hand")),
        t(
            "Maximum responses: {limit}",
            limit=settings.max_responses if settings.max_responses else t("no limit"),
        ),
        t(
            "Answers can be changed until it closes: {answer}",
            answer=yes if settings.editable else no,
        ),
        t(
            "Results sent to participants when it closes: {answer}",
            answer=yes if settings.publish_results else no,
        ),
    ]
    return "\n".join(lines)


def questions(t: Translator, definition: SurveyDefinition) -> str:
    """List the questions with their type and options, numbered."""
    lines: list[str] = []
    for number, question in enumerate(definition.questions, start=1):
        text = definition.text(question.text, t.language)
        lines.append(f"{number}. {text} ({t(TYPE_NAMES[question.type])})")
        lines += [f"   • {definition.text(o.text, t.language)}" for o in question.options]
    return "\n".join(lines)


def _audience(t: Translator, definition: SurveyDefinition) -> str:
    audience = definition.settings.audience
    if audience.kind is AudienceKind.GROUP:
        return t("members of the group {chat_id}", chat_id=audience.chat_id)
    if audience.kind is AudienceKind.FOLLOWERS:
        return t("followers of {name}", name=audience.followable)
    return t("everyone")


def _when(config: CommunityConfig, moment: datetime | None) -> str | None:
    if moment is None:
        return None
    local = moment.astimezone(config.timezone)
    return f"{local:%Y-%m-%d %H:%M} ({config.timezone.key})"
