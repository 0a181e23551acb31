from __future__ import annotations

import pytest

from bot.rendering import inline_keyboard, split_text, telegram_length
from flows.effects import Button


def test_short_text_is_one_part() -> None:
    assert split_text("hello") == ["hello"]
    assert split_text("") == [""]


def test_prefers_paragraphs_then_lines_then_words() -> None:
    assert split_text("aaaa\n\nbbbb", limit=8) == ["aaaa", "bbbb"]
    assert split_text("aaa\nbbb ccc", limit=8) == ["aaa", "bbb ccc"]
    assert split_text("aaa bbb ccc", limit=8) == ["aaa bbb", "ccc"]


def test_word_longer_than_limit_is_cut() -> None:
    assert split_text("abcdefghij", limit=4) == ["abcd", "efgh", "ij"]


def test_counts_utf16_units_like_telegram() -> None:
    text = "😀" * 3000  # 6000 units
    parts = split_text(text)
    assert all(telegram_length(p) <= 4096 for p in parts)
    assert "".join(parts) == text


def test_no_text_is_lost_on_real_sizes() -> None:
    text = "\n".join(f"line {i} " + "lorem ipsum " * 8 for i in range(200))
    parts = split_text(text)
    assert len(parts) > 1 and all(len(p) <= 4096 for p in parts)
    # Only the whitespace at each cut may go.
    assert " ".join(parts).split() == text.split()


def test_button_needs_payload_or_url() -> None:
    assert inline_keyboard(()) is None
    with pytest.raises(ValueError, match="neither"):
        inline_keyboard(((Button("x"),),))
