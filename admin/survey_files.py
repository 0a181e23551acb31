"""Survey definitions as files: YAML or JSON in, YAML out, with errors an organiser can act on.

A bad file is answered with every problem found, each naming where it is ("question 3
(park_use), field options", "settings, field closes_at", "line 12") and what is wrong in plain
words, so that one round of fixing is usually enough.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from flows.survey.definition import SurveyDefinition

MAX_BYTES = 256 * 1024
EXTENSIONS = (".yaml", ".yml", ".json")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a definition file.

    Attributes:
        where: The place in plain words, e.g. "question 3 (park_use), field options (line 40)".
        what: What is wrong, e.g. "a single_choice question needs at least two options".
    """

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


class DefinitionError(ValueError):
    """A file that is not a valid survey definition; `problems` lists everything found."""

    def __init__(self, problems: list[Problem]) -> None:
        """Keep the problems (at least one)."""
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems


def parse_definition(content: bytes, filename: str | None) -> SurveyDefinition:
    """Read a survey definition from the bytes of a YAML or JSON file.

    Args:
        content: The file as uploaded.
        filename: Its name; a name ending in `.json` is read as JSON (with exact error
            positions), anything else as YAML (which JSON also is).

    Raises:
        DefinitionError: the file is too large, not UTF-8, not YAML/JSON, not a mapping, or
            not a valid definition.
    """
    data, text = read_document(content, filename)
    if not isinstance(data, dict):
        raise DefinitionError(
            [
                Problem(
                    "the file",
                    "the top level must be a mapping of fields (id, title, questions, ...)",
                )
            ]
        )
    try:
        return SurveyDefinition.model_validate(data)
    except ValidationError as exc:
        lines = line_numbers(text)
        raise DefinitionError(_problems(exc.errors(), data, lines)) from None


def read_document(content: bytes, filename: str | None) -> tuple[Any, str]:
    """Read the bytes of a YAML or JSON file (a survey's or a poll's definition).

    Args:
        content: The file as uploaded.
        filename: Its name; a name ending in `.json` is read as JSON (with exact error
            positions), anything else as YAML (which JSON also is).

    Returns:
        The data read and the file's text (for `line_numbers`).

    Raises:
        DefinitionError: the file is too large, not UTF-8, or not YAML/JSON.
    """
    if len(content) > MAX_BYTES:
        raise DefinitionError(
            [Problem("the file", f"is {len(content) // 1024} KB; the limit is 256 KB")]
        )
    try:
        text = content.decode("utf-8-sig")  # a byte-order mark from Windows editors is harmless
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise DefinitionError(
            [Problem(f"line {line}", "the file is not UTF-8 text; save it as UTF-8")]
        ) from None
    as_json = (filename or "").lower().endswith(".json")
    return (_read_json(text) if as_json else _read_yaml(text)), text


def dump_definition(definition: SurveyDefinition) -> bytes:
    """Write a definition as readable YAML that `parse_definition` reads back to an equal one.

    Fields left at their defaults are left out, and a text in one language is one string.
    """
    data = definition.model_dump(mode="json", exclude_defaults=True)
    data = {"id": data.pop("id"), **data}  # the id first: it names the survey
    return dump_yaml(data)


def dump_yaml(data: dict[str, Any]) -> bytes:
    """Write definition data as readable YAML: unicode kept, long texts as blocks, keys in order."""
    dumped = yaml.dump(
        data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100, indent=2
    )
    return dumped.encode()


# -- reading ------------------------------------------------------------------------------


_DROPPED_TAGS = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp"}


class _Loader(yaml.SafeLoader):
    """YAML as people expect it: `yes`, `no`, `on` and `off` stay words, dates stay text.

    YAML 1.1 (PyYAML's default) reads `yes` as true, which would turn an option called `yes`
    or `no` into a boolean; pydantic reads times from text, so leaving them as text keeps one
    parser for YAML and JSON. A key given twice is an error instead of silently winning.
    """

    yaml_implicit_resolvers = {  # noqa: RUF012 - PyYAML's own class-level table
        first: [(tag, regexp) for tag, regexp in resolvers if tag not in _DROPPED_TAGS]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"the key {key!r} appears twice in the same mapping",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _read_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)  # _Loader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}" if mark is not None else "the file"
        what = exc.problem or exc.context or "this is not valid YAML"
        raise DefinitionError([Problem(where, f"not valid YAML: {what}")]) from None
    except yaml.YAMLError as exc:
        raise DefinitionError([Problem("the file", f"not valid YAML: {exc}")]) from None


