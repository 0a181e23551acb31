"""What moderators and organisers do: roles, topics, groups (and, later, authoring and reports)."""

from __future__ import annotations

from admin import announce, chats, roles
from flows import onboarding
from flows.router import Router


def build_router() -> Router:
    """Return the routing table with every resident flow and every admin flow registered."""
    router = Router()
    onboarding.register(router)
    roles.register(router)
    chats.register(router)
    announce.register(router)
    return router
