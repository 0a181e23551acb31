"""Reading Bot API parameters from any transport the clients use.

aiogram sends urlencoded or multipart forms, python-telegram-bot sends JSON or multipart, and
both encode nested values (``reply_markup``, ``scope``, ``allowed_updates``...) as JSON strings.
Everything is normalised here once, so a method handler sees the same typed values whichever
client called it, and the call log records decoded JSON values.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, web

from bot.emulator.errors import ApiError, bad_request, missing

# Parameters whose value is an object or array; forms and PTB's JSON body carry them encoded.
JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "scope",
        "allowed_updates",
        "options",
        "commands",
        "entities",
        "caption_entities",
        "link_preview_options",
        "reply_parameters",
        "question_entities",
        "explanation_entities",
        "correct_option_ids",
        "description_entities",
    }
)
INT_FIELDS = frozenset(
    {
        "chat_id",
        "message_id",
        "offset",
        "limit",
        "timeout",
        "user_id",
        "cache_time",
        "max_connections",
        "open_period",
        "close_date",
        "correct_option_id",
        "message_thread_id",
        "reply_to_message_id",
    }
)
BOOL_FIELDS = frozenset(
    {
        "show_alert",
        "drop_pending_updates",
        "is_anonymous",
        "allows_multiple_answers",
        "allows_revoting",
        "is_closed",
        "disable_notification",
        "protect_content",
        "return_bots",
        "disable_content_type_detection",
        "has_spoiler",
        "show_caption_above_media",
        "disable_web_page_preview",
    }
)
_INT_RE = re.compile(r"-?\d+")
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off", ""})


@dataclass(frozen=True)
class Upload:
    """A file sent in a multipart part."""

    filename: str
    content_type: str
    data: bytes


def _normalise(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if name in JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            if name == "reply_markup":
                raise bad_request("can't parse reply keyboard markup JSON object") from None
            raise bad_request(f"can't parse {name} JSON object") from None
    if name in INT_FIELDS and _INT_RE.fullmatch(value.strip()):
        return int(value)
    if name in BOOL_FIELDS and value.lower() in _TRUE | _FALSE:
        return value.lower() in _TRUE
    return value


class Params:
    """The decoded parameters of one call, with typed accessors that answer like Telegram."""

    def __init__(self, raw: dict[str, Any], uploads: dict[str, Upload] | None = None) -> None:
        self.values: dict[str, Any] = {k: _normalise(k, v) for k, v in raw.items()}
        self.uploads: dict[str, Upload] = dict(uploads or {})

    def has(self, name: str) -> bool:
        """Tells whether the parameter was sent (an empty string counts as not sent)."""
        value = self.values.get(name)
        return value is not None and value != ""

    def get(self, name: str) -> Any:
        """Returns the decoded value or None."""
        return self.values.get(name)

    def text(self, name: str) -> str | None:
        """Returns a string parameter; numbers are accepted as their decimal text."""
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float | str):
            return str(value)
        raise bad_request(f'field "{name}" must be of type String')

    def require_text(self, name: str) -> str:
        """Returns a required string parameter or raises Telegram's 'is empty' error."""
        value = self.text(name)
        if value is None or value == "":
            raise missing(name)
        return value

    def integer(self, name: str, default: int | None = None) -> int | None:
        """Returns an integer parameter, ``default`` when absent."""
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
            return int(value)
        raise bad_request(f'field "{name}" must be of type Integer')

    def require_integer(self, name: str) -> int:
        """Returns a required integer parameter."""
        value = self.integer(name)
        if value is None:
            raise missing(name)
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        """Returns a boolean parameter."""
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value != 0
        if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        raise bad_request(f'field "{name}" must be of type Boolean')

    def chat_id(self) -> int | str:
        """Returns ``chat_id`` as an integer, or the ``@username`` string."""
        value = self.values.get("chat_id")
        if value is None or value == "":
            raise missing("chat_id")
        if isinstance(value, bool):
            raise bad_request("chat not found")
        if isinstance(value, int):
            return value
        if isinstance(value, str):
            return value
        raise bad_request("chat not found")

    def file(self, name: str) -> Upload | str:
        """Returns an uploaded file (direct part or ``attach://`` reference), or a string.

        The string is a file_id or an HTTP URL; the caller resolves it.
        """
        if name in self.uploads:
            return self.uploads[name]
        value = self.text(name)
        if value is None or value == "":
            raise missing(name)
        if value.startswith("attach://"):
            upload = self.uploads.get(value.removeprefix("attach://"))
            if upload is None:
                raise bad_request("wrong remote file identifier specified: can't unserialize it")
            return upload
        return value

    def loggable(self) -> dict[str, Any]:
        """Returns the values for the call log, with uploads described instead of embedded."""
        logged = dict(self.values)
        for key, upload in self.uploads.items():
            logged[key] = {
                "upload": upload.filename,
                "content_type": upload.content_type,
                "size": len(upload.data),
            }
        return logged


async def read_params(request: web.Request) -> Params:
    """Collects parameters from the query string and the body of a Bot API request.

    Args:
        request: The incoming request.

    Returns:
        The normalised parameters.

    Raises:
        ApiError: The body cannot be decoded.
    """
    raw: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.can_read_body:
        kind = request.content_type
        if kind == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON object") from None
            if not isinstance(body, dict):
                raise bad_request("can't parse JSON object")
            raw.update(body)
        elif kind == "multipart/form-data":
            await _read_multipart(request, raw, uploads)
        elif kind == "application/x-www-form-urlencoded":
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, str):
                    raw[key] = value
    return Params(raw, uploads)


async def _read_multipart(
    request: web.Request, raw: dict[str, Any], uploads: dict[str, Upload]
) -> None:
    reader = await request.multipart()
    while True:
        part = await reader.next()
        if part is None:
            return
        if not isinstance(part, BodyPartReader) or part.name is None:
            continue
        if part.filename is not None:
            data = bytes(await part.read(decode=True))
            content_type = part.headers.get("Content-Type", "application/octet-stream")
            uploads[part.name] = Upload(part.filename, content_type, data)
        else:
            raw[part.name] = await part.text()


__all__ = ["ApiError", "Params", "Upload", "read_params"]
