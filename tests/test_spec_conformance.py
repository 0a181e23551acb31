"""The Bot API spec checker: what it rejects, what it accepts, and the emulator fixture's hook."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.emulator import CallRecord
from tests.emulator_fixtures import check_spec_conformance
from tests.spec_conformance import SPEC_ENV, in_ci, spec_path, violations

UPLOAD = {"upload": "report.csv", "content_type": "text/csv", "size": 120}


@pytest.fixture(autouse=True)
def _spec_present() -> None:
    # In CI the checks below then fail on the missing file instead of passing vacuously.
    if not spec_path().is_file() and not in_ci():
        pytest.skip(f"Bot API spec not found at {spec_path()}")


def keyboard(*buttons: dict[str, Any]) -> dict[str, Any]:
    return {"inline_keyboard": [list(buttons)]}


def commands(*names: str, description: str = "Say hello") -> list[dict[str, str]]:
    return [{"command": name, "description": description} for name in names]


@pytest.mark.parametrize(
    ("method", "params", "expected"),
    [
        pytest.param(
            "sendMesage",
            {"chat_id": 1, "text": "hi"},
            "unknown method 'sendMesage'",
            id="unknown-method",
        ),
        pytest.param(
            "sendMessage",
            {"chat_id": 1, "text": "hi", "colour": "red"},
            "colour: unknown parameter",
            id="unknown-param",
        ),
        pytest.param(
            "sendMessage", {"text": "hi"}, "chat_id: required but missing", id="missing-required"
        ),
        pytest.param(
            "sendMessage",
            {"chat_id": True, "text": "hi"},
            "chat_id: expected Integer or String, got Boolean",
            id="wrong-type",
        ),
        pytest.param(
            "answerCallbackQuery",
            {"callback_query_id": "7", "show_alert": "maybe"},
            "show_alert: expected Boolean, got String",
            id="wrong-type-form-value",
        ),
        pytest.param(
            "sendMessage",
            {"chat_id": 1, "text": "hi", "reply_markup": keyboard({"text": "Go", "data": "go"})},
            "reply_markup.inline_keyboard[0][0].data: unknown field",
            id="button-unknown-field",
        ),
        pytest.param(
            "sendMessage",
            {"chat_id": 1, "text": "hi", "reply_markup": keyboard({"callback_data": "go"})},
            "reply_markup.inline_keyboard[0][0].text: required but missing",
            id="button-without-text",
        ),
        pytest.param(
            "sendMessage",
            {
                "chat_id": 1,
                "text": "hi",
                "reply_markup": keyboard({"text": "Go", "callback_data": 5}),
            },
            "reply_markup.inline_keyboard[0][0].callback_data: expected String, got Integer",
            id="button-wrong-type",
        ),
        pytest.param(
            "sendMessage",
            {
                "chat_id": 1,
                "text": "hi",
                "reply_markup": keyboard({"text": "Go", "callback_data": "é" * 33}),
            },
            "callback_data: 66 bytes, allowed 1-64",
            id="callback-data-too-long",
        ),
        pytest.param(
            "sendMessage",
            {"chat_id": 1, "text": "x" * 4097},
            "text: 4097 characters after entities parsing, allowed 1-4096",
            id="text-too-long",
        ),
        pytest.param(
            "editMessageText",
            {"chat_id": 1, "message_id": 2, "text": "<b> </b>", "parse_mode": "HTML"},
            "text: 0 characters after entities parsing, allowed 1-4096",
            id="text-empty-after-parsing",
        ),
        pytest.param(
            "sendDocument",
            {"chat_id": 1, "document": "file-id", "caption": "c" * 1025},
            "caption: 1025 characters after entities parsing, allowed 0-1024",
            id="caption-too-long",
        ),
        pytest.param(
            "answerCallbackQuery",
            {"callback_query_id": "7", "text": "t" * 201},
            "text: 201 characters, allowed 0-200",
            id="answer-too-long",
        ),
        pytest.param(
            "setMyCommands",
            {"commands": commands("Start")},
            "commands[0].command: 'Start' is not 1-32 lowercase",
            id="command-case",
        ),
        pytest.param(
            "setMyCommands",
            {"commands": commands("x" * 33)},
            "commands[0].command: 'xxx",
            id="command-too-long",
        ),
        pytest.param(
            "setMyCommands",
            {"commands": commands("start", description="")},
            "commands[0].description: 0 characters, allowed 1-256",
            id="command-description-empty",
        ),
        pytest.param(
            "setMyCommands",
            {"commands": commands(*(f"c{i}" for i in range(101)))},
            "commands: 101 commands, allowed 0-100",
            id="too-many-commands",
        ),
        pytest.param(
            "setMyCommands",
            {"commands": commands("start"), "scope": {"type": "chats"}},
            "scope.type: 'chats' is not a BotCommandScope type",
            id="unknown-scope",
        ),
        pytest.param(
            "setMyCommands",
            {"commands": commands("start"), "scope": {"type": "chat"}},
            "scope.chat_id: required but missing",
            id="scope-missing-field",
        ),
        pytest.param(
            "sendDocument",
            {"chat_id": 1, "document": "attach://f1"},
            "f1: attach://f1 names no uploaded file",
            id="attach-to-nothing",
        ),
    ],
)
def test_rejects(method: str, params: dict[str, Any], expected: str) -> None:
    [found] = violations(method, params)  # exactly one problem, the expected one
    assert expected in found


@pytest.mark.parametrize(
    ("method", "params"),
    [
        pytest.param(
            "sendMessage",
            {
                "chat_id": -100123,
                "text": "<b>Vote</b> for the <i>park</i> clean-up 🌳",
                "parse_mode": "HTML",
                "reply_markup": {
                    "inline_keyboard": [
                        [{"text": "Yes", "callback_data": "vote:1"}],
                        [{"text": "Map", "url": "https://example.org/map"}],
                    ]
                },
                "link_preview_options": {"is_disabled": True},
                "reply_parameters": {"message_id": 42},
            },
            id="send-message-json",
        ),
        pytest.param(
            "sendMessage",
            {
                "chat_id": "100001",
                "text": "Vote?",
                "disable_notification": "true",
                "reply_markup": json.dumps(keyboard({"text": "Yes", "callback_data": "v:1"})),
            },
            id="send-message-form",
        ),
        pytest.param(
            "sendMessage",
            {"chat_id": 1, "text": "<b>x</b> " * 1000, "parse_mode": "HTML"},
            id="long-markup-short-text",
        ),
        pytest.param(
            "setMyCommands",
            {
                "commands": commands("start", "help_2"),
                "scope": {"type": "chat", "chat_id": -100123},
                "language_code": "zh",
            },
            id="commands-chat-scope",
        ),
        pytest.param(
            "setMyCommands",
            {
                "commands": json.dumps(commands("start")),
                "scope": json.dumps({"type": "all_private_chats"}),
            },
            id="commands-form",
        ),
        pytest.param(
            "answerCallbackQuery",
            {"callback_query_id": "4382bfdwdsb323b2d9", "text": "Joined!", "show_alert": False},
            id="answer-callback",
        ),
        pytest.param(
            "sendDocument",
            {"chat_id": 1, "document": UPLOAD, "caption": "Members", "parse_mode": "HTML"},
            id="document-upload",
        ),
        pytest.param(
            "sendDocument",
            {"chat_id": 1, "document": "attach://k3Yx", "k3Yx": UPLOAD, "caption": "Members"},
            id="document-attached",
        ),
        pytest.param("sendDocument", {"chat_id": 1, "document": "BQACAgIAAx0"}, id="document-id"),
        pytest.param("getMe", {}, id="get-me"),
        pytest.param("GETME", {}, id="method-case"),
    ],
)
def test_accepts(method: str, params: dict[str, Any]) -> None:
    assert violations(method, params) == []


def test_hook_fails_listing_every_violation() -> None:
    calls = [
        CallRecord("sendMessage", {"chat_id": 1, "text": "hi"}, result={}),
        CallRecord("sendMessage", {"chat_id": 1, "text": ""}, None, 400, "text is empty"),
        CallRecord("fooBar", {}, None, 404, "Not Found: method not found"),
    ]
    with pytest.raises(pytest.fail.Exception) as failed:
        check_spec_conformance(calls)
    message = str(failed.value)
    assert "sendMessage: text: 0 characters" in message
    assert "fooBar: unknown method 'fooBar'" in message
    assert "spec_violations_expected" in message


def test_hook_passes_conforming_calls() -> None:
    check_spec_conformance([CallRecord("getMe", {}, result={})])


def test_opted_out_tests_still_check_the_calls_the_emulator_accepted() -> None:
    rejected = CallRecord("sendMessage", {"chat_id": 1, "text": ""}, None, 400, "text is empty")
    check_spec_conformance([rejected], skip_rejected=True)
    accepted = CallRecord("sendMessage", {"chat_id": 1, "text": "hi", "colour": "red"}, {})
    with pytest.raises(pytest.fail.Exception, match="colour: unknown parameter"):
        check_spec_conformance([rejected, accepted], skip_rejected=True)


def test_missing_spec_fails_in_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(SPEC_ENV, str(tmp_path / "absent.json"))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="Bot API spec not found"):
        check_spec_conformance([])


def test_missing_spec_warns_locally(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(SPEC_ENV, str(tmp_path / "absent.json"))
    monkeypatch.delenv("CI", raising=False)
    with pytest.warns(pytest.PytestWarning, match="spec conformance not checked"):
        check_spec_conformance([CallRecord("fooBar", {})])
