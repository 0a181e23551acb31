"""What moderators and organisers do: roles, topics, groups (and, later, authoring and reports)."""

from __future__ import annotations

from admin import (
    announce,
    chats,
    poll_edit,
    poll_manage,
    poll_results,
    poll_suggestions,
    poll_wizard,
    roles,
    survey_authoring,
    survey_manage,
    survey_results,
)
from flows import onboarding, survey
from flows.poll import routes as poll_routes
from flows.router import Router


def build_router() -> Router:
    """Return the routing table with every resident flow and every admin flow registered."""
    router = Router()
    onboarding.register(router)
    roles.register(router)
    chats.register(router)
    announce.register(router)
    survey.register(router)
    survey_authoring.register(router)
    survey_manage.register(router)
    survey_results.register(router)
    poll_routes.register(router)
    poll_wizard.register(router)
    poll_manage.register(router)
    poll_edit.register(router)
    poll_suggestions.register(router)
    poll_results.register(router)
    return router
