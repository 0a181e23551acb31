"""Register the residents' side of polls: voting, live results, closing, personal data."""

from __future__ import annotations

from flows.poll import (
    closing,
    live,
    native,
    privacy,
    private_ballot,
    reminders,
    suggestions,
    voting,
)
from flows.router import Router


def register(router: Router) -> None:
    """Register the poll buttons and jobs, and polls' part of /mydata."""
    voting.register(router)
    private_ballot.register(router)
    live.register(router)
    closing.register(router)
    native.register(router)
    reminders.register(router)
    privacy.register_privacy()
    suggestions.register(router)
    suggestions.register_privacy()
