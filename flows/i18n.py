"""Message catalogs: every text a person reads comes from here.

Catalogs are gettext `.po` files under `flows/locales/<language>/LC_MESSAGES/messages.po`, read
with Babel when the process starts (no compile step). English msgids are the source texts;
adding a language is adding a catalog (see docs/languages.md).
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

LOCALES = Path(__file__).parent / "locales"
DOMAIN = "messages"


def N_(message: str) -> str:
    """Mark a text for extraction without translating it now (it is translated when shown)."""
    return message


@dataclass(frozen=True, slots=True)
class Translator:
    """Translations for one language. Call it like gettext: `_ = translator; _("Hello")`."""

    language: str
    _messages: dict[str, str | tuple[str, ...]] = field(repr=False)
    _plural_index: Callable[[int], int] = field(repr=False)

    def __call__(self, message: str, /, **values: object) -> str:
        """Translate `message` and fill `{placeholders}` from `values`."""
        found = self._messages.get(message)
        text = found if isinstance(found, str) and found else message
        return text.format(**values) if values else text

    def plural(self, singular: str, plural: str, count: int, /, **values: object) -> str:
        """Translate a text that depends on `count`; `{count}` is filled in too."""
        forms = self._messages.get(singular)
        if isinstance(forms, tuple) and all(forms):
            text = forms[min(self._plural_index(count), len(forms) - 1)]
        else:
            text = singular if count == 1 else plural
        return text.format(count=count, **values)


def available_languages() -> tuple[str, ...]:
    """Return the languages that have a catalog, English first."""
    found = sorted(
        p.name for p in LOCALES.iterdir() if (p / "LC_MESSAGES" / f"{DOMAIN}.po").exists()
    )
    return tuple(sorted(found, key=lambda code: (code != "en", code)))


def language_name(code: str) -> str:
    """Return a language's name in that language, e.g. `简体中文` for `zh_Hans`."""
    locale = Locale.parse(code)
    name = locale.get_display_name(locale) or code
    return name[:1].upper() + name[1:]


def match_language(telegram_code: str | None, default: str) -> str:
    """Map Telegram's `language_code` (an IETF tag like `zh-hans` or `en-GB`) to a catalog.

    Chinese written in Traditional script (`zh-hant`, `zh-tw`, `zh-hk`) is not matched to the
    Simplified catalog: a wrong script is worse than the default language.
    """
    if not telegram_code:
        return default
    try:
        wanted = Locale.parse(telegram_code, sep="-")
    except (ValueError, TypeError):
        return default
    for code in available_languages():
        have = Locale.parse(code)
        if have.language != wanted.language:
            continue
        if have.script and (wanted.script or _likely_script(wanted)) != have.script:
            continue
        return code
    return default


def _likely_script(locale: Locale) -> str | None:
    """Guess the script of a tag without one (zh-TW is Hant, zh-CN and plain zh are Hans)."""
    if locale.language != "zh":
        return None
    return "Hant" if locale.territory in {"TW", "HK", "MO"} else "Hans"


@cache
def translator(language: str) -> Translator:
    """Return the translator for `language` (English for an unknown code)."""
    if language not in available_languages():
        language = "en"
    catalog = _read_catalog(language)
    messages: dict[str, str | tuple[str, ...]] = {}
    for entry in catalog:
        if not entry.id or entry.fuzzy:
            continue
        key = entry.id[0] if isinstance(entry.id, tuple | list) else entry.id
        value = entry.string or ""
        messages[key] = tuple(value) if isinstance(value, tuple | list) else value
    return Translator(language, messages, gettext.c2py(catalog.plural_expr))


def _read_catalog(language: str) -> Catalog:
    path = LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as handle:
        return read_po(handle, locale=language)
