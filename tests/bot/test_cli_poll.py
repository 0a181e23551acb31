"""`townsquare poll import` and `export`, as an operator runs them, on a real database."""

from __future__ import annotations

from pathlib import Path

from admin.poll_files import parse_poll
from tests.bot.test_cli import townsquare

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
BENCH = EXAMPLES / "bench-poll.yaml"


def test_a_poll_file_is_imported_as_a_draft_and_exported_again(
    database_url: str, tmp_path: Path
) -> None:
    imported = townsquare(database_url, "poll", "import", str(BENCH))
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout == "saved poll 1 as a draft: /polls in Telegram publishes it\n"

    exported = townsquare(database_url, "poll", "export", "1")
    assert exported.returncode == 0, exported.stderr
    original = parse_poll(BENCH.read_bytes(), BENCH.name)
    assert parse_poll(exported.stdout.encode(), "bench.yaml") == original

    target = tmp_path / "bench.yaml"
    written = townsquare(database_url, "poll", "export", "1", str(target))
    assert written.returncode == 0, written.stderr
    assert written.stderr == f"wrote poll 1 to {target}\n"
    assert parse_poll(target.read_bytes(), target.name) == original


def test_a_bad_poll_file_is_explained_and_nothing_is_saved(
    database_url: str, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("poll:\n  question: Trees?\n  kind: podium\n")
    refused = townsquare(database_url, "poll", "import", str(broken))
    assert refused.returncode == 1
    assert f"{broken}: field kind, line 3: must be one of 'single'" in refused.stderr
    assert refused.stderr.endswith(f"townsquare: {broken} was not imported\n")
    missing = townsquare(database_url, "poll", "export", "1")
    assert (missing.returncode, missing.stderr) == (1, "townsquare: there is no poll 1\n")
    unreadable = townsquare(database_url, "poll", "import", str(tmp_path / "nope.yaml"))
    assert unreadable.returncode == 1 and "cannot read" in unreadable.stderr
