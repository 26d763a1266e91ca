"""Reading QR codes out of images: image files, encoded image bytes, and raw pixel buffers.

zxing-cpp does the decoding, restricted to the QR family (QR Code, Micro QR, rMQR): scanning
for every barcode format costs about eight times as long on a wide screenshot. Pillow turns
files into pixels; the desktop app hands its screen grabs over as raw buffers instead.

Every function returns the texts of all the codes found, in reading order (rows from top to
bottom, left to right within a row), and raises `QrError` for input it cannot use.
"""

from __future__ import annotations

import io
import sys
import warnings
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, BinaryIO

import zxingcpp
from PIL import Image, ImageOps

from app.qr.errors import QrError

# Three 4K screens side by side are 25 million pixels, three 5K screens 44 million; above this
# an image is far more likely a decompression bomb than something holding a QR code. Also
# below Pillow's own warning threshold (about 89 million), so that warning never fires.
MAX_PIXELS = 80_000_000

_QR_FORMATS = zxingcpp.BarcodeFormats([zxingcpp.QRCode, zxingcpp.MicroQRCode, zxingcpp.RMQRCode])

# Only the raster formats screenshots and saved codes come in: other Pillow plugins are
# either loose enough to take random bytes for an image (TGA) or run outside programs (EPS).
_WANTED_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "DIB", "WEBP", "TIFF", "AVIF", "ICO", "PPM")

_NOT_AN_IMAGE = "not an image file we can read (use PNG, JPEG, GIF, BMP, WebP or TIFF)"


class PixelFormat(Enum):
    """How the pixels of a raw buffer lie in memory, named by their bytes in address order.

    From a QImage: Format_Grayscale8 -> GRAYSCALE8, Format_RGB888 -> RGB888,
    Format_BGR888 -> BGR888, Format_RGBA8888 (and _Premultiplied) -> RGBA8888,
    Format_RGBX8888 -> RGBX8888, and Format_ARGB32 / Format_RGB32 (32-bit words
    0xAARRGGBB) -> `PixelFormat.argb32()`, which is BGRA8888 on little-endian machines.
    Alpha is ignored: screen grabs are opaque.
    """

    GRAYSCALE8 = "grayscale8"
    RGB888 = "rgb888"
    BGR888 = "bgr888"
    RGBA8888 = "rgba8888"
    RGBX8888 = "rgbx8888"
    BGRA8888 = "bgra8888"
    BGRX8888 = "bgrx8888"
    ARGB8888 = "argb8888"
    XRGB8888 = "xrgb8888"

    @classmethod
    def argb32(cls) -> PixelFormat:
        """The layout of 32-bit 0xAARRGGBB words (QImage's ARGB32 and RGB32) on this machine."""
        return cls.BGRA8888 if sys.byteorder == "little" else cls.ARGB8888

    @property
    def bytes_per_pixel(self) -> int:
        return _LAYOUTS[self][0]


# zxing-cpp reads luminance from the colour bytes only, so X variants share the A layouts.
_LAYOUTS: dict[PixelFormat, tuple[int, zxingcpp.ImageFormat]] = {
    PixelFormat.GRAYSCALE8: (1, zxingcpp.ImageFormat.Lum),
    PixelFormat.RGB888: (3, zxingcpp.ImageFormat.RGB),
    PixelFormat.BGR888: (3, zxingcpp.ImageFormat.BGR),
    PixelFormat.RGBA8888: (4, zxingcpp.ImageFormat.RGBA),
    PixelFormat.RGBX8888: (4, zxingcpp.ImageFormat.RGBA),
    PixelFormat.BGRA8888: (4, zxingcpp.ImageFormat.BGRA),
    PixelFormat.BGRX8888: (4, zxingcpp.ImageFormat.BGRA),
    PixelFormat.ARGB8888: (4, zxingcpp.ImageFormat.ARGB),
    PixelFormat.XRGB8888: (4, zxingcpp.ImageFormat.ARGB),
}


def decode_image_file(path: Path) -> list[str]:
    """The text of every QR code in an image file; [] when it holds none.

    The type comes from the content, not the name. Of an animated or multi-page image only
    the first frame is read.

    Raises QrError when the file cannot be read, is not an image we can read, or is too large.
    """
    try:
        with path.open("rb") as file:
            return _decode_encoded(file)
    except OSError as error:
        reason = error.strerror or "could not be read"
        raise QrError(f"cannot read the image {path.name}: {reason}") from None


def decode_image_bytes(data: bytes) -> list[str]:
    """The text of every QR code in an encoded image (PNG, JPEG, ... bytes); [] when none.

    For the clipboard and dropped data. Raises QrError when the bytes are not an image we can
    read or the image is too large.
    """
    return _decode_encoded(io.BytesIO(data))


