"""A poll's results as a horizontal bar chart (PNG), sized to be read on a phone.

Labels may be in any script. Fonts are whatever the machine has: each text (title, subtitle,
label, value) is drawn in the first font found that has a glyph for every one of its characters,
preferring DejaVu Sans (Latin, Greek, Cyrillic, Arabic, Hebrew...) and then the usual CJK fonts
(Noto Sans CJK, WenQuanYi, Droid Sans Fallback, Source Han Sans...). When no font covers a text,
the one that covers most of it is used and the rest shows as boxes; with no font file at all,
Pillow's built-in font draws what it can. A chart is always made.

Safe to call from several threads at once (`asyncio.to_thread`): each call draws on its own
image, and FreeType faces, which are not thread-safe, are cached per thread.
"""

from __future__ import annotations

import io
import math
import os
import re
import threading
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import cast

from PIL import Image, ImageDraw, ImageFont

Font = ImageFont.FreeTypeFont

WIDTH = 1080  # Telegram shows photos up to 1280 px wide; a phone shows this width sharp
MARGIN = 48
TITLE_SIZE = 46
SUBTITLE_SIZE = 30
LABEL_SIZE = 32
LINE_SPACING = 1.3
BAR_HEIGHT = 40
GAP = 12  # label to bar, and bar to value
ROW_GAP = 30
BACKGROUND = (255, 255, 255)
TEXT = (33, 37, 41)
MUTED = (95, 99, 104)
RAIL = (233, 238, 245)  # the empty track behind each bar, so a zero still shows a row
BAR = (76, 120, 168)
LEADER = (31, 78, 140)  # the bar(s) with the highest value

# Preferred fonts, by file name, in order: broad coverage first, then CJK, then common others.
PREFERRED_FONTS = (
    "DejaVuSans.ttf",
    "NotoSans-Regular.ttf",
    "NotoSansCJK-Regular.ttc",
    "NotoSansCJKsc-Regular.otf",
    "NotoSansSC-Regular.otf",
    "NotoSansSC-Regular.ttf",
    "SourceHanSansSC-Regular.otf",
    "wqy-microhei.ttc",
    "wqy-zenhei.ttc",
    "DroidSansFallbackFull.ttf",
    "DroidSansFallback.ttf",
    "LiberationSans-Regular.ttf",
    "FreeSans.ttf",
    "Arial Unicode.ttf",
    "PingFang.ttc",
    "Hiragino Sans GB.ttc",
    "msyh.ttc",
    "arial.ttf",
)
FONT_DIRS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "~/.fonts",
    "/Library/Fonts",
    "/System/Library/Fonts",
    "C:/Windows/Fonts",
)
MAX_OTHER_FONTS = 40  # other regular fonts tried when no preferred one covers a text
_STYLED = re.compile(r"(?i)bold|italic|oblique|light|thin|black|condensed|mono|math|emoji")
_ABSENT = "\U0010fffd"  # a private-use character no font maps: it draws the "missing" glyph
_BUILT_IN = ""  # the key of Pillow's built-in font

