"""Pictures made small enough to handle: a camera frame before decoding, an icon before storing."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage


def fit_within(image: QImage, side: int) -> QImage:
    """`image` scaled down (smoothly, its proportions kept) so neither side exceeds `side`;
    `image` itself when it fits already."""
    if max(image.width(), image.height()) <= side:
        return image
    return image.scaled(
        side,
        side,
        Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.SmoothTransformation,
    )
