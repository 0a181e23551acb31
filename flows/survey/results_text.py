"""Survey results as text in the reader's language: the full report and the short summary.

Labels come from the catalogs (`t`), survey texts from the definition in the reader's language.
The full report shows everything; the summary is one or two lines a question, short enough for
one Telegram message, and is what participants get when results are published.
"""

from __future__ import annotations

from babel import Locale, UnknownLocaleError

from flows.i18n import Translator
from flows.survey.definition import NO, OTHER, YES, QuestionType
from flows.survey.results import QuestionResults, Share, SurveyResults, number_text
from storage.models import SurveyStatus

BAR_CELLS = 10
SUMMARY_LIMIT = 3500  # leaves room under Telegram's 4,096 characters for a heading or a note
MESSAGE_LIMIT = 4096  # Telegram's limit, counted in UTF-16 code units
MESSAGE_TEXTS = 3  # typed answers a message shows per question and language


def fits_a_message(text: str) -> bool:
    """Whether Telegram takes `text` as one message."""
    return len(text.encode("utf-16-le")) // 2 <= MESSAGE_LIMIT


def full_report(results: SurveyResults, t: Translator, texts: int | None = None) -> str:
    """Everything: figures, every question's counts with bars, typed answers, the funnel.

    Args:
        results: The results.
        t: The reader's translator.
        texts: Show at most this many typed answers per question and language (a message);
            None shows every one the results hold (a document).
    """
    parts = [_heading(results, t)]
    for number, question in enumerate(results.questions, 1):
        parts.append(_question_report(results, question, number, t, texts))
    funnel = _funnel(results, t)
    if funnel:
        parts.append(funnel)
    return "\n\n".join(parts)


def summary(results: SurveyResults, t: Translator, limit: int = SUMMARY_LIMIT) -> str:
    """The headline figures and one or two lines a question, cut to `limit` characters."""
    text = _heading(results, t)
    for number, question in enumerate(results.questions, 1):
        part = "\n\n" + _question_summary(results, question, number, t)
        if len(text) + len(part) > limit:
            left = len(results.questions) - number + 1
            return (
                text
                + "\n\n"
                + t.plural("… and {count} more question", "… and {count} more questions", left)
            )
        text += part
    return text


def _heading(results: SurveyResults, t: Translator) -> str:
    definition = results.definition
    status = {
        SurveyStatus.DRAFT: t("draft"),
        SurveyStatus.OPEN: t("open"),
        SurveyStatus.CLOSED: t("closed"),
    }[results.survey.status]
    lines = [
        "📊 " + t("Results: {title}", title=definition.text(definition.title, t.language)),
        t("Status: {status}", status=status),
        t(
            "Responses: {started} started, {submitted} submitted ({rate} completed)",
            started=results.started,
            submitted=results.submitted,
            rate=_percent(results.completion_rate),
        ),
    ]
    return "\n".join(lines)


def _title(results: SurveyResults, question: QuestionResults, number: int, t: Translator) -> str:
    text = results.definition.text(question.question.text, t.language)
    return f"{number}. {text}"


def _question_report(
    results: SurveyResults, item: QuestionResults, number: int, t: Translator, texts: int | None
) -> str:
    lines = [_title(results, item, number, t), t("Answered: {count}", count=item.answered)]
    kind = item.question.type
    if kind is QuestionType.RANKING:
        lines.append(t("Ranked by points (first place earns the most):"))
        for ranked in item.ranking:
            lines.append(
                "  "
                + t(
                    "{option}: {points} points, average rank {rank}, first for {first}",
                    option=_label(results, item, ranked.option, t),
                    points=ranked.points,
                    rank=_decimal(ranked.average_rank),
                    first=ranked.first,
                )
            )
    elif item.shares and (kind is not QuestionType.NUMBER or item.answered):
        width = max(len(_label(results, item, s.key, t)) for s in item.shares)
        for share in item.shares:
            lines.append("  " + _bar_line(_label(results, item, share.key, t), share, width))
    if item.nps is not None and item.nps.total:
        nps = item.nps
        lines.append(
            t(
                "NPS: {score} (promoters {promoters}, passives {passives}, detractors "
                "{detractors})",
                score=format(nps.score, "+.0f"),
                promoters=_count_share(nps.promoters, nps.total),
                passives=_count_share(nps.passives, nps.total),
                detractors=_count_share(nps.detractors, nps.total),
            )
        )
    if item.mean is not None and item.median is not None:
        lines.append(_averages(item, t))
    if item.dates is not None:
        lines.append(t("From {first} to {last}", first=item.dates[0], last=item.dates[1]))
    if kind is QuestionType.PHOTO:
        lines.append(_photos(item, t))
    if item.text_counts:
        heading = (
            t("Other answers:")
            if kind
            in (
                QuestionType.SINGLE_CHOICE,
                QuestionType.MULTIPLE_CHOICE,
            )
            else t("Answers by language:")
        )
        lines.append(heading)
        lines.extend(_texts(item, t, texts))
    return "\n".join(lines)


