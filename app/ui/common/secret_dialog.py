"""Showing an account's secret (as a QR code for a phone, or as text), after the password.

The password is asked again even though the vault is open: an unlocked, unattended screen
must not hand out the secrets themselves, only the codes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.core.account import Account
from app.core.secret import encode_base32
from app.core.uri import build_otpauth
from app.ui.common.widgets import code_font, heading, muted

if TYPE_CHECKING:
    pass

QUIET_ZONE = 4  # light modules around the code, as the standard asks


def grouped_secret(account: Account) -> str:
    text = encode_base32(account.secret)
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


class QrWidget(QWidget):
    """A QR code painted module by module at a whole number of pixels: always sharp."""

    def __init__(self, matrix: list[list[bool]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._matrix = matrix
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(QSize(220, 220))

    def sizeHint(self) -> QSize:
        return QSize(300, 300)

    def paintEvent(self, event: QPaintEvent) -> None:
        count = len(self._matrix) + 2 * QUIET_ZONE
        ratio = self.devicePixelRatioF()
        side_pixels = int(min(self.width(), self.height()) * ratio)
        module = max(1, side_pixels // count) / ratio
        side = module * count
        left = (self.width() - side) / 2
        top = (self.height() - side) / 2
        painter = QPainter(self)
        painter.fillRect(QRectF(left, top, side, side), QColor("#ffffff"))
        dark = QColor("#000000")
        for y, row in enumerate(self._matrix):
            for x, on in enumerate(row):
                if on:
                    painter.fillRect(
                        QRectF(
                            left + (x + QUIET_ZONE) * module,
                            top + (y + QUIET_ZONE) * module,
                            module,
                            module,
                        ),
                        dark,
                    )
        painter.end()


class SecretDialog(QDialog):
    """The account's QR code (to scan with a phone) or its secret key as text."""

    def __init__(
        self,
        parent: QWidget | None,
        account: Account,
        *,
        show_qr: bool,
        copy: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(account.label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 20, 22, 16)
        layout.addWidget(heading(account.label, 1.2))
        self.qr: QrWidget | None = None
        if show_qr:
            from app.qr.encode import encode_matrix

            layout.addWidget(muted(self.tr("Scan this with the authenticator app on your phone.")))
            self.qr = QrWidget(encode_matrix(build_otpauth(account)))
            self.qr.setAccessibleName(self.tr("QR code of the account"))
            layout.addWidget(self.qr, 1)
        else:
            layout.addWidget(muted(self.tr("The setup key, to type into another app:")))
        self.secret = QLabel(grouped_secret(account))
        self.secret.setFont(code_font(self.font(), 1.15))
        self.secret.setWordWrap(True)
        self.secret.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.secret.setAccessibleName(self.tr("Secret key"))
        self.secret.setVisible(not show_qr)
        layout.addWidget(self.secret)
        warning = QLabel(
            self.tr(
                "Anyone who sees this can make your codes. Close this window when you are done."
            )
        )
        warning.setWordWrap(True)
        layout.addWidget(warning)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        if copy is not None:
            copy_button = QPushButton(self.tr("Copy key"))
            copy_button.clicked.connect(lambda: copy(encode_base32(account.secret)))
            buttons.addWidget(copy_button)
        close = QPushButton(self.tr("Close"))
        close.setDefault(True)
        close.clicked.connect(self.accept)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self.resize(QSize(380, 500 if show_qr else 240))
