"""Encoding: what we draw for phones is read back exactly, at the size and margin asked."""

from __future__ import annotations

import base64
import io
import urllib.parse

import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from app.qr.decode import decode_image_bytes
from app.qr.encode import MAX_BYTES, encode_matrix, encode_png
from app.qr.errors import QrError
from tests.qr.pictures import TOTP_URI, code


def migration_uri(payload_bytes: int) -> str:
    payload = bytes((i * 37 + 11) % 256 for i in range(payload_bytes))
    data = urllib.parse.quote(base64.b64encode(payload).decode("ascii"), safe="")
    return f"otpauth-migration://offline?data={data}"


@pytest.mark.parametrize(
    "text",
    [
        TOTP_URI,
        "otpauth://hotp/ACME:bob?secret=GEZDGNBVGY3TQOJQ&issuer=ACME&counter=42",
        migration_uri(900),
        "otpauth://totp/Soci%C3%A9t%C3%A9:j%C3%BCrgen?secret=JBSWY3DP&issuer=Société ✓",
        "Ünïcödé, 日本語, emoji 🔐, and § ² º",
        "[01]09501101530003",
    ],
    ids=["totp", "hotp", "migration", "unicode-uri", "unicode", "bracket"],
)
def test_png_round_trips(text: str) -> None:
    assert decode_image_bytes(encode_png(text)) == [text]


def test_matrix_drawn_by_the_ui_reads_back() -> None:
    assert decode_image_bytes(_png(code(TOTP_URI, module=3))) == [TOTP_URI]


def test_png_has_the_asked_scale_and_quiet_zone() -> None:
    size = len(encode_matrix(TOTP_URI))
    with Image.open(io.BytesIO(encode_png(TOTP_URI, scale=5, border=2))) as image:
        assert image.format == "PNG"
        assert image.size == ((size + 4) * 5, (size + 4) * 5)
        gray = image.convert("L")
        assert gray.getpixel((9, 9)) == 255  # inside the two-module light border
        assert gray.getpixel((10, 10)) == 0  # the top-left finder pattern's corner


def test_matrix_is_a_square_symbol_with_finder_patterns() -> None:
    matrix = encode_matrix(TOTP_URI)
    size = len(matrix)
    assert all(len(row) == size for row in matrix)
    assert (size - 17) % 4 == 0  # QR versions are 21, 25, ... 177 modules wide
    for top, left in ((0, 0), (0, size - 7), (size - 7, 0)):
        assert all(matrix[top][left + i] for i in range(7))
        assert not any(matrix[top + 1][left + i] for i in range(1, 6))
        assert all(matrix[top + 2][left + i] for i in range(2, 5))


def test_error_correction_is_m_for_ordinary_codes() -> None:
    with Image.open(io.BytesIO(encode_png(TOTP_URI))) as image:
        (found,) = zxingcpp.read_barcodes(image.convert("L"))
    assert found.ec_level == "M"


def test_longest_payloads_fall_back_to_level_l_and_still_read() -> None:
    text = migration_uri(1800)  # over 2331 bytes: more than level M holds
    assert len(text) > 2400
    png = encode_png(text, scale=3)
    assert decode_image_bytes(png) == [text]
    with Image.open(io.BytesIO(png)) as image:
        (found,) = zxingcpp.read_barcodes(image.convert("L"))
    assert found.ec_level == "L"


def test_too_long_text_is_refused_without_echoing_it() -> None:
    secret_text = "otpauth://totp/x?secret=" + "A" * (MAX_BYTES * 2)
    with pytest.raises(QrError, match="too long for one QR code") as caught:
        encode_png(secret_text)
    assert "AAAA" not in str(caught.value)
    with pytest.raises(QrError, match="too long"):
        encode_matrix(secret_text)


@pytest.mark.parametrize("text", ["", "broken \ud800 surrogate"])
def test_unencodable_text_is_refused(text: str) -> None:
    with pytest.raises(QrError):
        encode_png(text)


@pytest.mark.parametrize(("scale", "border"), [(0, 4), (8, -1)])
def test_nonsense_geometry_is_a_programming_error(scale: int, border: int) -> None:
    with pytest.raises(ValueError, match="scale"):
        encode_png(TOTP_URI, scale=scale, border=border)


@settings(max_examples=40, deadline=None)
@given(st.text(min_size=1, max_size=120))
def test_any_text_round_trips(text: str) -> None:
    assert decode_image_bytes(encode_png(text, scale=2)) == [text]


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
