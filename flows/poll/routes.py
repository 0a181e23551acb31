"""Register the residents' side of polls: voting, live results, closing, personal data."""

from __future__ import annotations

from flows.poll import closing, live, privacy, private_ballot, voting
from flows.router import Router


def register(router: Router) -> None:
    """Register the poll buttons and jobs, and polls' part of /mydata."""
    voting.register(router)
    private_ballot.register(router)
    live.register(router)
    closing.register(router)
    privacy.register_privacy()
