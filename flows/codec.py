"""One compact, versioned codec for inline-button payloads.

Telegram gives a button at most 64 bytes of `callback_data`. Every button the bot sends carries
`<version>:<action>[:<arg>...]`, e.g. `1:lang:zh_Hans` or `1:topic:12`. Decoding never trusts the
result: it only says which action the press asks for; the flow re-checks everything against the
database before acting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VERSION = "1"
SEPARATOR = ":"
MAX_BYTES = 64

_ACTION_FORM = r"[a-z][a-z0-9_.]{0,23}"
_ARG_FORM = r"[A-Za-z0-9_.\-]{0,40}"
# \Z, not $: a $ would also let a part end in a newline.
_ACTION = re.compile(f"^{_ACTION_FORM}\\Z")
_ARG = re.compile(f"^{_ARG_FORM}\\Z")
# The same rules for a whole encoded payload, checked at once: every button of every reply is
# encoded, and one match is several times cheaper than one per part.
_DATA = re.compile(f"^{re.escape(VERSION)}:{_ACTION_FORM}(?::{_ARG_FORM})*\\Z")


class PayloadError(ValueError):
    """A payload that cannot be encoded, or an argument of the wrong shape."""


@dataclass(frozen=True, slots=True)
class Payload:
    """What a button asks for: an action name and its string arguments."""

    action: str
    args: tuple[str, ...] = ()

    def int_arg(self, index: int) -> int:
        """Return argument `index` as an integer.

        Raises:
            PayloadError: the argument is missing or not a decimal integer.
        """
        try:
            raw = self.args[index]
        except IndexError as exc:
            raise PayloadError(f"argument {index} missing") from exc
        if not raw.lstrip("-").isdigit() or len(raw) > 19:
            raise PayloadError(f"argument {index} is not an integer")
        value = int(raw)
        if not -(2**63) <= value < 2**63:  # what a database's BIGINT (a Telegram chat id) holds
            raise PayloadError(f"argument {index} is out of range")
        return value

    def str_arg(self, index: int) -> str:
        """Return argument `index`.

        Raises:
            PayloadError: the argument is missing.
        """
        try:
            return self.args[index]
        except IndexError as exc:
            raise PayloadError(f"argument {index} missing") from exc


def payload(action: str, *args: str | int) -> Payload:
    """Build a payload, turning integer arguments into text."""
    return Payload(action, tuple(map(str, args)))


def encode(value: Payload) -> str:
    """Encode a payload as button data.

    Raises:
        PayloadError: the action or an argument has characters outside the codec's alphabet, or
            the result is over Telegram's 64-byte limit. Both are programming errors.
    """
    data = SEPARATOR.join((VERSION, value.action, *value.args))
    # The alphabet is ASCII, so characters are bytes; the count of separators tells that no
    # part held one (which would make it two parts).
    fits = _DATA.match(data) is not None and len(data) <= MAX_BYTES
    if fits and data.count(SEPARATOR) == 1 + len(value.args):
        return data
    if not _ACTION.match(value.action):
        raise PayloadError(f"bad action name {value.action!r}")
    for arg in value.args:
        if not _ARG.match(arg):
            raise PayloadError(f"bad argument {arg!r} for {value.action}")
    raise PayloadError(f"payload {data!r} is over {MAX_BYTES} bytes")


def decode(data: str | None) -> Payload | None:
    """Decode button data; None for anything this codec did not produce (forged, old, empty)."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    version, _, rest = data.partition(SEPARATOR)
    if version != VERSION or not rest:
        return None
    action, *args = rest.split(SEPARATOR)
    if not _ACTION.match(action) or not all(_ARG.match(arg) for arg in args):
        return None
    return Payload(action, tuple(args))
