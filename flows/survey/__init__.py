"""Surveys: residents answer questionnaires in a private chat, one question at a time."""

from __future__ import annotations

from flows.router import Router


def register(router: Router) -> None:
    """Register the residents' survey flow (being built)."""
