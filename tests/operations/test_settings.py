"""The operations settings: quiet hours, the scheduler's tick, the webhook, the pseudonym key."""

from __future__ import annotations

from datetime import time

import pytest

from bot.config import SettingsError, load_settings
from bot.runtime import community_config

TOKEN = "123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)


def test_the_pseudonym_key_comes_from_its_secret_or_else_from_the_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PSEUDONYM_SECRET", raising=False)
    derived = load_settings(None).pseudonym_key()
    assert len(derived) == 32 and TOKEN.encode() not in derived
    assert load_settings(None).pseudonym_key() == derived  # stable across restarts
    monkeypatch.setenv("BOT_TOKEN", "123456:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB")
    assert load_settings(None).pseudonym_key() != derived
    monkeypatch.setenv("PSEUDONYM_SECRET", "a long random string")
    assert community_config(load_settings(None), "bot").pseudonym_key == b"a long random string"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("22:00-07:00", (time(22), time(7))),
        (" 7:30 - 9:15 ", (time(7, 30), time(9, 15))),
    ],
)
def test_quiet_hours_feed_the_community_config(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: tuple[time, time]
) -> None:
    monkeypatch.setenv("QUIET_HOURS", value)
    assert community_config(load_settings(None), "bot").quiet_hours == expected


def test_no_quiet_hours_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUIET_HOURS", "")  # as in a copied .env.example
    settings = load_settings(None)
    assert community_config(settings, "bot").quiet_hours is None
    assert settings.scheduler_tick_seconds == 5
    assert settings.webhook_delete_on_stop is False


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("QUIET_HOURS", "22:00", "QUIET_HOURS: expected a span of local times like 22:00-07:00"),
        ("QUIET_HOURS", "24:00-07:00", "QUIET_HOURS: expected a span of local times"),
        ("QUIET_HOURS", "10:00-10:00", "QUIET_HOURS: expected different start and end times"),
        ("SCHEDULER_TICK_SECONDS", "0", "SCHEDULER_TICK_SECONDS: Input should be greater than 0"),
        ("POLL_REFRESH_SECONDS", "0", "POLL_REFRESH_SECONDS: Input should be greater than or"),
        ("POLL_REFRESH_SECONDS", "2.5", "POLL_REFRESH_SECONDS: Input should be a valid integer"),
        ("WEBHOOK_DELETE_ON_STOP", "maybe", "WEBHOOK_DELETE_ON_STOP: Input should be a valid"),
    ],
)
def test_a_malformed_setting_is_one_line(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as raised:
        load_settings(None)
    message = str(raised.value)
    assert message.startswith(expected) and "\n" not in message
