from __future__ import annotations

from flows.langdetect import detect_language


def test_free_text_is_tagged_with_its_language() -> None:
    assert detect_language("Please fix the potholes on the main road near the school") == "en"
    assert detect_language("我们小区的路灯已经坏了好几个星期") == "zh"
    assert detect_language("Die Straßenbeleuchtung ist seit Wochen kaputt") == "de"


def test_too_short_or_undetectable_text_gets_no_tag() -> None:
    for text in ("hi", "ok ok ok", "", "12345 67890 !!!", "👍👍👍👍👍👍👍👍👍👍👍👍"):
        assert detect_language(text) is None


def test_the_answer_is_stable() -> None:
    text = "The playground needs more shade and benches for parents"
    assert len({detect_language(text) for _ in range(20)}) == 1
