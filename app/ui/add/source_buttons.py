"""The add window's row of ways to find a QR code: the screen, an image file, the clipboard,
the camera (only where there is one), and typing the key instead."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QHBoxLayout, QToolButton

from app.ui.common.resources import icon


class SourceButtons(QHBoxLayout):
    """Large buttons, icon over text, in a row. The window connects them."""

    def __init__(self) -> None:
        super().__init__()
        self.scan_button = self._button(
            "scan-screen", self.tr("Scan &screen"), self.tr("Find QR codes on every screen")
        )
        self.file_button = self._button(
            "image", self.tr("&Image file…"), self.tr("Read QR codes from an image file")
        )
        self.paste_button = self._button(
            "paste", self.tr("&Paste"), self.tr("Use a QR image or an otpauth:// link copied")
        )
        self.camera_button = self._button(
            "camera", self.tr("&Camera"), self.tr("Hold the QR code up to the camera")
        )
        self.manual_button = self._button(
            "keyboard", self.tr("Enter &key"), self.tr("Type the setup key by hand")
        )
        self.camera_button.hide()  # until the camera check says there is one
        self.setSpacing(8)
        for button in (
            self.scan_button,
            self.file_button,
            self.paste_button,
            self.camera_button,
            self.manual_button,
        ):
            self.addWidget(button)
        self.addStretch(1)

    def set_reading(self, reading: bool) -> None:
        """While a picture is read, the sources that start another read wait."""
        for button in (self.scan_button, self.file_button, self.paste_button):
            button.setEnabled(not reading)

    @staticmethod
    def _button(icon_name: str, text: str, description: str) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon(icon_name))
        button.setIconSize(QSize(26, 26))
        button.setText(text)
        button.setToolTip(description)
        button.setAccessibleName(text.replace("&", "").rstrip("…"))
        button.setAccessibleDescription(description)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
        button.setMinimumSize(QSize(92, 70))
        button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        return button
