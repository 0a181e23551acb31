"""Every text a person reads is in every catalog, translated, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from flows.i18n import LOCALES, available_languages, match_language, translator

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"t": None, "N_": None, "plural": (1, 2)}
PLACEHOLDER = re.compile(r"{(\w*)}")


def source_messages() -> set[str]:
    found: set[str] = set()
    for package in ("bot", "flows", "admin"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_english_and_simplified_chinese_are_shipped() -> None:
    assert {"en", "zh_Hans"} <= set(available_languages())


def test_the_code_marks_texts_for_translation() -> None:
    assert len(source_messages()) > 50  # a broken extractor would make the next test vacuous


@pytest.mark.parametrize("language", available_languages())
def test_a_catalog_translates_every_text_in_the_code(language: str) -> None:
    with (LOCALES / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    # A plural entry is keyed by its singular; every one of its forms must be translated.
    translated = {(m.id[0] if isinstance(m.id, tuple) else m.id): m for m in catalog if m.id}
    missing = sorted(source_messages() - translated.keys())
    assert not missing, f"{language} lacks {missing} (run `make messages`, then translate)"
    for message_id in source_messages():
        entry = translated[message_id]
        forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        assert all(forms) and not entry.fuzzy, f"{language}: {message_id!r} is untranslated"
        for form in forms:
            assert set(PLACEHOLDER.findall(form)) == set(PLACEHOLDER.findall(message_id)), (
                f"{language}: placeholders differ in {message_id!r}"
            )


def test_chinese_text_is_chinese() -> None:
    zh = translator("zh_Hans")
    assert zh("Thank you!") == "谢谢！"
    assert zh("You follow: {names}.", names="公园") == "您关注了：公园。"


@pytest.mark.parametrize(
    ("telegram_code", "expected"),
    [
        ("en", "en"),
        ("en-GB", "en"),
        ("zh-hans", "zh_Hans"),
        ("zh-CN", "zh_Hans"),
        ("zh", "zh_Hans"),
        ("zh-hant", "en"),  # Traditional script readers do not get Simplified text
        ("zh-TW", "en"),
        ("fr", "en"),
        (None, "en"),
        ("!!", "en"),
    ],
)
def test_telegram_language_codes_map_to_a_catalog(telegram_code: str | None, expected: str) -> None:
    assert match_language(telegram_code, "en") == expected
