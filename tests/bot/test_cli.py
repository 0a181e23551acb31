"""The organiser commands of the `townsquare` console script, as an operator runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def townsquare(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
    }
    return subprocess.run(
        [sys.executable, "-c", "from bot.cli import main; main()", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_topics_are_added_listed_and_archived(database_url: str) -> None:
    added = townsquare(
        database_url, "topics", "add", "topic", "transport", "Transport", "--name", "zh_Hans=交通"
    )
    assert added.returncode == 0, added.stderr
    assert (
        townsquare(database_url, "topics", "add", "area", "north-end", "North End").returncode == 0
    )

    listing = townsquare(database_url, "topics", "list").stdout
    assert "topic\ttransport\ten=Transport, zh_Hans=交通" in listing
    assert "area\tnorth-end\ten=North End" in listing

    assert townsquare(database_url, "topics", "archive", "transport").returncode == 0
    assert (
        "transport\ten=Transport, zh_Hans=交通 (archived)"
        in townsquare(database_url, "topics", "list").stdout
    )


def test_bad_topics_and_unknown_people_get_one_clear_line(database_url: str) -> None:
    bad_slug = townsquare(database_url, "topics", "add", "topic", "Bad Slug!", "Name")
    assert bad_slug.returncode == 1
    assert bad_slug.stderr.strip() == (
        "townsquare: the slug must be 1-40 lower-case letters, digits or dashes"
    )
    unknown_language = townsquare(
        database_url, "topics", "add", "topic", "x", "X", "--name", "xx=?"
    )
    assert unknown_language.returncode == 1 and "unknown language 'xx'" in unknown_language.stderr
    nobody = townsquare(database_url, "role", "set", "12345", "organiser")
    assert nobody.returncode == 1
    assert "has not joined the bot" in nobody.stderr
    assert "Traceback" not in nobody.stderr
