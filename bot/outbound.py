"""The one outbound path: effects in, Bot API calls out, failures contained per effect.

Every call goes through `_call`, where the rate limiter paces each attempt and the retry policy
repeats what failed transiently. Effects are delivered in order; an effect that fails is logged and
the rest still go out, because one blocked person or one deleted message must not cost anyone else
their message. Bulk messages from the outbox take the same path, one at a time (`send_stored`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from bot.outbox_worker import Sent
from bot.ratelimit import RateLimiter, ThrottledApi
from bot.rendering import MAX_CAPTION, inline_keyboard, poll_params, split_text
from bot.retry import RetryPolicy, Sleep, call_with_retry
from bot.telegram_api import ApiError, BadRequest, BotApi, Files, Forbidden
from flows.effects import (
    DeleteMessage,
    EditMessage,
    Effect,
    Keyboard,
    LeaveChat,
    NativePoll,
    RefreshCommands,
    SendDocument,
    SendMessage,
    SendPhoto,
    StopPoll,
    Toast,
    keyboard_from_data,
)

log = logging.getLogger(__name__)

UserCallback = Callable[[int], Awaitable[None]]

# Telegram's descriptions for the cases delivery treats specially.
NOT_MODIFIED = "message is not modified"
EDIT_TARGET_GONE = ("message to edit not found", "message can't be edited", "message_id_invalid")
DELETE_TARGET_GONE = ("message to delete not found",)
POLL_ALREADY_CLOSED = "poll has already been closed"
STOP_TARGET_GONE = ("message with poll to stop not found", "message to stop not found")


class TelegramOutbound:
    """Deliver effects to Telegram through a `BotApi` (implements `flows.ports.Outbound`)."""

    def __init__(
        self,
        api: BotApi,
        *,
        on_unreachable: UserCallback,
        refresh_commands: UserCallback,
        policy: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        limiter: RateLimiter | None = None,
    ) -> None:
        """Wire the outbound path.

        Args:
            api: The transport.
            on_unreachable: Called with a person's Telegram id when their private chat answers
                403 (they blocked the bot); the engine marks them unreachable.
            refresh_commands: Re-publishes one person's command menu.
            policy: Retry bounds (defaults suit production).
            sleep: How to wait between retries (tests pass a fake).
            limiter: Telegram's sending limits, shared by every `TelegramOutbound` of the bot
                (None: unlimited, for tests of other things).
        """
        self._api: BotApi = api if limiter is None else ThrottledApi(api, limiter)
        self._on_unreachable = on_unreachable
        self._refresh_commands = refresh_commands
        self._policy = policy or RetryPolicy()
        self._sleep = sleep

    async def deliver(self, effects: Sequence[Effect]) -> None:
        """Deliver `effects` in order; each failure is logged and does not stop the others."""
        for effect in effects:
            try:
                await self._deliver(effect)
            except Forbidden as exc:
                await self._forbidden(effect, exc)
            except ApiError as exc:
                log.warning(
                    "%s not delivered: %s",
                    type(effect).__name__,
                    exc.description,
                    extra={"chat_id": _chat_of(effect)},
                )
            except Exception:
                log.exception("%s not delivered", type(effect).__name__)

    async def send_stored(self, chat_id: int, payload: Mapping[str, Any]) -> int | Sent:
        """Send one outbox message (`{"text", "buttons"[, "poll" | "edit"]}`).

        Unlike `deliver`, failures are raised: the outbox records each outcome in its row.
        With `"edit": <message id>` the row edits that message of the chat instead (a
        person's own copy of a poll, brought to its final result).

        Returns:
            The message id of its last part (the one carrying the buttons); for a native poll,
            its message id with Telegram's poll id as the receipt (`{"poll_id": ...}`); for
            an edit, the id of the message edited.

        Raises:
            ApiError: the message was not sent (a subclass says why).
        """
        buttons = keyboard_from_data(payload.get("buttons", []))
        if (poll := payload.get("poll")) is not None:
            return await self._send_poll(chat_id, NativePoll.from_data(poll), buttons)
        if (message_id := payload.get("edit")) is not None:
            return await self._edit_stored(chat_id, int(message_id), payload["text"], buttons)
        return await self._send_parts(chat_id, split_text(payload["text"]), buttons)

    async def _edit_stored(
        self, chat_id: int, message_id: int, text: str, buttons: Keyboard
    ) -> int:
        """Edit a message from the outbox; one already showing it, or gone, needs nothing more.

        Unlike a reply's edit, a message the person deleted is not sent anew: a bulk edit
        brings a copy up to date and must not write to thousands of people again.
        """
        params: dict[str, Any] = {"chat_id": chat_id, "message_id": message_id, "text": text}
        if markup := inline_keyboard(buttons):
            params["reply_markup"] = markup
        try:
            await self._call("editMessageText", params)
        except BadRequest as exc:
            if not exc.says(NOT_MODIFIED, *EDIT_TARGET_GONE):
                raise
        return message_id

    async def _send_poll(self, chat_id: int, poll: NativePoll, buttons: Keyboard) -> Sent:
        params = {"chat_id": chat_id, **poll_params(poll)}
        if markup := inline_keyboard(buttons):
            params["reply_markup"] = markup
        message = await self._call("sendPoll", params)
        return Sent(int(message["message_id"]), {"poll_id": str(message["poll"]["id"])})

    async def _deliver(self, effect: Effect) -> None:
        match effect:
            case SendMessage():
                await self._send_text(
                    effect.chat_id,
                    effect.text,
                    effect.buttons,
                    reply_to=effect.reply_to,
                    silent=effect.silent,
                )
            case EditMessage():
                await self._edit_text(effect)
            case Toast():
                await self._toast(effect)
            case SendDocument():
                await self._send_file(
                    "sendDocument",
                    "document",
                    effect.chat_id,
                    effect.filename,
                    effect.content,
                    effect.caption,
                )
            case SendPhoto() if effect.file_id is not None:
                await self._send_stored_photo(effect.chat_id, effect.file_id, effect.caption)
            case SendPhoto():
                await self._send_file(
                    "sendPhoto",
                    "photo",
                    effect.chat_id,
                    _image_name(effect.content),
                    effect.content,
                    effect.caption,
                )
            case DeleteMessage():
                await self._delete(effect)
            case StopPoll():
                await self._stop_poll(effect)
            case LeaveChat():
                await self._call("leaveChat", {"chat_id": effect.chat_id})
            case RefreshCommands():
                await self._refresh_commands(effect.user_id)
            case _:
                # Schedule effects are stored by the engine with the transaction; reaching
                # here means a caller skipped that step.
                log.error("%s cannot be delivered to Telegram", type(effect).__name__)

    async def _send_text(
        self,
        chat_id: int,
        text: str,
        buttons: Keyboard = (),
        *,
        reply_to: int | None = None,
        silent: bool = False,
    ) -> None:
        await self._send_parts(chat_id, split_text(text), buttons, reply_to=reply_to, silent=silent)

    async def _send_parts(
        self,
        chat_id: int,
        parts: Sequence[str],
        buttons: Keyboard,
        *,
        reply_to: int | None = None,
        silent: bool = False,
    ) -> int:
        """Send `parts` in order; return the message id of the last one."""
        # Buttons go on the last part, where the reader arrives after reading everything.
        message_id = 0
        for index, part in enumerate(parts):
            params: dict[str, Any] = {"chat_id": chat_id, "text": part}
            if index == 0 and reply_to is not None:
                # The reply target may have been deleted meanwhile; send anyway.
                params["reply_parameters"] = {
                    "message_id": reply_to,
                    "allow_sending_without_reply": True,
                }
            if index == len(parts) - 1 and (markup := inline_keyboard(buttons)):
                params["reply_markup"] = markup
            if silent:
                params["disable_notification"] = True
            message_id = int((await self._call("sendMessage", params))["message_id"])
        return message_id

    async def _edit_text(self, effect: EditMessage) -> None:
        first, *more = split_text(effect.text)
        params: dict[str, Any] = {
            "chat_id": effect.chat_id,
            "message_id": effect.message_id,
            "text": first,
        }
        if not more and (markup := inline_keyboard(effect.buttons)):
            params["reply_markup"] = markup
        try:
            await self._call("editMessageText", params)
        except BadRequest as exc:
            if exc.says(NOT_MODIFIED):
                pass  # the message already shows this: exactly what was wanted
            elif exc.says(*EDIT_TARGET_GONE):
                log.info("message %s is gone; sending anew", effect.message_id)
                await self._send_text(effect.chat_id, effect.text, effect.buttons)
                return
            else:
                raise
        if more:
            await self._send_parts(effect.chat_id, more, effect.buttons)

    async def _toast(self, effect: Toast) -> None:
        params: dict[str, Any] = {"callback_query_id": effect.callback_id}
        if effect.text:
            params["text"] = effect.text
        if effect.alert:
            params["show_alert"] = True
        await self._call("answerCallbackQuery", params)

    async def _send_file(
        self, method: str, field: str, chat_id: int, filename: str, content: bytes, caption: str
    ) -> None:
        params: dict[str, Any] = {"chat_id": chat_id}
        if len(caption) > MAX_CAPTION:
            # Too long to travel with the file: send it as text first, so nothing is cut.
            await self._send_text(chat_id, caption)
        elif caption:
            params["caption"] = caption
        await self._call(method, params, {field: (filename, content)})

    async def _send_stored_photo(self, chat_id: int, file_id: str, caption: str) -> None:
        # A photo Telegram holds is sent by its file_id: nothing is uploaded.
        params: dict[str, Any] = {"chat_id": chat_id, "photo": file_id}
        if len(caption) > MAX_CAPTION:
            await self._send_text(chat_id, caption)
        elif caption:
            params["caption"] = caption
        await self._call("sendPhoto", params)

    async def _delete(self, effect: DeleteMessage) -> None:
        params = {"chat_id": effect.chat_id, "message_id": effect.message_id}
        try:
            await self._call("deleteMessage", params)
        except BadRequest as exc:
            if not exc.says(*DELETE_TARGET_GONE):
                raise

    async def _stop_poll(self, effect: StopPoll) -> None:
        params = {"chat_id": effect.chat_id, "message_id": effect.message_id}
        try:
            await self._call("stopPoll", params)
        except BadRequest as exc:
            # Stopped before (a copy closed again after a retry) or deleted: nothing to stop.
            if not exc.says(POLL_ALREADY_CLOSED, *STOP_TARGET_GONE):
                raise

    async def _call(self, method: str, params: dict[str, Any], files: Files | None = None) -> Any:
        return await call_with_retry(
            self._api, method, params, files, policy=self._policy, sleep=self._sleep
        )

    async def _forbidden(self, effect: Effect, exc: Forbidden) -> None:
        chat_id = _chat_of(effect)
        # Private chats have the person's (positive) id; groups and channels are negative.
        if chat_id is None or chat_id < 0:
            log.warning("%s forbidden: %s", type(effect).__name__, exc.description)
            return
        log.info("chat %s answered 403 (%s)", chat_id, exc.description)
        try:
            await self._on_unreachable(chat_id)
        except Exception:
            log.exception("could not mark %s unreachable", chat_id)


def _chat_of(effect: Effect) -> int | None:
    chat_id = getattr(effect, "chat_id", None)
    return chat_id if isinstance(chat_id, int) else None


def _image_name(content: bytes) -> str:
    # Telegram guesses the type from the name; flows make PNG (charts) or JPEG.
    return "image.png" if content.startswith(b"\x89PNG") else "image.jpg"
