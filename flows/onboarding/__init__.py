"""Onboarding and a member's own settings: the first flows every resident meets."""

from __future__ import annotations

from flows.onboarding import account, groups, start
from flows.router import Router


def register(router: Router) -> None:
    """Register every onboarding, account and group handler."""
    start.register(router)
    account.register(router)
    groups.register(router)
