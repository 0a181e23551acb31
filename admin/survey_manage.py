"""Surveys for organisers (being built)."""

from __future__ import annotations

from flows.router import Router


def register(router: Router) -> None:
    """Register this module's commands, buttons and jobs."""
