"""Input that is not a usable image gives a QrError that says so, and nothing else."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.qr.decode import MAX_PIXELS, decode_image_bytes, decode_image_file
from app.qr.encode import encode_png
from app.qr.errors import QrError
from tests.qr.pictures import TOTP_URI, code, encoded

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_header_claiming(width: int, height: int) -> bytes:
    """A PNG that only declares its size: what a decompression bomb shows before it expands."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grayscale
    return PNG_SIGNATURE + chunk(b"IHDR", header) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    "data",
    [b"", b"hello, world\n", b"%PDF-1.7\n", PNG_SIGNATURE, b"GIF89a", b"\xff\xd8\xff\xe0"],
    ids=["empty", "text", "pdf", "png-signature-only", "gif-signature-only", "jpeg-start"],
)
def test_not_an_image(data: bytes) -> None:
    with pytest.raises(QrError, match="not an image file we can read"):
        decode_image_bytes(data)


def test_truncated_png() -> None:
    png = encoded(code(TOTP_URI, module=4), "PNG")
    with pytest.raises(QrError, match="not an image file we can read"):
        decode_image_bytes(png[: len(png) // 2])


def test_truncated_jpeg() -> None:
    jpeg = encoded(code(TOTP_URI, module=4).convert("RGB"), "JPEG")
    with pytest.raises(QrError, match="not an image file we can read"):
        decode_image_bytes(jpeg[: len(jpeg) // 3])


def test_postscript_is_refused() -> None:
    # Pillow would hand EPS to Ghostscript, an interpreter: never for untrusted input.
    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"
    with pytest.raises(QrError, match="not an image file we can read"):
        decode_image_bytes(eps)


def test_formats_without_a_signature_are_refused() -> None:
    # TGA has no magic bytes: accepting it would make much random data "an image".
    with pytest.raises(QrError, match="not an image file we can read"):
        decode_image_bytes(encoded(code(TOTP_URI, module=4), "TGA"))


@pytest.mark.parametrize(
    ("width", "height"),
    [(10_000, 9_000), (100_000, 100_000), (2**31 - 1, 1)],
    ids=["over-our-limit", "over-pillow-limit", "absurd-width"],
)
def test_decompression_bomb_is_refused_before_it_expands(width: int, height: int) -> None:
    assert width * height > MAX_PIXELS
    with pytest.raises(QrError, match="too large"):
        decode_image_bytes(png_header_claiming(width, height))


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(QrError, match=r"cannot read the image nowhere\.png"):
        decode_image_file(tmp_path / "nowhere.png")


def test_directory_is_not_an_image(tmp_path: Path) -> None:
    with pytest.raises(QrError, match="cannot read the image"):
        decode_image_file(tmp_path)


def test_text_file_is_not_an_image(tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_text("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP\n")
    with pytest.raises(QrError, match="not an image file we can read"):
        decode_image_file(path)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_give_texts_or_qr_error(data: bytes) -> None:
    _texts_or_qr_error(data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_damaged_png_gives_texts_or_qr_error(data: st.DataObject) -> None:
    png = bytearray(encode_png(TOTP_URI, scale=2))
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(png) - 1))
        png[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(len(PNG_SIGNATURE), len(png)))
    _texts_or_qr_error(bytes(png[:cut]))


@settings(max_examples=40, deadline=None)
@given(st.sampled_from([b"BM", b"GIF87a", b"II*\x00", b"RIFF", PNG_SIGNATURE]), st.binary())
def test_known_signatures_with_junk_give_texts_or_qr_error(start: bytes, junk: bytes) -> None:
    _texts_or_qr_error(start + junk)


def _texts_or_qr_error(data: bytes) -> None:
    original = bytes(data)
    try:
        texts: list[str] | None = decode_image_bytes(data)
    except QrError:
        texts = None  # the documented refusal; any other exception fails the test
    if texts is not None:
        assert all(isinstance(text, str) for text in texts)
    assert data == original
