"""Telegram's Markdown and MarkdownV2 parse modes, turned into plain text and entities."""

from __future__ import annotations

from typing import Any

from bot.emulator.errors import ApiError, bad_request

# Characters MarkdownV2 requires to be escaped with a backslash outside of entities markup.
_RESERVED_V2 = frozenset("_*[]()~`>#+-=|{}.!")
_TOGGLES = {"*": "bold", "_": "italic", "__": "underline", "~": "strikethrough", "||": "spoiler"}


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _Parser:
    def __init__(self, source: str, v2: bool) -> None:
        self.src = source
        self.v2 = v2
        self.out: list[str] = []
        self.offset = 0
        self.entities: list[dict[str, Any]] = []
        self.open: list[tuple[str, int, int]] = []  # marker, text offset, byte offset
        self.link_start: list[tuple[int, int]] = []

    def fail(self, detail: str) -> ApiError:
        return bad_request(f"can't parse entities: {detail}")

    def byte_at(self, index: int) -> int:
        return len(self.src[:index].encode("utf-8"))

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.offset += _units(text)

    def add(self, kind: str, start: int, **extra: Any) -> None:
        if self.offset > start:
            self.entities.append({"type": kind, "offset": start, "length": self.offset - start})
            self.entities[-1].update(extra)

    def toggle(self, marker: str, index: int) -> None:
        for position in range(len(self.open) - 1, -1, -1):
            if self.open[position][0] == marker:
                _, start, _ = self.open.pop(position)
                self.add(_TOGGLES[marker], start)
                return
        self.open.append((marker, self.offset, self.byte_at(index)))

    def code(self, index: int) -> int:
        src = self.src
        if src.startswith("```", index):
            end = src.find("```", index + 3)
            if end < 0:
                raise self.fail(
                    f"Can't find end of Pre entity at byte offset {self.byte_at(index)}"
                )
            body = src[index + 3 : end]
            language = ""
            first, newline, rest = body.partition("\n")
            if newline and first and " " not in first:
                language, body = first, rest
            start = self.offset
            self.emit(self.unescape_code(body))
            if language:
                self.add("pre", start, language=language)
            else:
                self.add("pre", start)
            return end + 3
        end = index + 1
        while end < len(src) and src[end] != "`":
            end += 2 if (self.v2 and src[end] == "\\") else 1
        if end >= len(src):
            raise self.fail(f"Can't find end of Code entity at byte offset {self.byte_at(index)}")
        start = self.offset
        self.emit(self.unescape_code(src[index + 1 : end]))
        self.add("code", start)
        return end + 1

    def unescape_code(self, body: str) -> str:
        if not self.v2:
            return body
        return body.replace("\\\\", "\x00").replace("\\`", "`").replace("\x00", "\\")

    def link_end(self, index: int) -> int:
        if not self.link_start:
            if self.v2:
                raise self.fail(
                    "Character ']' is reserved and must be escaped with the preceding '\\'"
                )
            self.emit("]")
            return index + 1
        start, byte = self.link_start.pop()
        src = self.src
        if not src.startswith("(", index + 1):
            if self.v2:
                raise self.fail(f"Can't find end of a url at byte offset {self.byte_at(index)}")
            self.emit("]")
            return index + 1
        close = src.find(")", index + 2)
        if close < 0:
            raise self.fail(f"Can't find end of a url at byte offset {byte}")
        url = src[index + 2 : close].replace("\\)", ")").replace("\\\\", "\\")
        self.add("text_link", start, url=url)
        return close + 1

    def run(self) -> tuple[str, list[dict[str, Any]]]:
        src = self.src
        index = 0
        quote_start: int | None = None
        while index < len(src):
            char = src[index]
            at_line_start = index == 0 or src[index - 1] == "\n"
            if char == "\n" and quote_start is not None:
                self.add("blockquote", quote_start)
                quote_start = None
            if char == "\\" and index + 1 < len(src) and (self.v2 or src[index + 1] in "_*`["):
                self.emit(src[index + 1])
                index += 2
            elif char == "`":
                index = self.code(index)
            elif char == "[":
                self.link_start.append((self.offset, self.byte_at(index)))
                index += 1
            elif char == "]":
                index = self.link_end(index)
            elif self.v2 and src.startswith("__", index):
                self.toggle("__", index)
                index += 2
            elif self.v2 and src.startswith("||", index):
                self.toggle("||", index)
                index += 2
            elif char in "*_" or (self.v2 and char == "~"):
                self.toggle(char, index)
                index += 1
            elif self.v2 and char == ">" and at_line_start:
                quote_start = self.offset
                index += 1
            elif self.v2 and char in _RESERVED_V2:
                raise self.fail(
                    f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
                )
            else:
                self.emit(char)
                index += 1
        if quote_start is not None:
            self.add("blockquote", quote_start)
        if self.open:
            marker, _, byte = self.open[-1]
            if self.v2:
                name = _TOGGLES[marker].capitalize()
                raise self.fail(f"Can't find end of {name} entity at byte offset {byte}")
            raise self.fail(f"Can't find end of the entity starting at byte offset {byte}")
        if self.link_start:
            byte = self.link_start[-1][1]
            raise self.fail(f"Can't find end of TextUrl entity at byte offset {byte}")
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities


def parse_markdown(source: str, v2: bool) -> tuple[str, list[dict[str, Any]]]:
    """Parses Markdown (legacy) or MarkdownV2 formatting.

    Args:
        source: The text with markup.
        v2: True for MarkdownV2 (strict escaping), False for the legacy Markdown mode.

    Returns:
        The plain text and its entities, ordered by offset.

    Raises:
        ApiError: The markup is invalid, with Telegram's wording.
    """
    return _Parser(source, v2).run()