def _read_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise DefinitionError([Problem(where, f"not valid JSON: {exc.msg}")]) from None


def line_numbers(text: str) -> dict[tuple[str | int, ...], int]:
    """The line each value starts on, by its path (JSON is read as YAML for this only)."""
    try:
        root = yaml.compose(text, Loader=_Loader)  # _Loader is a SafeLoader
    except yaml.YAMLError:
        return {}
    lines: dict[tuple[str | int, ...], int] = {}

    def walk(node: yaml.Node, path: tuple[str | int, ...]) -> None:
        lines.setdefault(path, node.start_mark.line + 1)  # a field's own line is its key's
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    lines[(*path, key.value)] = key.start_mark.line + 1
                    walk(value, (*path, key.value))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*path, index))

    if root is not None:
        walk(root, ())
    return lines


# -- explaining ---------------------------------------------------------------------------

_SLUG_RULE = "use 1-40 lower-case letters, digits, - or _ (starting with a letter or digit)"


def _problems(
    errors: list[ErrorDetails], data: dict[str, Any], lines: dict[tuple[str | int, ...], int]
) -> list[Problem]:
    problems: list[Problem] = []
    for error in errors:
        loc = tuple(error["loc"])
        what = explain(error)
        if not loc:
            loc, what = _survey_level(what, data)
        where = _where(loc, data)
        line = line_of(loc, lines)
        if line is not None:
            where += f", line {line}"
        problem = Problem(where, what)
        if problem not in problems:
            problems.append(problem)
    return problems


def _survey_level(what: str, data: dict[str, Any]) -> tuple[tuple[str | int, ...], str]:
    """Place a whole-survey problem: a display condition names its question in the message."""
    match = re.fullmatch(r"question '([^']*)': (.*)", what, re.DOTALL)
    questions = data.get("questions")
    if match is None or not isinstance(questions, list):
        return ("questions",) if "question" in what else (), what
    for index, question in enumerate(questions):
        if isinstance(question, dict) and question.get("id") == match[1]:
            return ("questions", index, "show_if"), match[2]
    return ("questions",), what


def explain(error: ErrorDetails) -> str:
    """What a pydantic error means, in words an organiser can act on."""
    kind, message = error["type"], error["msg"]
    if kind == "missing":
        return "this field is required"
    if kind == "extra_forbidden":
        return "unknown field (check the spelling; see the documentation for the fields)"
    if kind == "dict_type":  # texts are the only mappings of strings
        return "give a text, or a mapping of language codes to texts (en: ..., zh_Hans: ...)"
    if kind == "string_pattern_mismatch":
        return _SLUG_RULE
    if kind == "enum":
        expected = (error.get("ctx") or {}).get("expected", "")
        return f"must be one of {expected}"
    if kind in ("too_short", "too_long"):
        return message.replace("List should", "must").replace(" after validation", "")
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return message[:1].lower() + message[1:]


def _where(loc: tuple[str | int, ...], data: dict[str, Any]) -> str:
    """Name a place in plain words: "question 3 (park_use), option 2 (lawn), field text"."""
    parts: list[str] = []
    node: Any = data
    index = 0
    while index < len(loc):
        key = loc[index]
        child = node.get(key) if isinstance(node, dict) else None
        following = loc[index + 1] if index + 1 < len(loc) else None
        if key in ("questions", "options") and isinstance(following, int):
            items = child if isinstance(child, list) else []
            item = items[following] if following < len(items) else None
            name = item.get("id") if isinstance(item, dict) else None
            label = f"{'question' if key == 'questions' else 'option'} {following + 1}"
            parts.append(f"{label} ({name})" if isinstance(name, str) and name else label)
            node = item
            index += 2
            continue
        if key in ("settings", "audience") and following is not None:
            parts.append(str(key))
        else:
            parts.append(f"field {key}")
        node = child
        index += 1
    return ", ".join(parts) if parts else "the survey"


def line_of(loc: tuple[str | int, ...], lines: dict[tuple[str | int, ...], int]) -> int | None:
    """The line of the value at `loc`, or of the nearest part above it that has one."""
    # A missing field has no line of its own: point at the part that lacks it.
    for end in range(len(loc), 0, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


class _Dumper(yaml.SafeDumper):
    """Writes long and multi-line texts as readable blocks."""


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_text)
