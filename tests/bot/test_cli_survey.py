"""`townsquare survey import` and `export`, as an operator runs them, on a real database."""

from __future__ import annotations

from pathlib import Path

from admin.survey_files import parse_definition
from tests.bot.test_cli import townsquare

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def test_a_file_is_imported_as_a_draft_replaced_and_exported_again(
    database_url: str, tmp_path: Path
) -> None:
    park = EXAMPLES / "park-renovation.yaml"
    imported = townsquare(database_url, "survey", "import", str(park))
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout == "saved the draft park-renovation as survey 1\n"
    needs = townsquare(database_url, "survey", "import", str(EXAMPLES / "community-needs.json"))
    assert needs.stdout == "saved the draft community-needs-2027 as survey 2\n"
    again = townsquare(database_url, "survey", "import", str(park))
    assert again.stdout == "replaced the draft park-renovation as survey 1\n"

    exported = townsquare(database_url, "survey", "export", "park-renovation")
    assert exported.returncode == 0, exported.stderr
    original = parse_definition(park.read_bytes(), park.name)
    assert parse_definition(exported.stdout.encode(), "park.yaml") == original
    assert "zh_Hans: 河滨公园改造" in exported.stdout

    target = tmp_path / "needs.yaml"
    written = townsquare(database_url, "survey", "export", "2", str(target))
    assert written.returncode == 0, written.stderr
    assert written.stderr == f"wrote survey 2 (community-needs-2027) to {target}\n"
    needs_file = EXAMPLES / "community-needs.json"
    assert parse_definition(target.read_bytes(), target.name) == parse_definition(
        needs_file.read_bytes(), needs_file.name
    )


def test_a_bad_file_prints_every_problem_and_saves_nothing(
    database_url: str, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: Bad Id\ntitle: X\nquestions:\n  - {id: a, type: essay, text: A}\n")
    result = townsquare(database_url, "survey", "import", str(broken))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{broken}: field id, line 1: use 1-40 lower-case letters, digits, - or _ (starting "
        "with a letter or digit)",
        f"{broken}: question 1 (a), field type, line 4: must be one of 'single_choice', "
        "'multiple_choice', 'scale', 'nps', 'yes_no', 'short_text', 'long_text', 'number', "
        "'date', 'ranking' or 'photo'",
        f"townsquare: {broken} was not imported",
    ]
    missing = townsquare(database_url, "survey", "import", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 1
    assert missing.stderr.startswith("townsquare: cannot read ")
    unknown = townsquare(database_url, "survey", "export", "nope")
    assert unknown.returncode == 1
    assert unknown.stderr == "townsquare: there is no survey 'nope'\n"
    assert "Traceback" not in result.stderr + missing.stderr + unknown.stderr
