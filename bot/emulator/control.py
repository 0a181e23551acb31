"""The HTTP control API under ``/_control``: the World's actions for people and tools.

Used by ``townsquare emulator`` (acting by hand with curl or a script) and by the browser
sandbox. Every route takes and returns JSON; a bad request answers 400 ``{"error": ...}``.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.emulator.models import Group, User
from bot.emulator.views import ChatMessage
from bot.emulator.world import World

WORLD_KEY = web.AppKey("world", World)
Action = Callable[[World, dict[str, Any]], Awaitable[Any]]


def _user_json(user: User) -> dict[str, Any]:
    return {**user.to_json(), "started": user.started, "blocked": user.blocked}


def _group_json(group: Group) -> dict[str, Any]:
    return {**group.chat_json(), "members": group.statuses, "bot_status": group.bot_status}


def _user(world: World, body: dict[str, Any], key: str = "user_id") -> User:
    return world.users[int(body[key])]


def _group(world: World, body: dict[str, Any], key: str = "group_id") -> Group:
    return world.groups[int(body[key])]


def _message(world: World, body: dict[str, Any]) -> ChatMessage:
    found = world.message(int(body["chat_id"]), int(body["message_id"]))
    if found is None:
        raise ValueError("no such message")
    return found


async def _create_user(world: World, body: dict[str, Any]) -> Any:
    user = world.user(
        str(body["first_name"]),
        language_code=body.get("language_code", "en"),
        user_id=body.get("user_id"),
        username=body.get("username"),
        last_name=body.get("last_name"),
    )
    return _user_json(user)


async def _create_group(world: World, body: dict[str, Any]) -> Any:
    group = world.group(
        str(body["title"]),
        members=[world.users[int(i)] for i in body.get("members", [])],
        admins=[world.users[int(i)] for i in body.get("admins", [])],
        creator=world.users[int(body["creator"])] if body.get("creator") else None,
        supergroup=bool(body.get("supergroup", True)),
        username=body.get("username"),
    )
    return _group_json(group)


async def _send_text(world: World, body: dict[str, Any]) -> Any:
    chat = body.get("chat_id")
    message = await world.send_text(
        _user(world, body), str(body["text"]), chat=None if chat is None else int(chat)
    )
    return message.to_json()


async def _send_document(world: World, body: dict[str, Any]) -> Any:
    try:
        content = base64.b64decode(str(body["content_base64"]), validate=True)
    except binascii.Error as error:
        raise ValueError("content_base64 is not base64") from error
    message = await world.send_document(
        _user(world, body),
        str(body["file_name"]),
        content,
        mime_type=body.get("mime_type"),
        caption=str(body.get("caption", "")),
    )
    return message.to_json()


async def _send_photo(world: World, body: dict[str, Any]) -> Any:
    try:
        content = base64.b64decode(str(body["content_base64"]), validate=True)
    except binascii.Error as error:
        raise ValueError("content_base64 is not base64") from error
    message = await world.send_photo(
        _user(world, body), content, caption=str(body.get("caption", ""))
    )
    return message.to_json()


async def _press(world: World, body: dict[str, Any]) -> Any:
    callback_id = await world.press(
        _user(world, body),
        _message(world, body),
        button_text=body.get("button_text"),
        data=body.get("data"),
    )
    return {"callback_id": callback_id}


async def _answer_poll(world: World, body: dict[str, Any]) -> Any:
    options = [int(i) for i in body.get("option_ids", [])]
    await world.answer_poll(_user(world, body), _message(world, body), options)
    return True


async def _edit_text(world: World, body: dict[str, Any]) -> Any:
    edited = await world.edit_text(_user(world, body), _message(world, body), str(body["text"]))
    return edited.to_json()


async def _join(world: World, body: dict[str, Any]) -> Any:
    await world.join(_user(world, body), _group(world, body))
    return True


async def _leave(world: World, body: dict[str, Any]) -> Any:
    await world.leave(_user(world, body), _group(world, body))
    return True


async def _add_bot(world: World, body: dict[str, Any]) -> Any:
    await world.add_bot(
        _group(world, body), by=_user(world, body, "by"), as_admin=bool(body.get("as_admin"))
    )
    return True


async def _remove_bot(world: World, body: dict[str, Any]) -> Any:
    await world.remove_bot(_group(world, body), by=_user(world, body, "by"))
    return True


async def _block(world: World, body: dict[str, Any]) -> Any:
    await world.block_bot(_user(world, body))
    return True


async def _unblock(world: World, body: dict[str, Any]) -> Any:
    await world.unblock_bot(_user(world, body))
    return True


_ACTIONS: dict[str, Action] = {
    "users": _create_user,
    "groups": _create_group,
    "send_text": _send_text,
    "send_document": _send_document,
    "send_photo": _send_photo,
    "press": _press,
    "answer_poll": _answer_poll,
    "edit_text": _edit_text,
    "join": _join,
    "leave": _leave,
    "add_bot": _add_bot,
    "remove_bot": _remove_bot,
    "block_bot": _block,
    "unblock_bot": _unblock,
}


async def _post_action(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    action = _ACTIONS.get(request.match_info["action"])
    if action is None:
        return web.json_response({"error": "unknown action"}, status=404)
    try:
        body = await request.json() if request.can_read_body else {}
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        return web.json_response(await action(world, body))
    except (ValueError, KeyError, TypeError) as error:
        return web.json_response({"error": f"{type(error).__name__}: {error}"}, status=400)


async def _info(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    return web.json_response(
        {
            "token": world.token,
            "bot": world.bot.to_json(),
            "users": [_user_json(u) for u in world.users.values()],
            "groups": [_group_json(g) for g in world.groups.values()],
            "webhook": world.webhook.url,
            "pending_updates": world.updates.pending_count,
        }
    )


async def _chat_messages(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    chat_id = int(request.match_info["chat_id"])
    return web.json_response([m.to_json() for m in world.chat_messages(chat_id)])


async def _callback(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    record = world.callbacks.get(request.match_info["callback_id"])
    if record is None:
        return web.json_response({"error": "unknown callback id"}, status=404)
    answer = record.answer
    return web.json_response(
        None
        if answer is None
        else {"text": answer.text, "show_alert": answer.show_alert, "url": answer.url}
    )


async def _activity(request: web.Request) -> web.Response:
    """Long-polls what the bot did after ``after`` (a sequence number), for live views."""
    world = request.app[WORLD_KEY]
    after = int(request.query.get("after", "0"))
    deadline = time.monotonic() + float(request.query.get("timeout", "0"))
    while len(world.activity) <= after and not world.closed:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        await world.signal.wait(remaining)
    events = [
        {"seq": a.seq, "chat_id": a.chat_id, "kind": a.kind, "message": a.message.to_json()}
        for a in world.activity[after:]
    ]
    return web.json_response({"events": events, "next": len(world.activity)})


async def _calls(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    method = request.query.get("method")
    calls = world.calls_of(method) if method else world.calls
    return web.json_response(
        [
            {
                "method": c.method,
                "params": c.params,
                "ok": c.ok,
                "error_code": c.error_code,
                "description": c.description,
            }
            for c in calls
        ]
    )


def add_control_routes(app: web.Application) -> None:
    """Registers the ``/_control`` routes on the emulator app."""
    app.router.add_get("/_control/info", _info)
    app.router.add_get("/_control/chats/{chat_id}/messages", _chat_messages)
    app.router.add_get("/_control/callbacks/{callback_id}", _callback)
    app.router.add_get("/_control/activity", _activity)
    app.router.add_get("/_control/calls", _calls)
    app.router.add_post("/_control/{action}", _post_action)
