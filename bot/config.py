"""Settings: read once, from `.env` and the environment, in the composition root.

Every variable is validated up front so that a mistake stops start-up with one line that names the
variable and says what is expected, instead of a traceback minutes later.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    PositiveFloat,
    PositiveInt,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Tokens look like `123456789:AAE...` (bot id, colon, secret); checking the shape catches a pasted
# URL or a stray quote before the first request fails with a confusing 404.
_TOKEN_SHAPE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]+$")
# Telegram's rule for `secret_token` in setWebhook.
_WEBHOOK_SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_DATABASE_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_QUIET_HOURS_SHAPE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")

BOTFATHER_HINT = (
    "BOT_TOKEN is not set: create a bot with @BotFather (https://t.me/BotFather), "
    "then put BOT_TOKEN=<the token it gives you> in .env"
)


class SettingsError(Exception):
    """A setting is missing or malformed; `str()` is the one line to show the operator."""


def _http_url(value: str, *, https_only: bool = False) -> str:
    parts = urlsplit(value)
    schemes = ("https",) if https_only else ("http", "https")
    if parts.scheme not in schemes or not parts.netloc:
        raise ValueError(f"expected an {' or '.join(schemes)} URL, e.g. https://example.org")
    return value.rstrip("/")


class Settings(BaseSettings):
    """Everything an operator can configure. See `.env.example` for each variable."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        # `WEBHOOK_URL=` in a copied .env.example means "not set", not "the empty URL".
        env_ignore_empty=True,
        validate_default=True,
    )

    bot_token: SecretStr | None = None
    bot_framework: Literal["aiogram", "ptb"] = "aiogram"
    telegram_api_url: str = "https://api.telegram.org"
    database_url: str = "sqlite+aiosqlite:///./data/townsquare.db"

    webhook_url: str | None = None
    webhook_host: str = "0.0.0.0"  # behind a reverse proxy or in a container
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    webhook_secret: SecretStr | None = None
    # Off: with several instances behind one URL, one stopping must not cut off the others.
    webhook_delete_on_stop: bool = False
    # Keys the pseudonyms of anonymous answers; derived from the bot token when not set.
    pseudonym_secret: SecretStr | None = None

    owner_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    default_language: Literal["en", "zh_Hans"] = "en"
    community_timezone: ZoneInfo = ZoneInfo("UTC")
    community_name: str = Field(default="Townsquare", min_length=1, max_length=64)
    quiet_hours: Annotated[tuple[time, time] | None, NoDecode] = None

    scheduler_tick_seconds: PositiveFloat = 5
    # How often a poll's group messages show the new count at most (one edit a message a
    # slot). Below 3 s the per-group rate limit, not the slot, keeps edits to 20 a minute.
    poll_refresh_seconds: int = Field(default=5, ge=1, le=60)

    log_format: Literal["plain", "json"] = "plain"
    log_level: str = "INFO"

    rate_limit_global_per_second: PositiveFloat = 30
    rate_limit_chat_per_second: PositiveFloat = 1
    rate_limit_group_per_minute: PositiveInt = 20

    outbox_concurrency: PositiveInt = 8
    outbox_lease_seconds: PositiveFloat = 60

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _TOKEN_SHAPE.match(value.get_secret_value()):
            raise ValueError("expected the token from @BotFather, shaped like 123456:ABC-DEF...")
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        return _http_url(value)

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        # Telegram only delivers webhooks over HTTPS.
        return None if value is None else _http_url(value, https_only=True)

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _WEBHOOK_SECRET_SHAPE.match(value.get_secret_value()):
            raise ValueError("expected 1-256 characters from A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_scheme(cls, value: str) -> str:
        if not value.startswith(tuple(f"{scheme}://" for scheme in _DATABASE_SCHEMES)):
            raise ValueError(
                "expected sqlite+aiosqlite:///path/to/file.db or "
                "postgresql+asyncpg://user:password@host:port/database"
            )
        return value

    @field_validator("owner_ids", mode="before")
    @classmethod
    def _comma_separated_ids(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return frozenset(int(part) for part in value.split(",") if part.strip())
        except ValueError:
            raise ValueError(
                "expected comma-separated Telegram user ids (whole numbers), e.g. 12345,67890"
            ) from None

    @field_validator("community_timezone", mode="before")
    @classmethod
    def _iana_zone(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(
                    "expected an IANA time zone name, e.g. Europe/Berlin or Asia/Shanghai"
                ) from None
        return value

    @field_validator("quiet_hours", mode="before")
    @classmethod
    def _time_span(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        match = _QUIET_HOURS_SHAPE.match(value)
        expected = "expected a span of local times like 22:00-07:00 (empty for none)"
        if match is None:
            raise ValueError(expected)
        hour_1, minute_1, hour_2, minute_2 = (int(part) for part in match.groups())
        try:
            start, end = time(hour_1, minute_1), time(hour_2, minute_2)
        except ValueError:
            raise ValueError(expected) from None
        if start == end:
            raise ValueError("expected different start and end times, e.g. 22:00-07:00")
        return start, end

    @field_validator("log_level", mode="before")
    @classmethod
    def _known_level(cls, value: Any) -> Any:
        if isinstance(value, str) and value.upper() in _LOG_LEVELS:
            return value.upper()
        raise ValueError(f"expected one of {', '.join(_LOG_LEVELS)}")

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        # Without the secret header anyone who finds the URL could post forged updates.
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError("WEBHOOK_SECRET: expected a secret token when WEBHOOK_URL is set")
        return self

    def pseudonym_key(self) -> bytes:
        """The key for anonymous respondents' pseudonyms (PSEUDONYM_SECRET, else from the token).

        It never reaches the database, which is why the database cannot tell who answered.
        Changing it lets people who already answered an open anonymous survey answer again.
        """
        if self.pseudonym_secret is not None:
            return self.pseudonym_secret.get_secret_value().encode()
        token = self.require_token().get_secret_value().encode()
        return hmac.new(token, b"townsquare pseudonyms", hashlib.sha256).digest()

    def require_token(self) -> SecretStr:
        """Return the bot token.

        Raises:
            SettingsError: BOT_TOKEN is not set; the message says how to get one.
        """
        if self.bot_token is None:
            raise SettingsError(BOTFATHER_HINT)
        return self.bot_token


def load_settings(env_file: Path | None = Path(".env")) -> Settings:
    """Read and validate the settings.

    Args:
        env_file: The dotenv file to read besides the environment (None: environment only).

    Raises:
        SettingsError: a variable is malformed; the message names it and what is expected and
            never contains its value.
    """
    try:
        return Settings(_env_file=env_file)
    except ValidationError as exc:
        raise SettingsError(_one_line(exc)) from None


def _one_line(exc: ValidationError) -> str:
    error = exc.errors(include_input=False, include_url=False)[0]
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["loc"]:
        return f"{str(error['loc'][0]).upper()}: {message}"
    # Model-level checks already start with the variable's name.
    return message
