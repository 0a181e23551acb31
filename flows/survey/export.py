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

from flows.survey.definition import NUMERIC_TYPES, OTHER, QuestionType, SurveyDefinition
from flows.survey.lifecycle import definition_of
from storage.models import ResponseStatus, Survey
from storage.repositories.survey_results import ExportColumn, ExportResponse
from storage.uow import UnitOfWork

if TYPE_CHECKING:  # openpyxl is imported when a workbook is made: it is slow to import
    from openpyxl.cell import Cell as SheetCell
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

Cell = str | int | float | None
BASE_COLUMNS = ["response", "status", "submitted", "language"]
IDENTITY_COLUMNS = ["name", "username", "telegram_id"]
FORMULA = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets read as the start of a formula
JOINERS = {QuestionType.MULTIPLE_CHOICE: "; ", QuestionType.RANKING: " > "}


@dataclass(frozen=True, slots=True)
class ExportTable:
    """What an export holds.

    Attributes:
        filename: A file name without extension, from the survey's slug.
        headers: Column names; a question's column is named by its id.
        rows: One row per response, cells in the headers' order.
        questions: (id, type, text in the organiser's language, options) per question, for
            the legend sheet of the XLSX.
    """

    filename: str
    headers: list[str]
    rows: list[list[Cell]]
    questions: list[tuple[str, str, str, str]]


async def export_table(uow: UnitOfWork, survey: Survey, language: str) -> ExportTable:
    """Read every response of `survey` into a table (database work only; writing is separate).

    Args:
        uow: The open unit of work.
        survey: The survey.
        language: The language of the question texts in the legend.
    """
    definition = definition_of(survey)
    repository = uow.survey_results
    identified = not survey.anonymous
    base = BASE_COLUMNS + (IDENTITY_COLUMNS if identified else [])
    columns = [
        ExportColumn(q.id, numeric=q.type in NUMERIC_TYPES, joiner=JOINERS.get(q.type))
        for q in definition.questions
    ]
    numeric = [n for n, column in enumerate(columns) if column.numeric]
    found = await repository.export_rows(survey.id, columns, identified=identified, other=OTHER)
    if survey.anonymous:
        # Response ids grow with time; pseudonyms do not, so this order tells nothing.
        found.sort(key=lambda pair: pair[0].respondent)
    rows = []
    for number, (response, values) in enumerate(found, 1):
        answers = list(values)
        for at in numeric:
            value = answers[at]
            if isinstance(value, float):
                answers[at] = _number(value)
        rows.append(_response_cells(number, response, identified) + answers)
    return ExportTable(
        filename=f"{survey.slug}-responses",
        headers=base + [q.id for q in definition.questions],
        rows=rows,
        questions=_legend(definition, language),
    )


def to_csv(table: ExportTable) -> bytes:
    """Write the table as CSV (UTF-8 with a byte-order mark, so spreadsheets read it right).

    A typed answer that a spreadsheet would take for a formula ("=...", "+...", "-...",
    "@...") gets a leading apostrophe, so that opening the file cannot run anything a
    respondent wrote.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.headers)
    writer.writerows(
        [f"'{cell}" if isinstance(cell, str) and cell.startswith(FORMULA) else cell for cell in row]
        for row in table.rows
    )
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(table: ExportTable) -> bytes:
    """Write the table as an Excel workbook: the responses, and a sheet naming the questions."""
    from openpyxl import Workbook  # imported when needed: it is slow to import

    workbook = Workbook(write_only=True)
    responses = workbook.create_sheet("Responses")
    responses.append(table.headers)
    for row in table.rows:
        responses.append([_text_cell(responses, cell) for cell in row])
    legend = workbook.create_sheet("Questions")
    legend.append(["question", "type", "text", "options"])
    for entry in table.questions:
        legend.append(list(entry))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _text_cell(sheet: WriteOnlyWorksheet, value: Cell) -> Cell | SheetCell:
    """A cell that stays text even if it looks like a formula (openpyxl would make it one)."""
    if not (isinstance(value, str) and value.startswith("=")):
        return value
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell


def _response_cells(number: int, response: ExportResponse, identified: bool) -> list[Cell]:
    status = "complete" if response.status is ResponseStatus.COMPLETE else "incomplete"
    submitted = response.submitted_at
    if submitted is None:
        when = None
    elif identified:
        when = submitted.isoformat(timespec="seconds")
    else:
        when = submitted.date().isoformat()  # anonymous times are kept to the day
    cells: list[Cell] = [number, status, when, response.language]
    if identified:
        name = " ".join(n for n in (response.first_name, response.last_name) if n)
        cells += [name or None, response.username, response.telegram_id]
    return cells


def _number(value: float) -> int | float:
    return int(value) if value.is_integer() else value


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
