"""sendDocument, sendPhoto and getFile; files live in memory."""

from __future__ import annotations

import mimetypes
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot.emulator.errors import bad_request
from bot.emulator.images import image_size
from bot.emulator.markup import check_reply_markup
from bot.emulator.models import StoredFile
from bot.emulator.params import Params, Upload
from bot.emulator.state import WorldState
from bot.emulator.text import check_caption, format_text

from .base import reply_target, sent

_DOWNLOAD_TIMEOUT = aiohttp.ClientTimeout(total=10)


async def _fetch(url: str) -> Upload:
    # Telegram downloads a file given by HTTP URL; failing that it answers with this text.
    try:
        async with (
            aiohttp.ClientSession(timeout=_DOWNLOAD_TIMEOUT) as session,
            session.get(url) as response,
        ):
            if response.status != 200:
                raise bad_request("failed to get HTTP URL content")
            data = await response.read()
            kind = response.headers.get("Content-Type", "application/octet-stream")
    except (aiohttp.ClientError, TimeoutError):
        raise bad_request("failed to get HTTP URL content") from None
    name = urlsplit(url).path.rsplit("/", 1)[-1] or "file"
    return Upload(name, kind.split(";")[0], data)


async def _file(state: WorldState, params: Params, name: str, folder: str) -> StoredFile:
    value = params.file(name)
    if isinstance(value, str):
        if value.startswith(("http://", "https://")):
            value = await _fetch(value)
        elif value in state.files:
            return state.files[value]
        else:
            raise bad_request("wrong file identifier/HTTP URL specified")
    if not value.data:
        raise bad_request("file must be non-empty")
    mime = value.content_type
    if mime in ("", "application/octet-stream"):
        mime = mimetypes.guess_type(value.filename)[0] or "application/octet-stream"
    return state.store_file(value.data, value.filename, mime, folder)


def _caption(params: Params) -> dict[str, Any]:
    raw = params.text("caption")
    if not raw:
        return {}
    text, entities = format_text(raw, params.text("parse_mode"), params.get("caption_entities"))
    check_caption(text)
    content: dict[str, Any] = {"caption": text}
    if entities:
        content["caption_entities"] = entities
    return content


async def send_document(state: WorldState, params: Params) -> dict[str, Any]:
    """Sends a file uploaded in the request, or re-sends one by file_id or URL."""
    chat = state.writable_chat(params.chat_id())
    caption = _caption(params)
    markup = check_reply_markup(params.get("reply_markup"))
    stored = await _file(state, params, "document", "documents")
    document: dict[str, Any] = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
    }
    if stored.file_name:
        document["file_name"] = stored.file_name
    if stored.mime_type:
        document["mime_type"] = stored.mime_type
    content = {"document": document, **caption, **reply_target(state, chat.id, params)}
    return sent(state, state.store_message(chat.id, state.bot.id, content, markup))


async def send_photo(state: WorldState, params: Params) -> dict[str, Any]:
    """Sends an image; the size is read from the image itself."""
    chat = state.writable_chat(params.chat_id())
    caption = _caption(params)
    markup = check_reply_markup(params.get("reply_markup"))
    stored = await _file(state, params, "photo", "photos")
    width, height = image_size(stored.data)
    photo = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "width": width,
        "height": height,
        "file_size": len(stored.data),
    }
    content = {"photo": [photo], **caption, **reply_target(state, chat.id, params)}
    return sent(state, state.store_message(chat.id, state.bot.id, content, markup))


async def get_file(state: WorldState, params: Params) -> dict[str, Any]:
    """Returns the File object with the path for ``/file/bot<token>/<path>``."""
    stored = state.file_by_id(params.require_text("file_id"))
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
        "file_path": stored.file_path,
    }
