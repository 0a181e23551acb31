"""Reading the pixel size of an uploaded photo (Telegram rejects files that are no image)."""

from __future__ import annotations

import struct

from bot.emulator.errors import bad_request


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        (length,) = struct.unpack(">H", data[index + 2 : index + 4])
        # Start-of-frame markers hold the size; C4, C8 and CC are other tables.
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return width, height
        index += 2 + length
    return None


def image_size(data: bytes) -> tuple[int, int]:
    """Returns (width, height) of a PNG, JPEG, GIF or WebP image.

    Raises:
        ApiError: ``IMAGE_PROCESS_FAILED`` when the bytes are not a supported image.
    """
    size: tuple[int, int] | None = None
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        size = struct.unpack(">II", data[16:24])
    elif data.startswith(b"\xff\xd8"):
        size = _jpeg_size(data)
    elif data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        size = struct.unpack("<HH", data[6:10])
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP" and len(data) >= 30:
        if data[12:16] == b"VP8X":
            width = int.from_bytes(data[24:27], "little") + 1
            height = int.from_bytes(data[27:30], "little") + 1
            size = (width, height)
        elif data[12:16] == b"VP8 ":
            width, height = struct.unpack("<HH", data[26:30])
            size = (width & 0x3FFF, height & 0x3FFF)
    if size is None or size[0] <= 0 or size[1] <= 0:
        raise bad_request("IMAGE_PROCESS_FAILED")
    return size
