"""`BotApi` over aiogram: builds aiogram's method object by name and maps its exceptions."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import aiogram.methods
import aiohttp
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods.base import TelegramMethod
from aiogram.types import BufferedInputFile, TelegramObject

from bot.telegram_api import (
    ApiError,
    BadRequest,
    Files,
    Forbidden,
    NetworkTimeout,
    RetryAfter,
    ServerError,
)


def make_aiogram_bot(token: str, api_url: str) -> Bot:
    """Return an aiogram Bot that talks to the Bot API server at `api_url`."""
    server = TelegramAPIServer.from_base(api_url)
    return Bot(token=token, session=AiohttpSession(api=server))


class AiogramApi:
    """Call the Bot API through an aiogram `Bot`."""

    def __init__(self, bot: Bot) -> None:
        """Wrap `bot` (its session is owned by whoever created it)."""
        self._bot = bot

    async def call(self, method: str, params: dict[str, Any], files: Files | None = None) -> Any:
        """Call `method` and return the result as Telegram's JSON would spell it.

        Raises:
            ApiError: translated from aiogram's exception.
            ValueError: `method` is not a Bot API method aiogram knows (a programming error).
        """
        request = _method(method, params, files or {})
        try:
            result = await self._bot(request)
        except TelegramAPIError as exc:
            raise _translate(exc) from exc
        return _as_json(result)

    async def download(self, file_id: str) -> bytes:
        """Fetch a file's content with aiogram's own download (getFile, then the file URL).

        Raises:
            ApiError: translated from aiogram's exception, or a failed download.
        """
        try:
            file = await self._bot.get_file(file_id)
            if file.file_path is None:
                raise BadRequest("the file is not available for download")
            buffer = await self._bot.download_file(file.file_path)
        except TelegramAPIError as exc:
            raise _translate(exc) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ServerError(f"download failed: {exc!r}") from exc
        assert buffer is not None  # without a destination aiogram returns a BytesIO
        return buffer.read()


def _method(name: str, params: dict[str, Any], files: Files) -> TelegramMethod[Any]:
    cls = getattr(aiogram.methods, name[:1].upper() + name[1:], None)
    if not (isinstance(cls, type) and issubclass(cls, TelegramMethod)):
        raise ValueError(f"aiogram has no Bot API method {name!r}")
    uploads = {
        key: BufferedInputFile(content, filename) for key, (filename, content) in files.items()
    }
    method: TelegramMethod[Any] = cls.model_validate({**params, **uploads})
    return method


def _as_json(result: Any) -> Any:
    # aiogram parses results into its models; callers expect Telegram's own JSON shape.
    if isinstance(result, TelegramObject):
        return _JsonView(result)
    if isinstance(result, list):
        return [_as_json(item) for item in result]
    return result


class _JsonView(Mapping[str, Any]):
    """One of aiogram's results as Telegram's JSON, converted when first read.

    Most results (the message an edit returns) are never read, and converting a message back
    to JSON costs as much as a good part of the call.
    """

    __slots__ = ("_json", "_model")

    def __init__(self, model: TelegramObject) -> None:
        self._model = model
        self._json: dict[str, Any] | None = None

    def _data(self) -> dict[str, Any]:
        if self._json is None:
            self._json = self._model.model_dump(mode="json", exclude_none=True, by_alias=True)
        return self._json

    def __getitem__(self, key: str) -> Any:
        return self._data()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data())

    def __len__(self) -> int:
        return len(self._data())


def _translate(exc: TelegramAPIError) -> ApiError:
    if isinstance(exc, TelegramRetryAfter):
        return RetryAfter(exc.retry_after, exc.message)
    if isinstance(exc, TelegramForbiddenError):
        return Forbidden(exc.message)
    if isinstance(exc, TelegramBadRequest):
        return BadRequest(exc.message)
    if isinstance(exc, TelegramServerError):
        return ServerError(exc.message)
    if isinstance(exc, TelegramNetworkError):
        return NetworkTimeout(exc.message)
    return ApiError(exc.message)
