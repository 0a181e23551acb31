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
from dataclasses import dataclass, fields
from datetime import datetime
from operator import attrgetter
from typing import Any, cast

from sqlalchemy import Connection, Row, Table, bindparam, update

from storage.models import ResponseStatus, SurveyResponse

_RESPONSES = cast(Table, SurveyResponse.__table__)
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


COLUMNS = tuple(_RESPONSES.c[field.name] for field in fields(ResponseRecord))
"""The columns a record is read from, in the order of its fields."""

CHANGEABLE = ("status", "current", "updated_at", "submitted_at", "cells")
"""The fields answering changes: the ones compared and written back."""
_changeable = attrgetter(*CHANGEABLE)


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
        self._loaded[record.id] = (record, _changeable(record))
        return record

    def changed(self) -> list[ResponseRecord]:
        """The records changed since they were last read or written."""
        return [record for record, seen in self._loaded.values() if _changeable(record) != seen]

    def write(self, connection: Connection) -> None:
        """Write the changed records, all in one statement."""
        changed = self.changed()
        if not changed:
            return
        rows = [dict(zip(CHANGEABLE, _changeable(record), strict=True)) for record in changed]
        for record, row in zip(changed, rows, strict=True):
            row["response_id"] = record.id
        connection.execute(_UPDATE, rows)
        for record in changed:
            self._loaded[record.id] = (record, _changeable(record))

    def revert(self) -> None:
        """Undo the changes not written (their savepoint was rolled back)."""
        for record, seen in self._loaded.values():
            for name, value in zip(CHANGEABLE, seen, strict=True):
                setattr(record, name, value)

    def forget(self) -> None:
        """Stop tracking every record (their rows may have been deleted or rewritten)."""
        self._loaded.clear()
