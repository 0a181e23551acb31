"""Checks Bot API calls against the official spec (``telegram-bot-api/api.json``).

The emulator logs what the bot sent (``world.calls``); :func:`violations` tells what in one call
Telegram's documentation does not allow: unknown methods and parameters, missing required ones,
values of the wrong type (objects such as keyboards and command scopes are checked field by
field) and the documented limits a bot can break (text lengths, ``callback_data`` size, command
names).

Form transports (aiogram, python-telegram-bot) send every top-level value as a string, so a
string is accepted for a non-string parameter when it decodes as JSON of the right type, as
Telegram does. Uploads appear in the log as ``{"upload", "content_type", "size"}`` records.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from bot.emulator.errors import ApiError
from bot.emulator.text import format_text, utf16_len

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SPEC_PATH = REPO_ROOT.parent / "shared" / "telegram-bot-api" / "api.json"
SPEC_ENV = "TELEGRAM_API_SPEC"

_UPLOAD_KEYS = frozenset({"upload", "content_type", "size"})
_ATTACH = "attach://"
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
# How a union's subtypes name their discriminator value: 'must be chat', 'always "user"'.
_DISCRIMINATOR_RE = re.compile(r'(?:must be|always) "?(\w+)"?')


def in_ci() -> bool:
    """Tells whether the tests run in CI (``$CI`` set), where the spec must be present."""
    return os.environ.get("CI", "").lower() not in ("", "0", "false")


def spec_path() -> Path:
    """Returns where the spec is read from: ``$TELEGRAM_API_SPEC`` or ``../shared/...``."""
    override = os.environ.get(SPEC_ENV)
    return Path(override) if override else DEFAULT_SPEC_PATH


@dataclass(frozen=True)
class UnionType:
    """A spec type standing for one of its subtypes.

    Attributes:
        subtypes: The types it may be.
        key: The field telling them apart (``type``, ``status``...), None if there is none.
        by_value: The subtype for each value of ``key``.
    """

    subtypes: tuple[str, ...]
    key: str | None = None
    by_value: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Spec:
    """The Bot API methods and types, as loaded from ``api.json``.

    Attributes:
        version: The Bot API version, e.g. ``Bot API 10.1``.
        methods: Methods by lower-cased name (Telegram ignores the case of method names).
        types: Types by name.
        unions: The union types (those listing subtypes) by name.
    """

    version: str
    methods: dict[str, dict[str, Any]]
    types: dict[str, dict[str, Any]]
    unions: dict[str, UnionType]

    @classmethod
    def load(cls, path: Path) -> Spec:
        """Reads the spec from ``path``."""
        data = json.loads(path.read_text(encoding="utf-8"))
        types: dict[str, dict[str, Any]] = data["types"]
        unions = {
            name: _union(types, tuple(entry["subtypes"]))
            for name, entry in types.items()
            if entry.get("subtypes")
        }
        methods = {name.lower(): method for name, method in data["methods"].items()}
        return cls(data.get("version", "?"), methods, types, unions)


def _union(types: dict[str, dict[str, Any]], subtypes: tuple[str, ...]) -> UnionType:
    """Finds the discriminator: each subtype's first field, documented 'must be chat'."""
    by_value: dict[str, str] = {}
    keys: set[str] = set()
    for subtype in subtypes:
        fields = types.get(subtype, {}).get("fields", [])
        found = _DISCRIMINATOR_RE.search(fields[0]["description"]) if fields else None
        if found is None:
            return UnionType(subtypes)
        keys.add(fields[0]["name"])
        by_value[found.group(1)] = subtype
    return UnionType(subtypes, keys.pop(), by_value) if len(keys) == 1 else UnionType(subtypes)


@cache
def load_spec(path: Path | None = None) -> Spec:
    """Loads the spec once per path (default :func:`spec_path`)."""
    return Spec.load(path or spec_path())


def violations(method: str, params: Mapping[str, Any], spec: Spec | None = None) -> list[str]:
    """Lists what in one Bot API call the spec does not allow.

    Args:
        method: The method name as called.
        params: The decoded parameters, as the emulator logs them.
        spec: The spec to check against (default: :func:`load_spec`).

    Returns:
        One readable line per problem; empty when the call conforms.
    """
    spec = spec or load_spec()
    entry = spec.methods.get(method.lower())
    if entry is None:
        return [f"unknown method {method!r}"]
    uploads = {name for name, value in params.items() if _is_upload(value)}
    attached = {s.removeprefix(_ATTACH) for s in _strings(params) if s.startswith(_ATTACH)}
    problems = [f"{name}: attach://{name} names no uploaded file" for name in attached - uploads]
    # Parts referenced by attach:// are files, not parameters.
    sent = {name: value for name, value in params.items() if name not in attached}
    problems += _check_fields(spec, entry["name"], entry.get("fields", []), sent, "", form=True)
    return problems


