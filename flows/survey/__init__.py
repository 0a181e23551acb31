"""Surveys: residents answer questionnaires in a private chat, one question at a time."""

from __future__ import annotations

from flows.router import Router
from flows.survey import answering, privacy, read_ahead


def register(router: Router) -> None:
    """Register the residents' survey flow and its part of /mydata and /forget."""
    answering.register(router)
    read_ahead.register(router)
    privacy.register_privacy()
