"""Polls' part of /mydata. Identified ballots are exported; anonymous ones cannot be found.

Nothing needs erasing here on /forget: an identified ballot refers to the member row only,
and /forget strips that row of everything that names the person while the ballot still counts.
A private copy of a poll is an outbox row addressed to the member (`poll:<id>:dm`, and its
closing edit `poll:<id>:dm:end`); /forget deletes those with every outbox row of theirs, so the
copy's buttons stop voting.
"""

from __future__ import annotations

from typing import Any

from flows.privacy import Section, register_section
from storage.models import Member
from storage.uow import UnitOfWork


async def _ballots(uow: UnitOfWork, member: Member) -> list[dict[str, Any]]:
    exported = []
    for ballot in await uow.ballots.of_member(member.id):
        poll = await uow.polls.get(ballot.poll_id)
        exported.append(
            {
                "poll": ballot.poll_id,
                "question": poll.question if poll else None,
                "choices": ballot.choices,
                "cast_at": ballot.cast_at.isoformat(),
                "updated_at": ballot.updated_at.isoformat(),
            }
        )
    return exported


def register_privacy() -> None:
    """Add polls' section to /mydata."""
    register_section(Section("poll_ballots", _ballots))
