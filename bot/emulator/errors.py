"""Bot API errors with the status codes and descriptions the real server uses."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answer of the Bot API: ``{"ok": false, "error_code": ..., "description": ...}``.

    Attributes:
        code: The HTTP status and ``error_code``.
        description: Telegram's description text, e.g. ``"Bad Request: chat not found"``.
        retry_after: Seconds to wait, only for 429 answers.
    """

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def to_json(self) -> dict[str, Any]:
        """Returns the response body Telegram would send for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    """Builds a 400 error; ``detail`` is the text after ``"Bad Request: "``."""
    return ApiError(400, f"Bad Request: {detail}")


def forbidden(detail: str) -> ApiError:
    """Builds a 403 error; ``detail`` is the text after ``"Forbidden: "``."""
    return ApiError(403, f"Forbidden: {detail}")


def too_many_requests(retry_after: int) -> ApiError:
    """Builds the 429 answer with ``parameters.retry_after``."""
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


def missing(name: str) -> ApiError:
    """The 400 answer for a required parameter that was not sent.

    Telegram words this per parameter; ``"<name> is empty"`` is the form it uses for
    ``chat_id``, ``user_id``, ``file_id`` and most other identifiers.
    """
    return bad_request(f"{name} is empty")


def unauthorized() -> ApiError:
    """The 401 answer for a token the server does not know."""
    return ApiError(401, "Unauthorized")


def method_not_found() -> ApiError:
    """The 404 answer for a method name the server does not know."""
    return ApiError(404, "Not Found: method not found")


def chat_not_found() -> ApiError:
    """The 400 answer for a chat the bot cannot see."""
    return bad_request("chat not found")


def query_invalid() -> ApiError:
    """The 400 answer for an unknown, expired or already answered callback query."""
    return bad_request("query is too old and response timeout expired or query ID is invalid")


def not_modified() -> ApiError:
    """The 400 answer for an edit that would change nothing."""
    return bad_request(
        "message is not modified: specified new message content and reply markup are exactly "
        "the same as a current content and reply markup of the message"
    )
