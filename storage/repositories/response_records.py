"""Survey responses as the answering path works on them: plain records, written back together.

Every step of answering reads a person's response and changes where they are (`current`), when
(`updated_at`) and their export line (`cells`). As objects of the ORM, the responses of a batch
cost more to load and to flush than the statements take to run; as plain records read with Core
statements, the batch's changes are found by comparing each record with what was last read or
written, and written by one executemany UPDATE before the transaction's next statement (see
`storage.deferred`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Row, Table, bindparam, update

from storage.models import ResponseStatus, SurveyResponse

_RESPONSES = cast(Table, SurveyResponse.__table__)
COLUMNS = (
    _RESPONSES.c.id,
    _RESPONSES.c.survey_id,
    _RESPONSES.c.respondent,
    _RESPONSES.c.member_id,
    _RESPONSES.c.status,
    _RESPONSES.c.current,
    _RESPONSES.c.language,
    _RESPONSES.c.started_at,
    _RESPONSES.c.updated_at,
    _RESPONSES.c.submitted_at,
    _RESPONSES.c.cells,
)
"""The columns a record is read from, in the order of its fields."""

_UPDATE = update(_RESPONSES).where(_RESPONSES.c.id == bindparam("response_id"))


@dataclass(slots=True, eq=False)
class ResponseRecord:
    """One person's response to one survey (see `storage.models.SurveyResponse`)."""

    id: int
    survey_id: int
    respondent: str
    member_id: int | None
    status: ResponseStatus
    current: str | None
    language: str
    started_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    cells: str

    def changeable(self) -> tuple[Any, ...]:
        """The fields answering changes, in the order `_write` writes them."""
        return (self.status, self.current, self.updated_at, self.submitted_at, self.cells)


class ResponseRecords:
    """The records read in one transaction, one per response, and how to write their changes."""

    def __init__(self) -> None:
        """Start with none."""
        # id -> (the record, its changeable fields as last read or written)
        self._loaded: dict[int, tuple[ResponseRecord, tuple[Any, ...]]] = {}

    def track(self, row: Row[Any] | Sequence[Any]) -> ResponseRecord:
        """The record of a row read with `COLUMNS`; the same record for the same response."""
        known = self._loaded.get(row[0])
        if known is not None:
            return known[0]  # as changed here, not as the row says (it is written before reads)
        record = ResponseRecord(*row)
        self._loaded[record.id] = (record, record.changeable())
        return record

    def changed(self) -> list[ResponseRecord]:
        """The records changed since they were last read or written."""
        return [record for record, seen in self._loaded.values() if record.changeable() != seen]

    def write(self, connection: Connection) -> None:
        """Write the changed records, all in one statement."""
        changed = self.changed()
        if not changed:
            return
        connection.execute(
            _UPDATE,
            [
                {
                    "response_id": record.id,
                    "status": record.status,
                    "current": record.current,
                    "updated_at": record.updated_at,
                    "submitted_at": record.submitted_at,
                    "cells": record.cells,
                }
                for record in changed
            ],
        )
        for record in changed:
            self._loaded[record.id] = (record, record.changeable())

    def revert(self) -> None:
        """Undo the changes not written (their savepoint was rolled back)."""
        for record, seen in self._loaded.values():
            record.status, record.current, record.updated_at, record.submitted_at, record.cells = (
                seen
            )

    def forget(self) -> None:
        """Stop tracking every record (their rows may have been deleted or rewritten)."""
        self._loaded.clear()
