"""What an import reads before an importer sees it: a size limit, and telling images apart.

Shared by the CLI's `keyfob import` and the desktop import wizard, which both read QR code
images (a Google Authenticator transfer) differently from export files.
"""

from __future__ import annotations

# The importers refuse files over 64 MiB (app.formats._common.MAX_FILE_BYTES); reading one
# byte more than that is enough for them to say so, without loading a huge file.
READ_LIMIT = 64 * 1024 * 1024 + 1

# What the importers are told the text of QR codes read from images is called.
QR_TEXT_NAME = "qr-codes.txt"

_IMAGE_MAGIC = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
)


def is_image(data: bytes) -> bool:
    """Whether `data` starts like a picture (PNG, JPEG, GIF, BMP, TIFF, WebP)."""
    return data.startswith(_IMAGE_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
