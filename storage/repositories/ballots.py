"""Ballots: one vote per person per poll, enforced by the database."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert

from storage.models import Ballot, Member, unordered_key

# The statements of a vote, built once: building one costs more than SQLite takes to run it,
# and a busy poll runs them for every tap. On the table, so they skip the ORM's machinery.
_BALLOTS = cast(Table, Ballot.__table__)
_CHOICES = select(_BALLOTS.c.choices).where(
    _BALLOTS.c.poll_id == bindparam("poll_id"), _BALLOTS.c.voter == bindparam("voter")
)


def _cast_statement(insert: Callable[[Table], Any], *, replace: bool) -> Insert:
    statement = insert(_BALLOTS)
    if replace:
        return statement.on_conflict_do_update(  # type: ignore[no-any-return]
            index_elements=["poll_id", "voter"],
            set_={
                "choices": statement.excluded.choices,
                "updated_at": statement.excluded.updated_at,
            },
        )
    return statement.on_conflict_do_nothing(  # type: ignore[no-any-return]
        index_elements=["poll_id", "voter"]
    )


_CAST = {
    (dialect, replace): _cast_statement(insert, replace=replace)
    for dialect, insert in (("sqlite", sqlite_insert), ("postgresql", pg_insert))
    for replace in (False, True)
}


class BallotRepository:
    """Reads and writes ballots."""

    def __init__(self, session: AsyncSession) -> None:
        """Bind to the unit of work's session."""
        self._session = session

    async def find(self, poll_id: int, voter: str) -> Ballot | None:
        """Return the voter's ballot in a poll, or None."""
        statement = select(Ballot).where(Ballot.poll_id == poll_id, Ballot.voter == voter)
        return (await self._session.execute(statement)).scalar_one_or_none()

    async def cast(
        self,
        poll_id: int,
        voter: str,
        member_id: int | None,
        choices: Any,
        at: datetime,
        *,
        replace: bool,
    ) -> bool:
        """Store a ballot in one statement, so that concurrent taps end with one row.

        Args:
            poll_id: The poll.
            voter: The voter key (`m:<member id>` or an anonymous pseudonym).
            member_id: The member, None for anonymous polls.
            choices: The ballot in its normal form.
            at: When (cut to the day by the caller for anonymous polls).
            replace: Replace an existing ballot (changes allowed); otherwise keep the first.

        Returns:
            Whether the ballot was stored (False: one existed and `replace` was off).
        """
        dialect = self._session.get_bind().dialect.name
        values = {
            "poll_id": poll_id,
            "voter": voter,
            "member_id": member_id,
            "choices": choices,
            "cast_at": at,
            "updated_at": at,
        }
        result = await self._session.execute(_CAST[dialect, replace], values)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def choices_of(self, poll_id: int, voter: str) -> Any | None:
        """Return the choices of the voter's ballot in a poll, or None if they have none."""
        found = await self._session.execute(_CHOICES, {"poll_id": poll_id, "voter": voter})
        return found.scalar_one_or_none()

    async def withdraw(self, poll_id: int, voter: str) -> bool:
        """Delete the voter's ballot. Returns whether there was one."""
        result = await self._session.execute(
            delete(Ballot).where(Ballot.poll_id == poll_id, Ballot.voter == voter)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def choices(self, poll_id: int) -> Sequence[Any]:
        """Return every ballot's choices (for counting), in no meaningful order."""
        statement = select(Ballot.choices).where(Ballot.poll_id == poll_id).order_by(Ballot.id)
        return (await self._session.execute(statement)).scalars().all()

    async def cast_by(self, poll_id: int, voters: Collection[str]) -> set[str]:
        """Return which of these voter keys have a ballot in the poll."""
        keys = list(voters)
        found: set[str] = set()
        for start in range(0, len(keys), 1000):  # stay under the drivers' parameter limits
            statement = select(Ballot.voter).where(
                Ballot.poll_id == poll_id, Ballot.voter.in_(keys[start : start + 1000])
            )
            found.update((await self._session.execute(statement)).scalars().all())
        return found

    async def count(self, poll_id: int) -> int:
        """Return how many people voted."""
        statement = select(func.count()).select_from(Ballot).where(Ballot.poll_id == poll_id)
        return int((await self._session.execute(statement)).scalar_one())

    async def with_voters(self, poll_id: int) -> Sequence[tuple[Any, Member | None]]:
        """Return each ballot's choices with its member (None when anonymous), oldest first."""
        statement = (
            select(Ballot.choices, Member)
            .outerjoin(Member, Member.id == Ballot.member_id)
            .where(Ballot.poll_id == poll_id)
            .order_by(Ballot.cast_at, Ballot.id)
        )
        return (await self._session.execute(statement)).all()

    async def of_member(self, member_id: int) -> Sequence[Ballot]:
        """Return the identified ballots of a member (for /mydata)."""
        statement = (
            select(Ballot).where(Ballot.member_id == member_id).order_by(Ballot.cast_at, Ballot.id)
        )
        return (await self._session.execute(statement)).scalars().all()

    async def anonymise(
        self,
        poll_id: int,
        pseudonym: Callable[[Ballot, int | None], str],
        day: Callable[[datetime], datetime],
    ) -> int:
        """Cut every ballot of a poll from its voter: re-key, drop the member, cut the times.

        Args:
            poll_id: The poll being made anonymous.
            pseudonym: The new voter key of a ballot, given it and its voter's Telegram id
                (None if the member was erased).
            day: What to keep of a time (the day).

        Returns:
            How many ballots were re-keyed.
        """
        statement = (
            select(Ballot, Member.telegram_id)
            .outerjoin(Member, Member.id == Ballot.member_id)
            .where(Ballot.poll_id == poll_id)
        )
        rows = (await self._session.execute(statement)).all()
        for ballot, telegram_id in rows:
            ballot.voter = pseudonym(ballot, telegram_id)
            ballot.id = unordered_key()  # ballots from before may have ids in voting order
            ballot.member_id = None
            ballot.cast_at = day(ballot.cast_at)
            ballot.updated_at = day(ballot.updated_at)
        await self._session.flush()
        return len(rows)