def _question_summary(
    results: SurveyResults, item: QuestionResults, number: int, t: Translator
) -> str:
    title = _title(results, item, number, t)
    kind = item.question.type
    if not item.answered:
        detail = t("No answers yet.")
    elif kind is QuestionType.RANKING:
        order = ", ".join(_label(results, item, r.option, t) for r in item.ranking)
        detail = t("Ranking: {order}", order=order)
    elif kind is QuestionType.NPS and item.nps is not None:
        score = t("NPS: {score}", score=format(item.nps.score, "+.0f"))
        detail = score + " · " + _averages(item, t)
    elif kind in (QuestionType.SCALE, QuestionType.NUMBER):
        detail = _averages(item, t)
    elif kind is QuestionType.DATE and item.dates is not None:
        detail = t("From {first} to {last}", first=item.dates[0], last=item.dates[1])
    elif kind is QuestionType.PHOTO:
        detail = _photos(item, t)
    elif item.shares:
        detail = " · ".join(
            f"{_label(results, item, s.key, t)} {_percent(s.percent)}" for s in item.shares
        )
    else:
        detail = t.plural("{count} answer", "{count} answers", item.answered)
    return f"{title}\n   {detail}"


def _photos(item: QuestionResults, t: Translator) -> str:
    return "📷 " + t.plural("{count} photo received", "{count} photos received", item.answered)


def _averages(item: QuestionResults, t: Translator) -> str:
    text = t(
        "Mean {mean}, median {median}",
        mean=_decimal(item.mean or 0.0),
        median=_decimal(item.median or 0.0),
    )
    if item.low is not None and item.high is not None:
        text += " · " + t(
            "from {low} to {high}", low=number_text(item.low), high=number_text(item.high)
        )
    return text


def _texts(item: QuestionResults, t: Translator, limit: int | None) -> list[str]:
    lines = []
    ordered = sorted(item.text_counts.items(), key=lambda pair: (-pair[1], pair[0] or "~"))
    for language, count in ordered:
        lines.append(f"  {_language(language, t)} ({count})")
        shown = item.texts.get(language, [])[:limit]
        for text in shown:
            lines.append("   • " + " ".join(text.split()))  # one line each, even long ones
        if count > len(shown):
            lines.append("   " + t("… and {count} more", count=count - len(shown)))
    return lines


def _funnel(results: SurveyResults, t: Translator) -> str:
    if not results.unfinished:
        return ""
    lines = [
        t.plural(
            "Where the {count} unfinished response stopped:",
            "Where the {count} unfinished responses stopped:",
            results.unfinished,
        )
    ]
    for number, item in enumerate(results.questions, 1):
        if item.stopped:
            lines.append(f"  {_title(results, item, number, t)}: {item.stopped}")
    if results.at_summary:
        lines.append("  " + t("At the summary, not submitted: {count}", count=results.at_summary))
    return "\n".join(lines)


def _label(results: SurveyResults, item: QuestionResults, key: str, t: Translator) -> str:
    question = item.question
    if key == OTHER:
        return t("Other")
    if question.type is QuestionType.YES_NO:
        return {YES: t("Yes"), NO: t("No")}.get(key, key)
    for option in question.options:
        if option.id == key:
            return results.definition.text(option.text, t.language)
    if (
        question.type is QuestionType.SCALE
        and question.min_label
        and key == str(question.scale_min)
    ):
        return f"{key} ({results.definition.text(question.min_label, t.language)})"
    if (
        question.type is QuestionType.SCALE
        and question.max_label
        and key == str(question.scale_max)
    ):
        return f"{key} ({results.definition.text(question.max_label, t.language)})"
    return key


def _bar_line(label: str, share: Share, width: int) -> str:
    filled = round(share.percent / 100 * BAR_CELLS)
    bar = "█" * filled + "░" * (BAR_CELLS - filled)
    return f"{label.ljust(width)}  {bar} {_percent(share.percent)} ({share.count})"


def _language(code: str | None, t: Translator) -> str:
    """A detected language's name in the reader's language."""
    if code is None:
        return t("Language not detected")
    try:
        name = Locale.parse(code, sep="-").get_display_name(Locale.parse(t.language))
    except (ValueError, TypeError, UnknownLocaleError):
        return code
    return name or code


def _percent(value: float) -> str:
    return f"{value:.0f}%"


def _count_share(count: int, total: int) -> str:
    return f"{count} = {_percent(100 * count / total)}"


def _decimal(value: float) -> str:
    return number_text(round(value, 2))
