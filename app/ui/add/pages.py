"""The add window's smaller pages: the welcome before anything is found, the camera's
picture, and the typed entry with its way back to the codes found."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from app.ui.add.manual_form import ManualEntryForm
from app.ui.common.symbol import symbol
from app.ui.common.widgets import muted

if TYPE_CHECKING:
    from app.ui.add.camera import CameraScanner


class IntroPage(QWidget):
    """Where the codes will be listed, saying where a QR code is to be found."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(symbol("qr", 56))
        hint = muted(
            self.tr(
                "The site's security settings show a QR code when you turn on two-factor "
                "authentication.\nYou can also drop an image or an otpauth:// link here."
            )
        )
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(hint)
        layout.addStretch(1)


class CameraView(QLabel):
    """The camera's picture while it looks for QR codes: `texts_found(list)` when a frame
    holds codes, `failed(str)` when the camera cannot be used. QtMultimedia loads on the
    first `start`."""

    texts_found = Signal(list)
    failed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setText(self.tr("Starting the camera…"))
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumHeight(240)
        self.setAccessibleName(self.tr("Camera picture"))
        self.scanner: CameraScanner | None = None

    def start(self) -> None:
        from app.ui.add.camera import CameraScanner

        if self.scanner is None:
            self.scanner = CameraScanner(self)
            self.scanner.preview.connect(self._show_frame)
            self.scanner.texts_found.connect(self.texts_found)
            self.scanner.failed.connect(self.failed)
        self.scanner.start()

    def stop(self) -> None:
        if self.scanner is not None:
            self.scanner.stop()

    def shutdown(self) -> None:
        """Free the camera for good (the window is closing)."""
        if self.scanner is not None:
            self.scanner.shutdown()
            self.scanner = None

    def _show_frame(self, image: QImage) -> None:
        if self.isHidden():  # another page of the window is shown
            return
        self.setPixmap(
            QPixmap.fromImage(image).scaled(
                self.size(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.FastTransformation,
            )
        )


class ManualPage(QWidget):
    """The typed entry (`form`), with a way back to the codes found when there are some."""

    def __init__(self, now: Callable[[], float], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = ManualEntryForm(now)
        self.back_button = QPushButton(self.tr("← Back to the codes found"))
        self.back_button.setFlat(True)
        self.back_button.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.back_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.form, 1)
