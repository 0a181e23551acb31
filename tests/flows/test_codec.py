"""The button codec: compact, versioned, within Telegram's 64 bytes, and suspicious of input."""

from __future__ import annotations

import pytest

from flows.codec import MAX_BYTES, Payload, PayloadError, decode, encode, payload


def test_round_trip() -> None:
    value = payload("topic", "o", 12)
    assert encode(value) == "1:topic:o:12"
    assert decode("1:topic:o:12") == value
    assert value.int_arg(1) == 12 and value.str_arg(0) == "o"


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "garbage",
        "0:topic:1",
        "2:topic:1",
        "1:",
        "1:Topic:1",
        "1:topic:a b",
        "1:topic:1\n",
        "1:t:" + "9" * 70,
    ],
)
def test_anything_else_decodes_to_nothing(data: str | None) -> None:
    assert decode(data) is None


def test_arguments_of_the_wrong_shape_are_refused() -> None:
    value = Payload("topic", ("o", "12abc"))
    with pytest.raises(PayloadError):
        value.int_arg(1)
    with pytest.raises(PayloadError):
        value.int_arg(5)
    with pytest.raises(PayloadError):
        value.str_arg(2)
    with pytest.raises(PayloadError):
        Payload("topic", ("9" * 20,)).int_arg(0)  # beyond a 64-bit id
    with pytest.raises(PayloadError):
        Payload("topic", ("9" * 19,)).int_arg(0)  # 19 digits, and still beyond it
    assert Payload("chat", (str(2**63 - 1),)).int_arg(0) == 2**63 - 1


def test_encoding_refuses_what_telegram_would_reject() -> None:
    with pytest.raises(PayloadError):
        encode(payload("a" * 20, "x" * 40, "y" * 10))  # over 64 bytes
    with pytest.raises(PayloadError):
        encode(payload("bad action"))
    with pytest.raises(PayloadError):
        encode(payload("ok", "has:colon"))
    with pytest.raises(PayloadError):
        encode(payload("ok", "ends\n"))
    longest = encode(payload("a" * 20, "x" * 40))
    assert len(longest.encode()) <= MAX_BYTES
