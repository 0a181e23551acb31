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

    def set(
        self,
        current: ConversationState | None,
        member_id: int,
        flow: str,
        step: str,
        data: dict[str, Any],
        at: datetime,
    ) -> ConversationState:
        """Put the member at `step` of `flow` with `data`, replacing any previous state.

        Args:
            current: The member's state as read in this transaction, None if they had none
                (knowing it saves reading it again).
            member_id: The member.
            flow: The conversation's flow.
            step: Where in the flow.
            data: What the flow keeps for the next step.
            at: The time of the change.
        """
        state = current
        if state is None or state in self._session.deleted:
            # A state deleted in this transaction and added again becomes an UPDATE.
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
