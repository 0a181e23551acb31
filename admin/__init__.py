"""What moderators and organisers do: roles, topics, groups (and, later, authoring and reports)."""

from __future__ import annotations

from admin import announce, chats, roles, survey_authoring, survey_manage, survey_results
from flows import onboarding, survey
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
    return router
