"""Structured logging: plain text or JSON lines, with secrets redacted from every record.

Telegram puts the bot token in the URL path, and aiohttp, httpx and both frameworks log URLs and
exception texts that contain it. Redaction therefore happens on the handler, after a record is
rendered, so nothing that reaches the output can carry a secret.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Literal, TextIO
from urllib.parse import quote

REDACTED = "***"

# Attributes every LogRecord has; anything else was passed with `extra=` and is structured data.
_STANDARD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys() | {"message", "asctime"}
)


class RedactSecrets(logging.Filter):
    """Replace each secret (and its URL-encoded form) in a record's message, extras and traceback.

    The record is rendered here once (message with its arguments, exception text) and then carries
    only redacted strings, so formatters downstream cannot reintroduce the secret.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        forms = {form for secret in secrets if secret for form in (secret, quote(secret, safe=""))}
        # Longest first, so a secret that contains another is replaced whole.
        self._forms = sorted(forms, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """Return `text` with every secret replaced by `***`."""
        for form in self._forms:
            text = text.replace(form, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record in place; never drops it."""
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD_ATTRIBUTES and isinstance(value, str):
                setattr(record, key, self.redact(value))
        return True


def extras(record: logging.LogRecord) -> dict[str, object]:
    """Return the structured fields passed to a log call with `extra=`."""
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD_ATTRIBUTES}


class PlainFormatter(logging.Formatter):
    """`2026-11-29T12:00:00.123Z INFO bot.outbound: message key=value ...` for people."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        """Render the time in UTC, ISO 8601, so logs from several hosts line up."""
        return _utc_iso(record.created)

    def formatMessage(self, record: logging.LogRecord) -> str:
        """Append the structured fields as `key=value` pairs."""
        line = super().formatMessage(record)
        fields = " ".join(f"{k}={v}" for k, v in extras(record).items())
        return f"{line} {fields}" if fields else line


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record (already redacted) as a JSON line."""
        entry: dict[str, object] = {
            "time": _utc_iso(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **extras(record),
        }
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


def _utc_iso(created: float) -> str:
    return datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")


def configure_logging(
    *,
    level: str,
    fmt: Literal["plain", "json"],
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
) -> logging.Handler:
    """Send every log record through one redacting handler on the root logger.

    Args:
        level: The root level name (DEBUG, INFO, ...).
        fmt: `plain` for people, `json` for one JSON object per line.
        secrets: Values that must never appear in the output (the bot token, webhook secret).
        stream: Where to write (stderr by default).

    Returns:
        The installed handler (tests capture through it).
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RedactSecrets(secrets))
    handler.setFormatter(JsonFormatter() if fmt == "json" else PlainFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    if level != "DEBUG":
        # httpx (under python-telegram-bot) logs every long-polling request at INFO, and
        # Alembic describes its migration context on every start.
        for chatty in ("httpx", "alembic"):
            logging.getLogger(chatty).setLevel(logging.WARNING)
    return handler
