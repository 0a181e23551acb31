"""Conversation state: where each member is in a multi-step conversation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConversationState


class StateRepository:
    """Reads and writes conversation states (our own FSM storage, never the framework's)."""

    def __init__(self, session: AsyncSession) -> None:
        """Bind to the unit of work's session."""
        self._session = session

    async def get(self, member_id: int) -> ConversationState | None:
        """Return the member's conversation state, or None when no conversation is open."""
        return await self._session.get(ConversationState, member_id)

    async def set(
        self, member_id: int, flow: str, step: str, data: dict[str, Any], at: datetime
    ) -> ConversationState:
        """Put the member at `step` of `flow` with `data`, replacing any previous state."""
        state = await self._session.get(ConversationState, member_id)
        if state is None:
            state = ConversationState(member_id=member_id)
            self._session.add(state)
        state.flow = flow
        state.step = step
        state.data = dict(data)  # a new dict, so the JSON column is marked changed
        state.updated_at = at
        # Not flushed here: it goes out with the batch's other changes at commit.
        return state

    async def clear(self, member_id: int) -> None:
        """End any open conversation of the member."""
        # Through the unit of work (deleted at commit with the batch's other changes) rather
        # than a DELETE statement now, which would flush the whole batch first.
        state = await self._session.get(ConversationState, member_id)
        if state is not None:
            await self._session.delete(state)
