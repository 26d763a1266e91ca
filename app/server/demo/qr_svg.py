"""QR codes as inline SVG, drawn on the server with zxing-cpp's writer.

The server may not use app.qr (its layer contract), so this is the small part of it the
demo needs: the modules from zxing-cpp, written as one SVG path with a light quiet zone.
Level M, as phone apps make them; text outside ASCII carries a UTF-8 ECI marker.
"""

from __future__ import annotations

import html
from typing import Any, Final

import zxingcpp

from app.server.errors import ServerError

QUIET_ZONE: Final = 4


def qr_modules(text: str) -> list[list[bool]]:
    """The dark (True) and light modules of the QR code for `text`, row by row."""
    if not text:
        raise ServerError("there is nothing to put in the QR code")
    options = {} if text.isascii() else {"eci": "UTF-8"}
    try:
        symbol = zxingcpp.create_barcode(
            text, zxingcpp.BarcodeFormat.QRCode, ec_level="M", **options
        )
    except ValueError as exc:
        raise ServerError("the text is too long for one QR code") from exc
    image = symbol.to_image(scale=1, add_quiet_zones=False)
    height, width = image.shape
    # The Image has the buffer protocol; zxing-cpp's type stub does not say so.
    buffer: Any = image
    pixels = bytes(memoryview(buffer))
    return [[pixels[y * width + x] < 128 for x in range(width)] for y in range(height)]


def qr_svg(text: str, *, title: str = "QR code") -> str:
    """A scalable SVG of the QR code: one path of dark runs on a white square."""
    modules = qr_modules(text)
    side = len(modules) + 2 * QUIET_ZONE
    runs: list[str] = []
    for y, row in enumerate(modules):
        x = 0
        while x < len(row):
            if not row[x]:
                x += 1
                continue
            start = x
            while x < len(row) and row[x]:
                x += 1
            runs.append(f"M{start + QUIET_ZONE} {y + QUIET_ZONE}h{x - start}v1h-{x - start}z")
    safe = html.escape(title, quote=True)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" '
        f'shape-rendering="crispEdges" role="img" aria-label="{safe}">'
        f"<title>{safe}</title>"
        f'<rect width="{side}" height="{side}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(runs)}"/></svg>'
    )
