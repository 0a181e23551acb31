"""Detect the language of free text (feedback, questions, statements) for routing and reports.

It tags text only; it never changes anyone's interface language. The detector is py3langid, a
naive Bayes model over byte n-grams, limited to the 114 languages with ISO 639-1 codes. It
takes about 30 µs a text where langdetect took 5 ms, which mattered on the path of every typed
survey answer, and it is deterministic: the same text always gets the same answer.
"""

from __future__ import annotations

from py3langid.langid import MODEL_FILE, LanguageIdentifier

# Loaded at import (about half a second), not on the first resident's answer.
_IDENTIFIER = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
# The model also knows regional languages with three-letter codes; left in, Wu and Cantonese
# take enough of a short Mandarin text's probability that it is not tagged at all. Reports
# group text by ISO 639-1 language, so only those are candidates.
_IDENTIFIER.set_languages([code for code in _IDENTIFIER.nb_classes if len(code) == 2])

MIN_LETTERS = 12
MIN_PROBABILITY = 0.80


def detect_language(text: str) -> str | None:
    """Return the ISO 639-1 code of `text`'s language (`zh` for Chinese), or None.

    None when the text is too short to tell (fewer than 12 letters; Chinese characters count
    as three each, since each carries a word's worth of meaning), or when the best guess is
    not confident enough.
    """
    letters = sum(3 if _is_cjk(ch) else 1 for ch in text if ch.isalpha())
    if letters < MIN_LETTERS:
        return None
    language, probability = _IDENTIFIER.classify(text)
    if probability < MIN_PROBABILITY:
        return None
    return str(language)


def _is_cjk(character: str) -> bool:
    return "\u4e00" <= character <= "\u9fff" or "\u3400" <= character <= "\u4dbf"
