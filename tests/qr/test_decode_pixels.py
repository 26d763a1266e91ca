"""Decoding raw pixel buffers, as the desktop app hands over its screen grabs (QImage bits)."""

from __future__ import annotations

import sys

import pytest
from PIL import Image

from app.qr.decode import MAX_PIXELS, PixelFormat, decode_pixels
from app.qr.errors import QrError
from tests.qr.pictures import TOTP_URI, canvas, code

DECOY = "otpauth://totp/decoy?secret=AAAAAAAA"
PADDING = 12  # bytes at the end of each row, as QImage pads rows to 4-byte multiples and more

# Where each format keeps red, green, blue and the unused/alpha byte within a pixel.
CHANNELS: dict[PixelFormat, str] = {
    PixelFormat.GRAYSCALE8: "L",
    PixelFormat.RGB888: "RGB",
    PixelFormat.BGR888: "BGR",
    PixelFormat.RGBA8888: "RGBA",
    PixelFormat.RGBX8888: "RGBX",
    PixelFormat.BGRA8888: "BGRA",
    PixelFormat.BGRX8888: "BGRX",
    PixelFormat.ARGB8888: "ARGB",
    PixelFormat.XRGB8888: "XRGB",
}


def picture() -> Image.Image:
    image = canvas(720, 300)
    image.paste(code(TOTP_URI, module=3), (40, 20))
    return image


def raw(image: Image.Image, order: str, padding: int = PADDING) -> tuple[bytes, int]:
    """The image's pixels laid out byte by byte in `order`, rows padded; and the row stride.

    The alpha/unused byte holds another code beside the real one, so a reader that takes it
    for colour finds that one too. (Red and blue swapped read the same: QR codes are gray.)
    """
    gray = image.convert("L").tobytes()
    decoy = canvas(image.width, image.height)
    decoy.paste(code(DECOY, module=4), (460, 40))
    planes = {
        "L": gray,
        "R": gray,
        "G": bytes(255 - (255 - v) // 2 for v in gray),  # lighter, same dark/light pattern
        "B": bytes(v // 2 + 64 if v > 127 else v // 3 for v in gray),
        "A": decoy.tobytes(),
        "X": decoy.tobytes(),
    }
    pixel_bytes = len(order)
    stride = image.width * pixel_bytes + padding
    out = bytearray(b"\x7f" * (stride * image.height))
    for offset, channel in enumerate(order):
        plane = planes[channel]
        for y in range(image.height):
            row = plane[y * image.width : (y + 1) * image.width]
            start = y * stride + offset
            out[start : start + image.width * pixel_bytes : pixel_bytes] = row
    return bytes(out), stride


@pytest.mark.parametrize("fmt", list(PixelFormat), ids=lambda f: f.name)
def test_every_pixel_format(fmt: PixelFormat) -> None:
    image = picture()
    pixels, stride = raw(image, CHANNELS[fmt])
    assert fmt.bytes_per_pixel == len(CHANNELS[fmt])
    assert decode_pixels(pixels, image.width, image.height, stride, fmt) == [TOTP_URI]


def test_bytearray_and_memoryviews_are_read_in_place() -> None:
    image = picture()
    pixels, stride = raw(image, "BGRA")
    for buffer in (bytearray(pixels), memoryview(pixels), memoryview(pixels).cast("I")):
        decoded = decode_pixels(buffer, image.width, image.height, stride, PixelFormat.BGRA8888)
        assert decoded == [TOTP_URI]


def test_argb32_is_the_machine_word_layout() -> None:
    expected = PixelFormat.BGRA8888 if sys.byteorder == "little" else PixelFormat.ARGB8888
    assert PixelFormat.argb32() is expected


def test_empty_buffer_of_the_right_size_has_no_code() -> None:
    pixels = bytes(640 * 480)
    assert decode_pixels(pixels, 640, 480, 640, PixelFormat.GRAYSCALE8) == []


def test_buffer_shorter_than_the_geometry_is_refused() -> None:
    image = picture()
    pixels, stride = raw(image, "RGB")
    with pytest.raises(QrError, match="holds"):
        decode_pixels(pixels[:-1], image.width, image.height, stride, PixelFormat.RGB888)


def test_stride_narrower_than_a_row_is_refused() -> None:
    with pytest.raises(QrError, match="bytes_per_line"):
        decode_pixels(bytes(300), 100, 1, 299, PixelFormat.RGB888)


@pytest.mark.parametrize(("width", "height"), [(0, 10), (10, 0), (-5, 10)])
def test_empty_geometry_is_refused(width: int, height: int) -> None:
    with pytest.raises(QrError, match="empty"):
        decode_pixels(bytes(100), width, height, 10, PixelFormat.GRAYSCALE8)


def test_huge_geometry_is_refused_before_touching_the_buffer() -> None:
    side = int(MAX_PIXELS**0.5) + 10
    with pytest.raises(QrError, match="too large"):
        decode_pixels(b"", side, side, side, PixelFormat.GRAYSCALE8)


def test_non_contiguous_view_is_refused() -> None:
    strided = memoryview(bytes(200))[::2]
    with pytest.raises(QrError, match="contiguous"):
        decode_pixels(strided, 10, 10, 10, PixelFormat.GRAYSCALE8)
