"""The transport seam: one way to call the Bot API, whichever framework carries the request.

Delivery, command menus and start-up only ever see `BotApi` and the errors below, so what they do
on a 403 or a 429 is written once and behaves the same under aiogram and python-telegram-bot.
"""

from __future__ import annotations

from typing import Any, Protocol

Files = dict[str, tuple[str, bytes]]
"""Uploads by parameter name (`document`, `photo`): (file name, content)."""


class BotApi(Protocol):
    """Call a Bot API method and return its raw JSON `result`."""

    async def call(self, method: str, params: dict[str, Any], files: Files | None = None) -> Any:
        """Call `method` (Bot API spelling, e.g. `sendMessage`) with JSON-shaped `params`.

        Raises:
            ApiError: Telegram refused the call or could not be reached; a subclass says why.
        """

    async def download(self, file_id: str) -> bytes:
        """Fetch the content of a file someone sent (getFile, then the file download).

        Raises:
            ApiError: the file is unknown, too big for the Bot API, or could not be fetched.
        """


class ApiError(Exception):
    """Telegram refused a call; `description` is Telegram's text (or the transport's)."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description

    def says(self, *fragments: str) -> bool:
        """Whether the description contains any of `fragments`, ignoring case.

        Telegram's descriptions are the only way to tell "message is not modified" from other bad
        requests, and the frameworks differ in prefix and capitalisation.
        """
        text = self.description.lower()
        return any(fragment.lower() in text for fragment in fragments)


class RetryAfter(ApiError):
    """429: flood control; the same call may be repeated after `retry_after` seconds."""

    def __init__(self, retry_after: float, description: str = "Too Many Requests") -> None:
        super().__init__(description)
        self.retry_after = retry_after


class Forbidden(ApiError):
    """403: the bot may not write there (blocked by the person, removed from the group)."""


class BadRequest(ApiError):
    """400 (and other refusals of the request itself): repeating it will not help."""


class ServerError(ApiError):
    """5xx or a transport failure after the request left: worth retrying later."""


class NetworkTimeout(ApiError):
    """No answer in time: worth retrying (the call may or may not have taken effect)."""


TRANSIENT = (ServerError, NetworkTimeout)
"""Errors after which the same call may succeed on a later attempt."""
