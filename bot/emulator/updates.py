"""The queue of updates waiting for the bot, with Telegram's confirmation rules."""

from __future__ import annotations

import bisect
from collections import OrderedDict
from typing import Any

from bot.emulator.notify import Signal

# What a bot receives when it never asked for specific types (or sent an empty list).
DEFAULT_EXCLUDED = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
# How many queued updates are remembered for :meth:`UpdateQueue.redeliver`.
HISTORY = 1000


class UpdateQueue:
    """Pending updates in order; an update stays until the bot confirms it.

    Confirmation is getUpdates with a higher offset, or a 2xx answer from the webhook.
    """

    def __init__(self, signal: Signal) -> None:
        self._signal = signal
        self._pending: list[dict[str, Any]] = []
        self._next_id = 1
        self.allowed: frozenset[str] | None = None
        # Every update ever queued (the most recent HISTORY), so a test can deliver one again.
        self.history: OrderedDict[int, dict[str, Any]] = OrderedDict()
        # Redelivered updates not handed out yet: an offset above their id must not drop them.
        self._held: list[dict[str, Any]] = []

    def accepts(self, kind: str) -> bool:
        """Tells whether the bot currently wants updates of this type."""
        if self.allowed is None:
            return kind not in DEFAULT_EXCLUDED
        return kind in self.allowed

    def set_allowed(self, kinds: Any) -> None:
        """Remembers ``allowed_updates`` like Telegram; an empty list means the default set."""
        if isinstance(kinds, list):
            names = frozenset(str(kind) for kind in kinds)
            self.allowed = names or None

    def push(self, kind: str, payload: dict[str, Any]) -> int | None:
        """Queues an update of ``kind`` if the bot wants that type.

        Returns:
            The update_id, or None if the type is filtered out.
        """
        if not self.accepts(kind):
            return None
        update_id = self._next_id
        self._next_id += 1
        update = {"update_id": update_id, kind: payload}
        self._pending.append(update)
        self.history[update_id] = update
        if len(self.history) > HISTORY:
            self.history.popitem(last=False)
        self._signal.notify()
        return update_id

    def redeliver(self, update_id: int) -> None:
        """Queues an update that was already queued once again, with the same ``update_id``.

        This is what Telegram does when the confirmation of an update got lost (the bot
        crashed before its next getUpdates, or a webhook answer timed out): the bot receives
        the update a second time. The copy is delivered even though the bot's offset is already
        past its id, then confirmed like any other update.

        Raises:
            ValueError: No update with this id was queued (or it is too old to remember).
        """
        update = self.history.get(update_id)
        if update is None:
            raise ValueError(f"no update {update_id} was queued (or it is too old)")
        copy = dict(update)
        ids = [u["update_id"] for u in self._pending]
        self._pending.insert(bisect.bisect_right(ids, update_id), copy)
        self._held.append(copy)
        self._signal.notify()

    def confirm(self, offset: int) -> None:
        """Forgets updates below ``offset``; a negative offset keeps only the last ``-offset``."""
        before = len(self._pending)
        if offset < 0:
            self._pending = self._pending[offset:]
        else:
            self._pending = [
                u for u in self._pending if u["update_id"] >= offset or self._is_held(u)
            ]
        self._held = [u for u in self._held if any(u is p for p in self._pending)]
        if len(self._pending) != before:
            self._signal.notify()

    def drop_all(self) -> None:
        """Forgets every pending update (``drop_pending_updates``)."""
        self._pending.clear()
        self._held.clear()
        self._signal.notify()

    def available(self, limit: int) -> list[dict[str, Any]]:
        """Returns up to ``limit`` pending updates of the wanted types, oldest first."""
        wanted = [u for u in self._pending if self.accepts(_kind(u))]
        return wanted[:limit]

    def take(self, limit: int) -> list[dict[str, Any]]:
        """Like :meth:`available`, for handing updates to the bot (getUpdates, the webhook).

        Redelivered updates handed out become ordinary pending updates: the next confirmation
        past their id drops them.
        """
        found = self.available(limit)
        self._held = [u for u in self._held if not any(u is f for f in found)]
        return found

    def first(self) -> dict[str, Any] | None:
        """Returns the oldest wanted pending update, handing it out (for webhook delivery)."""
        found = self.take(1)
        return found[0] if found else None

    def _is_held(self, update: dict[str, Any]) -> bool:
        return any(update is held for held in self._held)

    @property
    def pending_count(self) -> int:
        """How many updates wait for confirmation."""
        return len(self._pending)


def _kind(update: dict[str, Any]) -> str:
    return next(key for key in update if key != "update_id")