_local = threading.local()
_coverage: dict[tuple[str, str], bool] = {}  # (font, character) -> has a glyph; GIL-safe


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    subtitle: str = "",
) -> bytes:
    """Draw a horizontal bar chart, one bar per label, and return it as PNG.

    Args:
        title: The heading (wrapped over up to three lines).
        labels: One label per bar, in order (each wrapped over up to two lines, then cut
            with an ellipsis).
        values: One value per label, >= 0; the longest bar is the highest value, and each
            bar is labelled with its value (whole numbers without decimals).
        subtitle: A smaller line under the title, such as the number of voters.

    Returns:
        The PNG file's bytes, 1080 pixels wide.

    Raises:
        ValueError: `labels` and `values` differ in length, or a value is negative or not
            finite.
    """
    if len(labels) != len(values):
        raise ValueError(f"{len(labels)} labels but {len(values)} values")
    if any(not math.isfinite(value) or value < 0 for value in values):
        raise ValueError(f"values must be finite and >= 0: {list(values)}")
    inner = WIDTH - 2 * MARGIN
    title_lines = _wrap(_one_line(title), TITLE_SIZE, inner, 3)
    subtitle_lines = _wrap(_one_line(subtitle), SUBTITLE_SIZE, inner, 3) if subtitle else []
    shown = [_number(value) for value in values]
    value_width = max((_width(text, LABEL_SIZE) for text in shown), default=0)
    bar_room = max(inner - value_width - GAP, 1)
    rows = [_wrap(_one_line(label), LABEL_SIZE, inner, 2) for label in labels]

    height = MARGIN + _lines_height(title_lines, TITLE_SIZE)
    if subtitle_lines:
        height += GAP + _lines_height(subtitle_lines, SUBTITLE_SIZE)
    height += ROW_GAP
    for lines in rows:
        height += _lines_height(lines, LABEL_SIZE) + GAP + BAR_HEIGHT + ROW_GAP
    height += MARGIN - ROW_GAP

    image = Image.new("RGB", (WIDTH, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    y = _draw_lines(draw, MARGIN, title_lines, TITLE_SIZE, TEXT)
    if subtitle_lines:
        y = _draw_lines(draw, y + GAP, subtitle_lines, SUBTITLE_SIZE, MUTED)
    y += ROW_GAP
    top = max(values, default=0)
    for lines, value, text in zip(rows, values, shown, strict=True):
        y = _draw_lines(draw, y, lines, LABEL_SIZE, TEXT) + GAP
        length = round(bar_room * value / top) if top else 0
        draw.rectangle((MARGIN, y, MARGIN + bar_room, y + BAR_HEIGHT - 1), fill=RAIL)
        if length:
            colour = LEADER if value == top else BAR
            draw.rectangle((MARGIN, y, MARGIN + length - 1, y + BAR_HEIGHT - 1), fill=colour)
        font = _font_for(text, LABEL_SIZE)
        draw.text(
            (MARGIN + length + GAP, y + BAR_HEIGHT // 2), text, font=font, fill=TEXT, anchor="lm"
        )
        y += BAR_HEIGHT + ROW_GAP

    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _one_line(text: str) -> str:
    # Line breaks and tabs in a label would break the layout; wrapping is ours to do.
    return " ".join(text.split())


def _number(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _line_height(size: int) -> int:
    return round(size * LINE_SPACING)


def _lines_height(lines: list[str], size: int) -> int:
    return len(lines) * _line_height(size)


def _draw_lines(
    draw: ImageDraw.ImageDraw, y: int, lines: list[str], size: int, fill: tuple[int, int, int]
) -> int:
    """Draw lines from the left margin down from `y`; return the y under the last one."""
    step = _line_height(size)
    for line in lines:
        # "lm" anchors at the middle of the line box, so every script sits the same way.
        draw.text((MARGIN, y + step // 2), line, font=_font_for(line, size), fill=fill, anchor="lm")
        y += step
    return y


def _width(text: str, size: int) -> float:
    return _font_for(text, size).getlength(text) if text else 0.0


def _wrap(text: str, size: int, width: int, max_lines: int) -> list[str]:
    """Break text into lines that fit `width`, at spaces where it has them, else anywhere.

    Scripts written without spaces (Chinese, Japanese, Thai) break between characters. Text
    beyond `max_lines` is cut and the last line ends with an ellipsis.
    """
    lines: list[str] = []
    rest = text
    while rest and len(lines) < max_lines:
        if _width(rest, size) <= width:
            lines.append(rest)
            rest = ""
            break
        cut = _fitting(rest, size, width)
        space = rest.rfind(" ", 0, cut + 1)
        if space > 0:
            cut = space
        lines.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest and lines:
        last = lines[-1]
        while last and _width(last + "…", size) > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines or [""]


def _fitting(text: str, size: int, width: int) -> int:
    """How many leading characters of `text` fit in `width` (at least one)."""
    low, high = 1, len(text)
    while low < high:  # binary search: measuring a prefix costs one layout
        middle = (low + high + 1) // 2
        if _width(text[:middle], size) <= width:
            low = middle
        else:
            high = middle - 1
    return low


def _font_for(text: str, size: int) -> Font:
    """The first font that has every character of `text`, or the one that has the most."""
    needed = {c for c in text if not _invisible(c)}
    best, best_missing = _BUILT_IN, len(needed) + 1
    for path in _candidates():
        missing = sum(1 for character in needed if not _covers(path, character))
        if not missing:
            return _font(path, size)
        if missing < best_missing:
            best, best_missing = path, missing
    return _font(best, size)


def _invisible(character: str) -> bool:
    # Spaces, joiners and combining marks have no glyph of their own to look for.
    return character.isspace() or unicodedata.category(character) in {"Mn", "Me", "Cf", "Cc"}


def _covers(path: str, character: str) -> bool:
    key = (path, character)
    found = _coverage.get(key)
    if found is None:
        probe = _font(path, 16)
        found = _coverage[key] = _glyph(probe, character) != _glyph(probe, _ABSENT)
    return found


def _glyph(font: Font, character: str) -> bytes:
    """The character drawn alone, as bytes (equal to the missing glyph's when it has none)."""
    left, top, right, bottom = (round(edge) for edge in font.getbbox(character))
    size = (max(right - left, 1), max(bottom - top, 1))
    image = Image.new("L", size)
    ImageDraw.Draw(image).text((-left, -top), character, font=font, fill=255)
    return repr(size).encode() + image.tobytes()


def _font(path: str, size: int) -> Font:
    # Per thread: a FreeType face must not be used by two threads at once.
    fonts: dict[tuple[str, int], Font] | None = getattr(_local, "fonts", None)
    if fonts is None:
        fonts = _local.fonts = {}
    key = (path, size)
    if key not in fonts:
        # Pillow's built-in font is a FreeType font too, as Pillow's wheels include FreeType.
        built_in = path == _BUILT_IN
        font = ImageFont.load_default(size) if built_in else ImageFont.truetype(path, size)
        fonts[key] = cast(Font, font)
    return fonts[key]


@lru_cache(maxsize=1)
def _candidates() -> tuple[str, ...]:
    """Font files to try, preferred ones first, then Pillow's built-in font."""
    found: dict[str, str] = {}
    for directory in FONT_DIRS:
        root = Path(os.path.expanduser(directory))
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.suffix.lower() in {".ttf", ".otf", ".ttc"}:
                found.setdefault(path.name, str(path))
    preferred = [found[name] for name in PREFERRED_FONTS if name in found]
    others = [
        path
        for name, path in sorted(found.items())
        if name not in PREFERRED_FONTS and not _STYLED.search(name)
    ][:MAX_OTHER_FONTS]
    return (*(path for path in (*preferred, *others) if _loads(path)), _BUILT_IN)


def _loads(path: str) -> bool:
    # Some files (colour emoji bitmaps, broken files) cannot be drawn at any size.
    try:
        ImageFont.truetype(path, 16).getbbox("A")
    except OSError:
        return False
    return True
