"""Pictures for the QR tests: codes drawn at a given size, laid on canvases, saved as files."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from app.qr.encode import encode_matrix

TOTP_URI = (
    "otpauth://totp/Example%20Corp:alice@example.com?secret=JBSWY3DPEHPK3PXP"
    "&issuer=Example%20Corp&algorithm=SHA1&digits=6&period=30"
)


def code(text: str, module: int = 4, border: int = 4) -> Image.Image:
    """The QR code for `text` as a grayscale image: `module` pixels a module, a light border."""
    matrix = encode_matrix(text)
    side = (len(matrix) + 2 * border) * module
    image = Image.new("L", (side, side), 255)
    draw = ImageDraw.Draw(image)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                left, top = (x + border) * module, (y + border) * module
                draw.rectangle((left, top, left + module - 1, top + module - 1), fill=0)
    return image


def canvas(width: int, height: int, shade: int = 235) -> Image.Image:
    return Image.new("L", (width, height), shade)


def screenshot(width: int, height: int) -> Image.Image:
    """A busy desktop: noise, window-like blocks and lines of 'text', in grayscale."""
    tile = Image.effect_noise((960, 540), 40).point(lambda v: 150 + v // 3)
    image = Image.new("L", (width, height))
    for left in range(0, width, tile.width):
        for top in range(0, height, tile.height):
            image.paste(tile, (left, top))
    draw = ImageDraw.Draw(image)
    for i in range(0, width, 640):
        draw.rectangle((i + 20, 40, i + 600, height - 40), fill=245, outline=30, width=3)
        for line in range(80, height - 80, 28):
            draw.rectangle((i + 50, line, i + 50 + (line * 7 + i) % 480, line + 10), fill=60)
    return image


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()
