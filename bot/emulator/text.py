"""Message text rules: formatting entities (HTML parse mode) and length limits.

Telegram measures lengths and entity offsets in UTF-16 code units after the formatting has been
parsed, so ``<b>hi</b>`` is a 2-character message with one bold entity.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from bot.emulator.errors import ApiError, bad_request
from bot.emulator.markdown import parse_markdown

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024

_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}


def utf16_len(text: str) -> int:
    """Returns the length of ``text`` in UTF-16 code units, Telegram's unit of length."""
    return len(text.encode("utf-16-le")) // 2


class _HtmlEntities(HTMLParser):
    """Collects plain text and entities from Telegram's HTML subset."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self._source = source
        self._line_starts = [0]
        for index, char in enumerate(source):
            if char == "\n":
                self._line_starts.append(index + 1)
        self.parts: list[str] = []
        self.position = 0
        self.entities: list[dict[str, Any]] = []
        self.stack: list[tuple[str, dict[str, Any] | None]] = []

    def _byte_offset(self) -> int:
        line, column = self.getpos()
        index = self._line_starts[line - 1] + column
        return len(self._source[:index].encode("utf-8"))

    def _fail(self, detail: str) -> ApiError:
        return bad_request(f"can't parse entities: {detail}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kind = _TAGS.get(tag)
        attributes = dict(attrs)
        if kind is None or (tag == "span" and attributes.get("class") != "tg-spoiler"):
            raise self._fail(f'Unsupported start tag "{tag}" at byte offset {self._byte_offset()}')
        entity: dict[str, Any] | None = {"type": kind, "offset": self.position}
        if tag == "a":
            href = attributes.get("href")
            if not href:
                raise self._fail(f"Can't find end of the URL at byte offset {self._byte_offset()}")
            entity = {"type": "text_link", "offset": self.position, "url": href}
        elif tag == "tg-emoji":
            entity = {
                "type": kind,
                "offset": self.position,
                "custom_emoji_id": attributes.get("emoji-id") or "",
            }
        elif tag == "code" and self.stack and self.stack[-1][0] == "pre":
            # <pre><code class="language-x"> is one pre entity with a language, not two.
            language = (attributes.get("class") or "").removeprefix("language-")
            pre = self.stack[-1][1]
            if pre is not None and language:
                pre["language"] = language
            entity = None
        self.stack.append((tag, entity))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1][0] != tag:
            raise self._fail(
                f'Unmatched end tag at byte offset {self._byte_offset()}, expected "</'
                f'{self.stack[-1][0] if self.stack else tag}>", found "</{tag}>"'
            )
        _, entity = self.stack.pop()
        if entity is not None:
            entity["length"] = self.position - entity["offset"]
            if entity["length"] > 0:
                self.entities.append(entity)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.position += utf16_len(data)


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Parses Telegram's HTML formatting.

    Args:
        source: The text with HTML tags.

    Returns:
        The plain text and its entities, ordered by offset.

    Raises:
        ApiError: A tag is unsupported or unbalanced, with Telegram's wording.
    """
    parser = _HtmlEntities(source)
    parser.feed(source)
    parser.close()
    if parser.stack:
        raise bad_request(
            "can't parse entities: Can't find end tag corresponding to start tag "
            f'"{parser.stack[-1][0]}"'
        )
    entities = sorted(parser.entities, key=lambda e: (e["offset"], -e["length"]))
    return "".join(parser.parts), entities


def format_text(
    text: str, parse_mode: str | None, entities: Any
) -> tuple[str, list[dict[str, Any]] | None]:
    """Applies a parse mode or explicit entities, as Telegram does before storing a text.

    Args:
        text: The text as sent.
        parse_mode: ``HTML``, ``Markdown``, ``MarkdownV2`` or None.
        entities: Explicit entities (used only without a parse mode).

    Returns:
        The stored text and its entities (None when there are none).

    Raises:
        ApiError: The parse mode is unknown or the markup is invalid.
    """
    mode = (parse_mode or "").lower()
    if mode == "":
        if isinstance(entities, list) and entities:
            return text, [e for e in entities if isinstance(e, dict)]
        return text, None
    if mode == "html":
        plain, found = parse_html(text)
    elif mode in ("markdown", "markdownv2"):
        plain, found = parse_markdown(text, v2=mode == "markdownv2")
    else:
        raise bad_request("unsupported parse_mode")
    return plain, found or None


def check_text(text: str) -> None:
    """Enforces the 1-4096 character rule for message texts."""
    if not text.strip():
        raise bad_request("message text is empty")
    if utf16_len(text) > TEXT_LIMIT:
        raise bad_request("message is too long")


def check_caption(caption: str) -> None:
    """Enforces the 0-1024 character rule for captions."""
    if utf16_len(caption) > CAPTION_LIMIT:
        raise bad_request("message caption is too long")
