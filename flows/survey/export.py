"""A survey's responses as a table written as CSV or XLSX: a row a response, a column a question.

Values are compact and language-neutral: option ids, "yes"/"no", numbers, ISO dates; a multiple
choice joins its picks with "; ", a ranking reads "first > second > third", and an "other"
answer reads "other: <text>". Identified surveys add who answered; anonymous ones add nothing
that identifies anyone, and list their responses in an order unrelated to time.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flows.csv_cells import FORMULA, Cell, csv_cell
from flows.survey.definition import (
    NUMERIC_TYPES,
    OTHER,
    Question,
    QuestionType,
    SurveyDefinition,
)
from flows.survey.lifecycle import definition_of
from storage.models import Survey
from storage.repositories.survey_responses import Answers, AnswerValue
from storage.uow import UnitOfWork

if TYPE_CHECKING:  # openpyxl is imported when a workbook is made: it is slow to import
    from openpyxl.cell import Cell as SheetCell
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

BASE_COLUMNS = ["response", "status", "submitted", "language"]
IDENTITY_COLUMNS = ["name", "username", "telegram_id"]
NUMERIC_BASE = {"response", "telegram_id"}
JOINERS = {QuestionType.MULTIPLE_CHOICE: "; ", QuestionType.RANKING: " > "}


@dataclass(frozen=True, slots=True)
class ExportTable:
    """What an export holds.

    Attributes:
        filename: A file name without extension, from the survey's slug.
        headers: Column names; a question's column is named by its id.
        lines: One line of CSV cells per response, in the headers' order.
        numeric: For each column, whether it holds numbers (for the XLSX cells).
        questions: (id, type, text in the organiser's language, options) per question, for
            the legend sheet of the XLSX.
    """

    filename: str
    headers: list[str]
    lines: list[str]
    numeric: list[bool]
    questions: list[tuple[str, str, str, str]]


def answer_line(definition: SurveyDefinition, answers: Answers) -> str:
    """A response's answers as CSV cells, one per question in order (stored with the response).

    Kept up to date whenever the answers change, so that an export reads one column per
    response instead of every answer row.
    """
    return ",".join([csv_cell(_answer_cell(q, answers.get(q.id))) for q in definition.questions])


async def export_table(uow: UnitOfWork, survey: Survey, language: str) -> ExportTable:
    """Read every response of `survey` into a table (database work only; writing is separate).

    Args:
        uow: The open unit of work.
        survey: The survey.
        language: The language of the question texts in the legend.
    """
    definition = definition_of(survey)
    identified = not survey.anonymous
    found = await uow.survey_results.export_lines(
        survey.id, identified=identified, formula_starts=FORMULA
    )
    if survey.anonymous:
        # Response ids grow with time; pseudonyms do not, so this order tells nothing.
        found.sort(key=lambda line: line.respondent)
    unanswered = "," * (len(definition.questions) - 1)  # a response with no answer yet
    own = BASE_COLUMNS + (IDENTITY_COLUMNS if identified else [])
    return ExportTable(
        filename=f"{survey.slug}-responses",
        headers=own + [q.id for q in definition.questions],
        lines=[f"{n},{line.own},{line.cells or unanswered}" for n, line in enumerate(found, 1)],
        numeric=[c in NUMERIC_BASE for c in own]
        + [q.type in NUMERIC_TYPES for q in definition.questions],
        questions=_legend(definition, language),
    )


def to_csv(table: ExportTable) -> bytes:
    """Write the table as CSV (UTF-8 with a byte-order mark, so spreadsheets read it right).

    Text that a spreadsheet would take for a formula ("=...", "+...", "-...", "@...") was
    given a leading apostrophe when the lines were made, so that opening the file cannot run
    anything a respondent wrote.
    """
    lines = [",".join(map(csv_cell, table.headers)), *table.lines]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


def to_xlsx(table: ExportTable) -> bytes:
    """Write the table as an Excel workbook: the responses, and a sheet naming the questions."""
    from openpyxl import Workbook  # imported when needed: it is slow to import

    workbook = Workbook(write_only=True)
    responses = workbook.create_sheet("Responses")
    responses.append(table.headers)
    for values in csv.reader(table.lines):
        cells = [
            _sheet_value(text, numeric) for text, numeric in zip(values, table.numeric, strict=True)
        ]
        responses.append([_text_cell(responses, cell) for cell in cells])
    legend = workbook.create_sheet("Questions")
    legend.append(["question", "type", "text", "options"])
    for entry in table.questions:
        legend.append(list(entry))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _answer_cell(question: Question, values: list[AnswerValue] | None) -> Cell:
    if not values:
        return None
    if question.type in NUMERIC_TYPES:
        number = values[0].number
        return None if number is None else _number(number)
    joiner = JOINERS.get(question.type)
    shown = [_shown(value) for value in values]
    return joiner.join(shown) if joiner else shown[0]


def _shown(value: AnswerValue) -> str:
    if value.choice == OTHER and value.text is not None:
        return f"{OTHER}: {value.text}"
    return value.choice or value.text or ""


def _sheet_value(text: str, numeric: bool) -> Cell:
    """A stored CSV cell as a spreadsheet value: numbers as numbers, empty as nothing."""
    if not text:
        return None
    if numeric:
        return _number(float(text))
    if text.startswith("'") and text[1:].startswith(FORMULA):
        return text[1:]  # the apostrophe protects CSV readers; _text_cell protects the sheet
    return text


def _text_cell(sheet: WriteOnlyWorksheet, value: Cell) -> Cell | SheetCell:
    """A cell that stays text even if it looks like a formula (openpyxl would make it one)."""
    if not (isinstance(value, str) and value.startswith("=")):
        return value
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell


def _number(value: float) -> int | float:
    # Whole numbers are written without ".0" (a scale point of 4 is "4", not "4.0").
    return int(value) if float(value).is_integer() else value


def _legend(definition: SurveyDefinition, language: str) -> list[tuple[str, str, str, str]]:
    def options(pairs: Iterable[tuple[str, str]]) -> str:
        return "; ".join(f"{key} = {text}" for key, text in pairs)

    legend = []
    for question in definition.questions:
        pairs = [(o.id, definition.text(o.text, language)) for o in question.options]
        legend.append(
            (
                question.id,
                str(question.type),
                definition.text(question.text, language),
                options(pairs),
            )
        )
    return legend
