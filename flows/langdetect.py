"""Detect the language of free text (feedback, questions, statements) for routing and reports.

It tags text only; it never changes anyone's interface language.
"""

from __future__ import annotations

from langdetect import DetectorFactory, LangDetectException, detect_langs

# langdetect is randomised; a fixed seed makes the same text always get the same answer.
DetectorFactory.seed = 0

MIN_LETTERS = 12
MIN_PROBABILITY = 0.80


def detect_language(text: str) -> str | None:
    """Return the ISO 639-1 code of `text`'s language (`zh-cn` style for Chinese), or None.

    None when the text is too short to tell (fewer than 12 letters; Chinese characters count
    as three each, since each carries a word's worth of meaning), when detection fails, or when
    the best guess is not confident enough.
    """
    letters = sum(3 if _is_cjk(ch) else 1 for ch in text if ch.isalpha())
    if letters < MIN_LETTERS:
        return None
    try:
        candidates = detect_langs(text)
    except LangDetectException:
        return None
    best = candidates[0] if candidates else None
    if best is None or best.prob < MIN_PROBABILITY:
        return None
    return str(best.lang)


def _is_cjk(character: str) -> bool:
    return "\u4e00" <= character <= "\u9fff" or "\u3400" <= character <= "\u4dbf"
