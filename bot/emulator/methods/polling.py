"""getUpdates, setWebhook, deleteWebhook and getWebhookInfo."""

from __future__ import annotations

import re
import time
from typing import Any

from bot.emulator.errors import ApiError, bad_request
from bot.emulator.params import Params
from bot.emulator.state import WebhookConfig, WorldState

from .base import Described

_MAX_POLL_SECONDS = 50
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def _conflict_webhook() -> ApiError:
    return ApiError(
        409,
        "Conflict: can't use getUpdates method while webhook is active; "
        "use deleteWebhook to delete the webhook first",
    )


def _conflict_other_poller() -> ApiError:
    return ApiError(
        409,
        "Conflict: terminated by other getUpdates request; "
        "make sure that only one bot instance is running",
    )


async def get_updates(state: WorldState, params: Params) -> list[dict[str, Any]]:
    """Confirms updates below ``offset`` and returns pending ones, long-polling if asked."""
    if state.webhook.url:
        raise _conflict_webhook()
    limit = min(max(params.integer("limit", 100) or 100, 1), 100)
    timeout = min(max(params.integer("timeout", 0) or 0, 0), _MAX_POLL_SECONDS)
    state.updates.set_allowed(params.get("allowed_updates"))
    offset = params.integer("offset")
    if offset is not None and offset != 0:
        state.updates.confirm(offset)
    # A newer getUpdates ends an older one still waiting, as on Telegram.
    state.poll_generation += 1
    generation = state.poll_generation
    deadline = time.monotonic() + timeout
    state.traffic.change(-1)  # waiting for updates is idleness, not work
    try:
        while True:
            found = state.updates.take(limit)
            if found or state.closed:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            await state.signal.wait(remaining)
            if state.poll_generation != generation:
                raise _conflict_other_poller()
            if state.webhook.url:
                raise _conflict_webhook()
    finally:
        state.traffic.change(+1)


async def set_webhook(state: WorldState, params: Params) -> Described:
    """Sets the URL the emulator POSTs updates to (an empty URL removes the webhook)."""
    url = params.text("url") or ""
    if not url:
        return await delete_webhook(state, params)
    # Telegram requires HTTPS; the emulator also accepts plain HTTP for local test servers.
    if not url.startswith(("https://", "http://")):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = params.text("secret_token")
    if secret is not None and not _SECRET.fullmatch(secret):
        raise bad_request("secret token contains unallowed characters")
    if params.flag("drop_pending_updates"):
        state.updates.drop_all()
    state.updates.set_allowed(params.get("allowed_updates"))
    state.webhook = WebhookConfig(
        url=url,
        secret_token=secret,
        max_connections=min(max(params.integer("max_connections", 40) or 40, 1), 100),
        ip_address=params.text("ip_address"),
    )
    state.signal.notify()
    return Described(True, "Webhook was set")


async def delete_webhook(state: WorldState, params: Params) -> Described:
    """Removes the webhook; optionally drops pending updates."""
    if params.flag("drop_pending_updates"):
        state.updates.drop_all()
    was_set = bool(state.webhook.url)
    state.webhook = WebhookConfig()
    state.signal.notify()
    return Described(True, "Webhook was deleted" if was_set else "Webhook is already deleted")


async def get_webhook_info(state: WorldState, params: Params) -> dict[str, Any]:
    """Describes the webhook and the number of updates awaiting delivery."""
    hook = state.webhook
    info: dict[str, Any] = {
        "url": hook.url,
        "has_custom_certificate": False,
        "pending_update_count": state.updates.pending_count,
    }
    if hook.url:
        info["max_connections"] = hook.max_connections
        if hook.ip_address:
            info["ip_address"] = hook.ip_address
        if state.updates.allowed is not None:
            info["allowed_updates"] = sorted(state.updates.allowed)
    if hook.last_error_date is not None:
        info["last_error_date"] = hook.last_error_date
        info["last_error_message"] = hook.last_error_message
    return info
