from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logging_setup import configure_logging

TOKEN = "123456789:AAHsecretSECRETsecret-_token"


@pytest.fixture
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize("fmt", ["plain", "json"])
def test_token_never_appears(fmt: str, restore_root: None) -> None:
    out = io.StringIO()
    configure_logging(level="DEBUG", fmt=fmt, secrets=[TOKEN], stream=out)
    url = f"https://api.telegram.org/bot{TOKEN}/getUpdates"
    logging.getLogger("httpx").info('HTTP Request: POST %s "HTTP/1.1 200 OK"', url)
    logging.getLogger("aiogram").warning(f"Failed to fetch {url}")
    logging.getLogger("x").info("encoded %s", url.replace(":", "%3A"))
    logging.getLogger("x").info("extra", extra={"url": url})
    try:
        raise ConnectionError(f"Cannot connect to {url}")
    except ConnectionError:
        logging.getLogger("aiohttp.client").exception("request failed")
    text = out.getvalue()
    assert TOKEN not in text and "AAHsecret" not in text
    assert text.count("***") >= 5
    if fmt == "json":
        lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
        assert {line["logger"] for line in lines} >= {"httpx", "aiogram", "x", "aiohttp.client"}
        assert lines[3]["url"] == "https://api.telegram.org/bot***/getUpdates"
        assert "ConnectionError" in lines[-1]["exception"]


def test_plain_lines_carry_level_logger_and_extras(restore_root: None) -> None:
    out = io.StringIO()
    configure_logging(level="INFO", fmt="plain", stream=out)
    logging.getLogger("bot.outbound").info("delivered", extra={"chat_id": 42})
    logging.getLogger("httpx").info("polling noise")
    line = out.getvalue().strip()
    assert line.endswith("INFO bot.outbound: delivered chat_id=42")
