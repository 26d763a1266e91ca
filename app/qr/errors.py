"""Errors of the QR layer: an image that cannot be read, a text that does not fit a QR code."""

from app.core.errors import KeyfobError


class QrError(KeyfobError):
    """An image could not be read for QR codes, or a text could not be made into one.

    Messages name the problem (not an image we can read, too large, too long) and never carry
    the text of a code: enrollment codes hold secrets.
    """