def decode_pixels(
    pixels: bytes | bytearray | memoryview,
    width: int,
    height: int,
    bytes_per_line: int,
    fmt: PixelFormat,
) -> list[str]:
    """The text of every QR code in a raw pixel buffer (a screen grab, a camera frame).

    `bytes_per_line` is the stride of a row, padding included (QImage.bytesPerLine()); the
    buffer holds `bytes_per_line * height` bytes (QImage.sizeInBytes()). It is read in place,
    not copied. Raises QrError when the geometry does not fit the buffer or the image is too
    large.
    """
    bpp, zx_format = _LAYOUTS[fmt]
    if width <= 0 or height <= 0:
        raise QrError(f"the image is empty ({width} x {height} pixels)")
    _check_size(width, height)
    if bytes_per_line < width * bpp:
        raise QrError(
            f"a row of {width} pixels needs {width * bpp} bytes, but bytes_per_line is "
            f"{bytes_per_line}"
        )
    view = memoryview(pixels)
    if not view.c_contiguous:
        raise QrError("the pixel buffer must be contiguous")
    if view.ndim != 1 or view.itemsize != 1:
        view = view.cast("B")
    needed = bytes_per_line * height  # zxing-cpp wants the last row's padding too, as QImage has
    if view.nbytes < needed:
        raise QrError(
            f"the pixel buffer holds {view.nbytes} bytes; {width} x {height} pixels with "
            f"{bytes_per_line} bytes a line need {needed}"
        )
    image = zxingcpp.ImageView(view, width, height, zx_format, bytes_per_line, bpp)
    return _read(image)


def _check_size(width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise QrError(
            f"the image is too large ({width} x {height} pixels, at most "
            f"{MAX_PIXELS // 1_000_000} million): crop it to the part with the QR code"
        )


def _decode_encoded(file: BinaryIO) -> list[str]:
    with _open_image(file) as image:
        gray, had_alpha = _to_grayscale(image, background=255)
        texts = _read(gray)
        if texts or not had_alpha:
            return texts
        # Light modules drawn on transparency (made for a dark page) vanish on white.
        gray, _ = _to_grayscale(image, background=0)
        return _read(gray)


def _open_image(file: BinaryIO) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # Pillow warns of damaged metadata and of large images: the image either reads,
            # or fails below with a QrError that says what to do; the warnings add nothing.
            warnings.simplefilter("ignore")
            image = Image.open(file, formats=_formats())
            _check_size(image.width, image.height)
            image.load()
            # Phone photos are stored sideways with an EXIF note; reading order needs upright.
            upright = ImageOps.exif_transpose(image)
    except QrError:
        raise
    except Image.DecompressionBombError:
        raise QrError(
            f"the image is too large (at most {MAX_PIXELS // 1_000_000} million pixels): "
            "crop it to the part with the QR code"
        ) from None
    except Exception:
        # Pillow's plugins raise many kinds of errors on damaged or foreign data (OSError,
        # ValueError, SyntaxError, struct.error, EOFError...): to the caller they are all one.
        raise QrError(_NOT_AN_IMAGE) from None
    return upright


def _formats() -> list[str]:
    Image.init()
    return [name for name in _WANTED_FORMATS if name in Image.OPEN]


def _to_grayscale(image: Image.Image, background: int) -> tuple[Image.Image, bool]:
    """The image as 8-bit luminance, transparency laid over a plain background."""
    try:
        has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
            "transparency" in image.info
        )
        if not has_alpha:
            return image.convert("L"), False
        rgba = image.convert("RGBA")
        flat = Image.new("RGBA", rgba.size, (background, background, background, 255))
        flat.alpha_composite(rgba)
        return flat.convert("L"), True
    except Exception:
        raise QrError(_NOT_AN_IMAGE) from None


@dataclass(frozen=True)
class _Found:
    text: str
    left: float
    top: float
    right: float
    bottom: float

    @property
    def centre(self) -> tuple[float, float]:
        return (self.left + self.right) / 2, (self.top + self.bottom) / 2

    def same_place(self, other: _Found) -> bool:
        (x, y), (ox, oy) = self.centre, other.centre
        reach = max(self.right - self.left, self.bottom - self.top) / 2
        return abs(x - ox) <= reach and abs(y - oy) <= reach


def _read(image: Any) -> list[str]:
    barcodes = zxingcpp.read_barcodes(
        image,
        formats=_QR_FORMATS,
        try_rotate=True,
        try_downscale=True,
        try_invert=True,
        text_mode=zxingcpp.TextMode.Plain,
    )
    found: list[_Found] = []
    for barcode in barcodes:
        corners = barcode.position
        points = (corners.top_left, corners.top_right, corners.bottom_left, corners.bottom_right)
        xs = [point.x for point in points]
        ys = [point.y for point in points]
        item = _Found(barcode.text, min(xs), min(ys), max(xs), max(ys))
        if not any(item.text == kept.text and item.same_place(kept) for kept in found):
            found.append(item)
    return [item.text for item in _reading_order(found)]


def _reading_order(found: list[_Found]) -> list[_Found]:
    """Rows from top to bottom, left to right within a row.

    A code belongs to the current row when its top lies above the middle of the row's first
    code, so codes side by side stay together even when their tops differ by a few pixels.
    """
    ordered: list[_Found] = []
    row: list[_Found] = []
    for item in sorted(found, key=lambda f: (f.top, f.left)):
        if row and item.top > row[0].centre[1]:
            ordered += sorted(row, key=lambda f: (f.left, f.top))
            row = []
        row.append(item)
    ordered += sorted(row, key=lambda f: (f.left, f.top))
    return ordered
