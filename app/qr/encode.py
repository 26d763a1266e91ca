"""Making QR codes: for the export screen to show to a phone, and for the HTML export to draw.

zxing-cpp's writer builds the symbol; Pillow writes the PNG. Error correction is level M
(15 % of the symbol may be lost), what phone apps produce and read back through glare and
blur; a text too long for M falls back to L rather than failing, since a long migration
payload shown big on a screen is still read reliably. Text outside ASCII carries a UTF-8
ECI marker, so no reader has to guess its character set.
"""

from __future__ import annotations

import io
from typing import Any

import zxingcpp
from PIL import Image

from app.qr.errors import QrError

_EC_LEVELS = ("M", "L")

# Byte-mode capacity of a version 40 symbol at level L: nothing longer fits in one QR code.
MAX_BYTES = 2953


def encode_matrix(text: str) -> list[list[bool]]:
    """The modules of the QR code for `text`, row by row, True for dark; no quiet zone.

    For the UI to paint crisp at any size and the HTML export to draw as SVG (leave a light
    margin of four modules around it). Raises QrError for an empty text or one too long for
    one QR code.
    """
    pixels, size = _modules(text)
    return [[pixels[y * size + x] < 128 for x in range(size)] for y in range(size)]


def encode_png(text: str, *, scale: int = 8, border: int = 4) -> bytes:
    """The QR code for `text` as a PNG: `scale` pixels a module, `border` light modules around.

    The standard asks for a border of four modules; phones read a code without it badly.
    Raises QrError for an empty text or one too long for one QR code.
    """
    if scale < 1 or border < 0:
        raise ValueError(f"scale must be 1 or more and border 0 or more, not {scale}, {border}")
    pixels, size = _modules(text)
    side = (size + 2 * border) * scale
    modules = Image.frombytes("L", (size, size), pixels)
    image = Image.new("L", (side, side), 255)
    image.paste(
        modules.resize((size * scale, size * scale), Image.Resampling.NEAREST),
        (border * scale, border * scale),
    )
    out = io.BytesIO()
    image.convert("1", dither=Image.Dither.NONE).save(out, format="PNG", optimize=True)
    return out.getvalue()


def _modules(text: str) -> tuple[bytes, int]:
    """One byte a module (0 dark, 255 light), row by row, and the side of the square."""
    try:
        size_in_bytes = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise QrError("the text cannot be put in a QR code: it is not valid Unicode") from None
    if size_in_bytes == 0:
        raise QrError("there is nothing to put in the QR code: the text is empty")
    options = {} if text.isascii() else {"eci": "UTF-8"}
    for level in _EC_LEVELS:
        try:
            symbol = zxingcpp.create_barcode(text, zxingcpp.QRCode, ec_level=level, **options)
        except ValueError:
            continue  # too long for this level; never echo zxing's message, it may quote text
        image = symbol.to_image(scale=1, add_quiet_zones=False)
        _height, width = image.shape
        # The Image has the buffer protocol; zxing-cpp's type stub does not say so.
        buffer: Any = image
        return bytes(memoryview(buffer)), width
    raise QrError(
        f"the text is too long for one QR code ({size_in_bytes} bytes; at most about {MAX_BYTES})"
    )
