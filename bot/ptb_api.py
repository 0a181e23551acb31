"""`BotApi` over python-telegram-bot: `Bot.do_api_request` with raw JSON, PTB errors mapped."""

from __future__ import annotations

import warnings
from datetime import timedelta
from typing import Any

from telegram import Bot, InputFile
from telegram.error import BadRequest as PtbBadRequest
from telegram.error import Forbidden as PtbForbidden
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.error import RetryAfter as PtbRetryAfter
from telegram.warnings import PTBDeprecationWarning, PTBUserWarning

from bot.telegram_api import (
    ApiError,
    BadRequest,
    Files,
    Forbidden,
    NetworkTimeout,
    RetryAfter,
    ServerError,
)

# PTB nudges callers of do_api_request towards its typed methods; this seam deliberately speaks
# raw Bot API for every method, so the nudge is noise.
warnings.filterwarnings(
    "ignore", message=r"Please use 'Bot\.\w+' instead of", category=PTBUserWarning
)


def make_ptb_bot(token: str, api_url: str) -> Bot:
    """Return a PTB Bot that talks to the Bot API server at `api_url`."""
    base = api_url.rstrip("/")
    return Bot(token=token, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot")


class PtbApi:
    """Call the Bot API through a python-telegram-bot `Bot`."""

    def __init__(self, bot: Bot) -> None:
        """Wrap `bot` (it must be initialised by whoever owns it)."""
        self._bot = bot

    async def call(self, method: str, params: dict[str, Any], files: Files | None = None) -> Any:
        """Call `method` and return Telegram's raw JSON result.

        Raises:
            ApiError: translated from PTB's exception.
        """
        uploads = {
            key: InputFile(content, filename=filename)
            for key, (filename, content) in (files or {}).items()
        }
        try:
            return await self._bot.do_api_request(method, api_kwargs={**params, **uploads})
        except TelegramError as exc:
            raise _translate(exc) from exc

    async def download(self, file_id: str) -> bytes:
        """Fetch a file's content with PTB's own download (`File.download_as_bytearray`).

        Raises:
            ApiError: translated from PTB's exception.
        """
        try:
            file = await self._bot.get_file(file_id)
            return bytes(await file.download_as_bytearray())
        except TelegramError as exc:
            raise _translate(exc) from exc


def _translate(exc: TelegramError) -> ApiError:
    if isinstance(exc, PtbRetryAfter):
        with warnings.catch_warnings():
            # PTB 22 warns that `retry_after` will become a timedelta; both forms are handled.
            warnings.simplefilter("ignore", PTBDeprecationWarning)
            delay = exc.retry_after
        seconds = delay.total_seconds() if isinstance(delay, timedelta) else float(delay)
        return RetryAfter(seconds, exc.message)
    if isinstance(exc, PtbForbidden):
        return Forbidden(exc.message)
    if isinstance(exc, PtbBadRequest):
        return BadRequest(exc.message)
    if isinstance(exc, TimedOut):
        return NetworkTimeout(exc.message)
    if isinstance(exc, NetworkError):
        # PTB reports 5xx answers and connection failures alike as NetworkError; both are
        # transient, which is all delivery needs to know.
        return ServerError(exc.message)
    return ApiError(exc.message)
