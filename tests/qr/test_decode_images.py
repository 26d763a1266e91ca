"""Decoding image files and bytes: every code a user can see, in reading order."""

from __future__ import annotations

from pathlib import Path

import pytest
import zxingcpp
from PIL import Image, ImageOps

from app.qr.decode import decode_image_bytes, decode_image_file
from app.qr.encode import encode_png
from tests.qr.pictures import TOTP_URI, canvas, code, encoded, screenshot


def uri(name: str) -> str:
    return f"otpauth://totp/Site:{name}?secret=JBSWY3DPEHPK3PXP&issuer=Site"


def test_file_with_one_code(tmp_path: Path) -> None:
    path = tmp_path / "code.png"
    path.write_bytes(encode_png(TOTP_URI))
    assert decode_image_file(path) == [TOTP_URI]


def test_image_without_a_code_gives_nothing(tmp_path: Path) -> None:
    path = tmp_path / "desktop.png"
    screenshot(1280, 720).save(path)
    assert decode_image_file(path) == []


def test_several_codes_come_in_reading_order() -> None:
    image = canvas(1600, 1100)
    # Top row: tops differ by 30 px, still one row; then a bottom row, right one first in code.
    image.paste(code(uri("top-left"), module=6), (60, 60))
    image.paste(code(uri("top-right"), module=3), (1100, 90))
    image.paste(code(uri("bottom-right"), module=5), (900, 650))
    image.paste(code(uri("bottom-left"), module=4), (80, 700))
    assert decode_image_bytes(encoded(image, "PNG")) == [
        uri("top-left"),
        uri("top-right"),
        uri("bottom-left"),
        uri("bottom-right"),
    ]


def test_the_same_code_in_two_places_is_offered_twice() -> None:
    image = canvas(1000, 400)
    image.paste(code(uri("twice"), module=3), (40, 40))
    image.paste(code(uri("twice"), module=3), (600, 60))
    assert decode_image_bytes(encoded(image, "PNG")) == [uri("twice"), uri("twice")]


def test_code_in_three_screens_of_busy_desktop() -> None:
    desktop = screenshot(7680, 2160)  # three 4K screens side by side
    desktop.paste(code(TOTP_URI, module=4), (5300, 1300))
    assert decode_image_bytes(encoded(desktop, "PNG", compress_level=1)) == [TOTP_URI]


def test_dark_mode_code_light_on_dark() -> None:
    image = canvas(900, 500, shade=30)
    image.paste(ImageOps.invert(code(uri("dark"), module=4)), (50, 50))
    image.paste(code(uri("light"), module=4), (500, 60))
    assert decode_image_bytes(encoded(image, "PNG")) == [uri("dark"), uri("light")]


def test_jpeg_photo_quality() -> None:
    image = canvas(700, 500)
    image.paste(code(TOTP_URI, module=5), (120, 40))
    assert decode_image_bytes(encoded(image, "JPEG", quality=40)) == [TOTP_URI]


@pytest.mark.parametrize("angle", [90, 180, 270])
def test_rotated_code(angle: int) -> None:
    rotated = code(TOTP_URI, module=4).rotate(angle, expand=True)
    assert decode_image_bytes(encoded(rotated, "PNG")) == [TOTP_URI]


def test_sideways_photo_is_read_upright_from_its_exif_orientation() -> None:
    upright = canvas(1000, 420)
    upright.paste(code(uri("left"), module=3), (40, 40))
    upright.paste(code(uri("right"), module=3), (600, 40))
    # As a phone stores it: pixels turned a quarter, EXIF orientation 6 to turn them back.
    stored = upright.rotate(90, expand=True)
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encoded(stored, "JPEG", quality=90, exif=exif.tobytes())
    assert decode_image_bytes(data) == [uri("left"), uri("right")]


def test_transparent_png_dark_modules_on_clear() -> None:
    mask = ImageOps.invert(code(TOTP_URI, module=4))  # opaque where the modules are dark
    image = Image.new("RGBA", mask.size, (0, 0, 0, 0))
    image.putalpha(mask)
    assert decode_image_bytes(encoded(image, "PNG")) == [TOTP_URI]


def test_transparent_png_light_modules_for_a_dark_page() -> None:
    mask = code(TOTP_URI, module=4)  # opaque where the modules are light
    image = Image.new("RGBA", mask.size, (255, 255, 255, 0))
    image.putalpha(mask)
    assert decode_image_bytes(encoded(image, "PNG")) == [TOTP_URI]


@pytest.mark.parametrize(
    ("fmt", "mode"),
    [("GIF", "P"), ("BMP", "RGB"), ("WEBP", "RGB"), ("TIFF", "CMYK"), ("PNG", "1")],
)
def test_other_image_formats(fmt: str, mode: str) -> None:
    image = code(TOTP_URI, module=4).convert(mode)
    assert decode_image_bytes(encoded(image, fmt)) == [TOTP_URI]


def test_file_type_comes_from_content_not_name(tmp_path: Path) -> None:
    path = tmp_path / "really-a-png.jpg"
    path.write_bytes(encode_png(TOTP_URI))
    assert decode_image_file(path) == [TOTP_URI]


def test_micro_qr_code_is_read() -> None:
    symbol = zxingcpp.create_barcode("123456", zxingcpp.MicroQRCode)
    image = symbol.to_image(scale=8)
    height, width = image.shape
    gray = Image.frombytes("L", (width, height), bytes(memoryview(image)))
    assert decode_image_bytes(encoded(gray, "PNG")) == ["123456"]
