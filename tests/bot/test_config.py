from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import BOTFATHER_HINT, Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]
SECRET = "987654321:THIS-is-A-secret-VALUE-xyz"


def townsquare(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.isupper() or k in {"PATH", "HOME", "LANG"}
    }
    return subprocess.run(
        [sys.executable, "-c", "from bot.cli import main; main()", *args],
        cwd=tmp_path,  # no .env here
        env={**clean, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_run_without_token_says_what_to_do(tmp_path: Path) -> None:
    result = townsquare(tmp_path, "run")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"townsquare: {BOTFATHER_HINT}"]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("OWNER_IDS", "12,abc", "OWNER_IDS: expected comma-separated Telegram user ids"),
        ("COMMUNITY_TIMEZONE", "Mars/Olympus", "COMMUNITY_TIMEZONE: expected an IANA time zone"),
        ("BOT_FRAMEWORK", "telebot", "BOT_FRAMEWORK: Input should be 'aiogram' or 'ptb'"),
        (
            "RATE_LIMIT_GROUP_PER_MINUTE",
            "-1",
            "RATE_LIMIT_GROUP_PER_MINUTE: Input should be greater",
        ),
        ("TELEGRAM_API_URL", "localhost:8081", "TELEGRAM_API_URL: expected an http or https URL"),
        ("BOT_TOKEN", "not a token " + SECRET, "BOT_TOKEN: expected the token from @BotFather"),
        ("WEBHOOK_SECRET", "spaces are bad " + SECRET, "WEBHOOK_SECRET: expected 1-256 characters"),
    ],
)
def test_malformed_setting_is_one_line_exit_2(
    tmp_path: Path, variable: str, value: str, expected: str
) -> None:
    result = townsquare(tmp_path, "run", **{"BOT_TOKEN": SECRET, variable: value})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"townsquare: {expected}")
    assert SECRET not in result.stderr + result.stdout


def test_defaults_and_parsing(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        f"BOT_TOKEN={SECRET}\nOWNER_IDS=1, 2,3\nWEBHOOK_URL=\nLOG_LEVEL=debug\n"
    )
    settings = load_settings(tmp_path / ".env")
    assert settings.owner_ids == frozenset({1, 2, 3})
    assert settings.webhook_url is None and settings.log_level == "DEBUG"
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert settings.require_token().get_secret_value() == SECRET
    assert SECRET not in repr(settings)


def test_webhook_needs_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.org/hook")
    with pytest.raises(SettingsError, match=r"^WEBHOOK_SECRET: expected a secret token"):
        load_settings(None)
    monkeypatch.setenv("WEBHOOK_SECRET", "s3cret_token")
    assert load_settings(None).webhook_url == "https://bot.example.org/hook"


def test_missing_token_only_matters_for_running() -> None:
    with pytest.raises(SettingsError, match="@BotFather"):
        Settings(_env_file=None).require_token()


def test_env_example_lists_every_setting() -> None:
    listed = {
        line.split("=")[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    }
    assert listed == {name.upper() for name in Settings.model_fields}
