"""Update delivery: getUpdates confirmation and long polling, webhooks, faults, limits."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web

from bot.emulator import RunningEmulator
from tests.emulator.conftest import Api


async def test_offset_confirms_and_unconfirmed_updates_come_again(
    api: Api, emulator: RunningEmulator
) -> None:
    world = emulator.world
    alice, bob = world.user("Alice"), world.user("Bob")
    await world.send_text(alice, "/start")
    await world.send_text(bob, "/start")
    first = await api.ok("getUpdates", limit=1)
    assert [u["update_id"] for u in first] == [1]
    again = await api.ok("getUpdates")
    assert [u["update_id"] for u in again] == [1, 2]
    assert again[0]["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert await api.ok("getUpdates", offset=3) == []
    assert world.updates.pending_count == 0


async def test_long_poll_returns_as_soon_as_an_update_arrives(
    api: Api, emulator: RunningEmulator
) -> None:
    alice = emulator.world.user("Alice")
    started = time.monotonic()
    poll = asyncio.create_task(api.ok("getUpdates", timeout=10))
    await asyncio.sleep(0.05)
    assert not poll.done()
    await emulator.world.send_text(alice, "hello")
    updates = await asyncio.wait_for(poll, 2)
    assert updates[0]["message"]["text"] == "hello"
    assert time.monotonic() - started < 2


async def test_a_newer_get_updates_ends_the_waiting_one(api: Api) -> None:
    older = asyncio.create_task(api("getUpdates", timeout=10))
    await asyncio.sleep(0.05)
    assert await api.ok("getUpdates") == []
    status, body = await asyncio.wait_for(older, 2)
    assert status == 409
    assert body["description"].startswith("Conflict: terminated by other getUpdates request")


async def test_allowed_updates_filters_and_is_remembered(
    api: Api, emulator: RunningEmulator
) -> None:
    world = emulator.world
    alice = world.user("Alice")
    await api.ok("getUpdates", allowed_updates=["callback_query"])
    await world.send_text(alice, "ignored")
    assert await api.ok("getUpdates") == []
    await api.ok("getUpdates", allowed_updates=[])  # back to the default set
    await world.send_text(alice, "seen")
    assert [u["message"]["text"] for u in await api.ok("getUpdates")] == ["seen"]


async def test_webhook_delivery_in_order_with_secret_and_retries(
    api: Api, emulator: RunningEmulator
) -> None:
    received: list[dict[str, Any]] = []
    secrets: list[str | None] = []
    failures = {"left": 1}

    async def hook(request: web.Request) -> web.Response:
        if failures["left"]:
            failures["left"] -= 1
            return web.Response(status=500)
        secrets.append(request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        received.append(await request.json())
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        status, body = await api(
            "setWebhook", url=f"http://{host}:{port}/hook", secret_token="s3cret"
        )
        assert body == {"ok": True, "result": True, "description": "Webhook was set"}
        world = emulator.world
        alice = world.user("Alice")
        for text in ("one", "two", "three"):
            await world.send_text(alice, text)
        status, body = await api("getUpdates")
        assert status == 409
        assert body["description"] == (
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first"
        )
        await world.wait_idle(timeout=5)
        assert [u["message"]["text"] for u in received] == ["one", "two", "three"]
        assert secrets == ["s3cret"] * 3
        info = await api.ok("getWebhookInfo")
        assert info["pending_update_count"] == 0
        assert (
            info["last_error_message"]
            == "Wrong response from the webhook: 500 Internal Server Error"
        )
        await api.ok("deleteWebhook")
        assert (await api.ok("getWebhookInfo"))["url"] == ""
    finally:
        await runner.cleanup()


async def test_drop_pending_updates(api: Api, emulator: RunningEmulator) -> None:
    alice = emulator.world.user("Alice")
    await emulator.world.send_text(alice, "old")
    await api.ok("deleteWebhook", drop_pending_updates=True)
    assert await api.ok("getUpdates") == []


async def test_injected_faults(api: Api, emulator: RunningEmulator) -> None:
    world = emulator.world
    alice = world.user("Alice")
    await world.send_text(alice, "hi")
    world.faults.add(method="sendMessage", error=429, retry_after=7)
    world.faults.add(method="sendMessage", chat_id=alice.id, error=502)
    status, body = await api("sendMessage", chat_id=alice.id, text="x")
    assert (status, body["parameters"]) == (429, {"retry_after": 7})
    assert body["description"] == "Too Many Requests: retry after 7"
    assert (await api.error("sendMessage", chat_id=alice.id, text="x"))[0] == 502
    await api.ok("sendMessage", chat_id=alice.id, text="x")
    assert [c.error_code for c in world.calls_of("sendMessage")] == [429, 502, None]


async def test_timeout_fault_holds_past_the_client_timeout(
    api: Api, emulator: RunningEmulator
) -> None:
    world = emulator.world
    alice = world.user("Alice")
    await world.send_text(alice, "hi")
    world.faults.add(method="sendMessage", error="timeout", hold=0.3, then_execute=True)
    try:
        await asyncio.wait_for(api("sendMessage", chat_id=alice.id, text="slow"), 0.1)
    except TimeoutError:
        pass
    else:
        raise AssertionError("the request should have been held")
    # The server carried on: the message arrives although the client gave up.
    sent = await world.wait_for(alice, timeout=2)
    assert sent[0].text == "slow"


async def test_rate_limiter(api: Api, emulator: RunningEmulator) -> None:
    world = emulator.world
    alice = world.user("Alice")
    await world.send_text(alice, "hi")
    world.rate_limit(per_second_total=30, per_chat_per_second=1)
    await api.ok("sendMessage", chat_id=alice.id, text="1")
    status, body = await api("sendMessage", chat_id=alice.id, text="2")
    assert status == 429 and body["parameters"]["retry_after"] == 1
    world.rate_limit(None)
    await api.ok("sendMessage", chat_id=alice.id, text="3")
