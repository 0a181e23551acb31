"""The results chart is a PNG that reads on a phone, in any script, from any thread."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image

from flows.poll import chart
from flows.poll.chart import BAR, LEADER, WIDTH, bar_chart

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
needs_dejavu = pytest.mark.skipif(not Path(DEJAVU).exists(), reason="DejaVu Sans not installed")


def _open(data: bytes) -> Image.Image:
    assert data.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(data))
    image.load()  # decodes the whole file: a truncated PNG fails here
    assert image.format == "PNG"
    return image.convert("RGB")


def _pixels(image: Image.Image, colour: tuple[int, int, int]) -> int:
    colours = image.getcolors(image.width * image.height) or []
    return sum(count for count, found in colours if found == colour)


def test_chart_is_a_png_of_a_sensible_size() -> None:
    image = _open(bar_chart("Where should the playground go?", ["Park", "Square"], [3, 1]))
    width, height = image.size
    assert width == WIDTH
    assert 300 < height < 1000
    assert width + height <= 10000  # Telegram's limit for a photo


def test_more_options_make_a_taller_chart() -> None:
    two = _open(bar_chart("Q", ["a", "b"], [1, 2]))
    ten = _open(bar_chart("Q", [f"option {i}" for i in range(10)], list(range(10))))
    assert ten.height > two.height + 8 * 100
    assert ten.width == two.width


def test_bars_follow_the_values() -> None:
    # Leader bars are drawn in their own colour, the others in the bar colour.
    low = _open(bar_chart("Q", ["a", "b"], [1, 10]))
    high = _open(bar_chart("Q", ["a", "b"], [9, 10]))
    assert _pixels(high, BAR) > 5 * _pixels(low, BAR) > 0
    assert _pixels(high, LEADER) == _pixels(low, LEADER) > 0
    # Equal values are all leaders, and zero draws no bar at all.
    tie = _open(bar_chart("Q", ["a", "b"], [10, 10]))
    assert _pixels(tie, BAR) == 0
    assert _pixels(tie, LEADER) == 2 * _pixels(low, LEADER)
    nothing = _open(bar_chart("Q", ["a", "b"], [0, 0]))
    assert _pixels(nothing, BAR) == _pixels(nothing, LEADER) == 0


def test_long_and_multiline_labels_are_wrapped_not_overflowing() -> None:
    long = "A very long option " * 30
    image = _open(bar_chart(long, [long, "x\ny\tz"], [1.5, 2.25], subtitle=long))
    assert image.width == WIDTH
    assert image.height < 1200  # title 3 lines, subtitle 3 lines, labels 2 lines at most


def test_chinese_and_other_scripts_make_a_chart() -> None:
    labels = ["公园旁边的空地", "Площадь", "حديقة", "שלום", "🙂 emoji", "Ελλάδα", ""]
    image = _open(
        bar_chart("在哪里建新的游乐场？", labels, [5, 4, 3, 2, 1, 0.5, 0], subtitle="投票 64 人")
    )
    assert image.width == WIDTH


def test_no_options_still_makes_a_chart() -> None:
    assert _open(bar_chart("Nobody voted yet", [], [])).width == WIDTH


@pytest.mark.parametrize(
    ("labels", "values"),
    [(["a"], [1, 2]), (["a", "b"], [1]), (["a"], [-1]), (["a"], [float("nan")])],
)
def test_bad_input_is_refused(labels: list[str], values: list[float]) -> None:
    with pytest.raises(ValueError):  # a programming error in the caller
        bar_chart("Q", labels, values)


def test_values_are_shown_without_needless_decimals() -> None:
    assert [chart._number(v) for v in (3, 3.0, 2.5, 8 / 3, 0)] == ["3", "3", "2.5", "2.67", "0"]


def test_charts_drawn_in_parallel_threads_are_identical() -> None:
    labels = ["Park", "公园", "Площадь"]
    alone = bar_chart("Q", labels, [3, 2, 1])
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: bar_chart("Q", labels, [3, 2, 1]), range(8)))
    assert all(result == alone for result in results)


# Fonts: the first one that has every character of a text, else the one with the most


@needs_dejavu
def test_a_font_is_found_to_have_or_lack_a_character() -> None:
    assert chart._covers(DEJAVU, "A")
    assert chart._covers(DEJAVU, "Ж")
    assert not chart._covers(DEJAVU, "中")


@needs_dejavu
def test_a_text_is_drawn_in_the_first_font_that_has_all_its_characters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Pillow's built-in font has Latin but no Cyrillic; DejaVu Sans has both.
    monkeypatch.setattr(chart, "_candidates", lambda: ("", DEJAVU))
    assert chart._font_for("Park", 20).path != DEJAVU  # type: ignore[attr-defined]
    assert chart._font_for("Площадь", 20).path == DEJAVU  # type: ignore[attr-defined]
    # Nobody has 中: the font missing the fewest characters is used and the chart is made.
    assert chart._font_for("Площадь 中", 20).path == DEJAVU  # type: ignore[attr-defined]
    assert _open(bar_chart("Q", ["Площадь 中"], [1])).width == WIDTH


def test_without_any_font_file_the_built_in_font_draws(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chart, "_candidates", lambda: ("",))
    assert _open(bar_chart("Q", ["Park", "公园"], [2, 1])).width == WIDTH