def _check_fields(
    spec: Spec,
    owner: str,
    fields: list[dict[str, Any]],
    values: Mapping[str, Any],
    prefix: str,
    form: bool = False,
) -> list[str]:
    declared = {f["name"]: f for f in fields}
    kind = "field" if prefix else "parameter"
    problems = [f"{prefix}{name}: unknown {kind}" for name in values if name not in declared]
    for name, spec_field in declared.items():
        path = prefix + name
        if name not in values:
            if spec_field["required"]:
                problems.append(f"{path}: required but missing")
            continue
        types: list[str] = spec_field["types"]
        value = _from_form(values[name], types) if form else values[name]
        found = _check_value(spec, value, types, path)
        if not found:
            limit = _limit(owner, name, value, values)
            found = [f"{path}: {limit}"] if limit else []
        problems += found
    return problems


def _check_value(spec: Spec, value: Any, types: list[str], path: str) -> list[str]:
    """Checks a value against alternatives such as ``Integer or String``."""
    fitting: list[list[str]] = []
    for type_name in types:
        found = _check_type(spec, value, type_name, path)
        if found == []:
            return []
        if found is not None:
            fitting.append(found)
    if fitting:
        return min(fitting, key=len)  # the right JSON shape, wrong contents: the closest type
    return [f"{path}: expected {' or '.join(types)}, got {_json_kind(value)}"]


def _check_type(spec: Spec, value: Any, type_name: str, path: str) -> list[str] | None:
    """Returns the problems of ``value`` as ``type_name``, or None if its shape does not fit."""
    if type_name.startswith("Array of "):
        if not isinstance(value, list):
            return None
        item = type_name.removeprefix("Array of ")
        return [
            p for i, v in enumerate(value) for p in _check_value(spec, v, [item], f"{path}[{i}]")
        ]
    scalars: dict[str, bool] = {
        "Integer": isinstance(value, int) and not isinstance(value, bool),
        "Float": isinstance(value, int | float) and not isinstance(value, bool),
        "String": isinstance(value, str),
        "Boolean": isinstance(value, bool),
        "InputFile": _is_upload(value),
    }
    if type_name in scalars:
        return [] if scalars[type_name] else None
    if type_name not in spec.types:
        return [f"{path}: the spec names no type {type_name!r}"]
    union = spec.unions.get(type_name)
    if union is not None and union.key is None:
        tries = [_check_type(spec, value, subtype, path) for subtype in union.subtypes]
        if [] in tries:
            return []
        if all(found is None for found in tries):
            return None
        return [f"{path}: matches none of {', '.join(union.subtypes)}"]
    return _check_object(spec, value, type_name, path) if isinstance(value, dict) else None


def _check_object(spec: Spec, value: dict[str, Any], type_name: str, path: str) -> list[str]:
    union = spec.unions.get(type_name)
    if union is None or union.key is None:
        fields = spec.types[type_name].get("fields", [])
        return _check_fields(spec, type_name, fields, value, f"{path}.")
    subtype = union.by_value.get(str(value.get(union.key)))
    if subtype is None:
        known = ", ".join(sorted(union.by_value))
        return [f"{path}.{union.key}: {value.get(union.key)!r} is not a {type_name} type ({known})"]
    return _check_object(spec, value, subtype, path)


def _limit(owner: str, name: str, value: Any, siblings: Mapping[str, Any]) -> str | None:
    """Checks the documented limits of one well-typed value; returns the problem or None."""
    match owner, name, value:
        case ("sendMessage" | "editMessageText", "text", str()):
            length = utf16_len(_parsed(value, siblings.get("parse_mode")).strip())
            return _length_problem(length, 1, 4096, "characters after entities parsing")
        case (_, "caption", str()):
            length = utf16_len(_parsed(value, siblings.get("parse_mode")))
            return _length_problem(length, 0, 1024, "characters after entities parsing")
        case ("answerCallbackQuery", "text", str()):
            return _length_problem(utf16_len(value), 0, 200, "characters")
        case ("InlineKeyboardButton", "callback_data", str()):
            return _length_problem(len(value.encode()), 1, 64, "bytes")
        case ("setMyCommands", "commands", list()):
            return _length_problem(len(value), 0, 100, "commands")
        case ("BotCommand", "command", str()) if not _COMMAND_RE.fullmatch(value):
            return f"{value!r} is not 1-32 lowercase English letters, digits and underscores"
        case ("BotCommand", "description", str()):
            return _length_problem(utf16_len(value), 1, 256, "characters")
    return None


def _length_problem(length: int, low: int, high: int, unit: str) -> str | None:
    if low <= length <= high:
        return None
    return f"{length} {unit}, allowed {low}-{high}"


def _parsed(text: str, parse_mode: Any) -> str:
    """Returns the text Telegram would store (markup removed); unparsable markup as sent."""
    try:
        return format_text(text, parse_mode if isinstance(parse_mode, str) else None, None)[0]
    except ApiError:
        return text


def _from_form(value: Any, types: list[str]) -> Any:
    """Decodes a top-level string sent for a non-string parameter (form transports)."""
    if not isinstance(value, str) or "String" in types:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _is_upload(value: Any) -> bool:
    return isinstance(value, dict) and value.keys() == _UPLOAD_KEYS


def _strings(value: Any) -> Iterator[str]:
    """Yields every string inside a decoded value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _json_kind(value: Any) -> str:
    kinds = {bool: "Boolean", int: "Integer", float: "Float", str: "String"}
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return kinds.get(type(value), type(value).__name__)
