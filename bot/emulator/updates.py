"""The queue of updates waiting for the bot, with Telegram's confirmation rules."""

from __future__ import annotations

from typing import Any

from bot.emulator.notify import Signal

# What a bot receives when it never asked for specific types (or sent an empty list).
DEFAULT_EXCLUDED = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class UpdateQueue:
    """Pending updates in order; an update stays until the bot confirms it.

    Confirmation is getUpdates with a higher offset, or a 2xx answer from the webhook.
    """

    def __init__(self, signal: Signal) -> None:
        self._signal = signal
        self._pending: list[dict[str, Any]] = []
        self._next_id = 1
        self.allowed: frozenset[str] | None = None

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
        self._pending.append({"update_id": update_id, kind: payload})
        self._signal.notify()
        return update_id

    def confirm(self, offset: int) -> None:
        """Forgets updates below ``offset``; a negative offset keeps only the last ``-offset``."""
        before = len(self._pending)
        if offset < 0:
            self._pending = self._pending[offset:]
        else:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        if len(self._pending) != before:
            self._signal.notify()

    def drop_all(self) -> None:
        """Forgets every pending update (``drop_pending_updates``)."""
        self._pending.clear()
        self._signal.notify()

    def available(self, limit: int) -> list[dict[str, Any]]:
        """Returns up to ``limit`` pending updates of the wanted types, oldest first."""
        wanted = [u for u in self._pending if self.accepts(_kind(u))]
        return wanted[:limit]

    def first(self) -> dict[str, Any] | None:
        """Returns the oldest wanted pending update (for webhook delivery)."""
        found = self.available(1)
        return found[0] if found else None

    @property
    def pending_count(self) -> int:
        """How many updates wait for confirmation."""
        return len(self._pending)


def _kind(update: dict[str, Any]) -> str:
    return next(key for key in update if key != "update_id")
