"""Transfer to phone: the accounts as Google Authenticator transfer QR codes, one at a time.

Google Authenticator (and Aegis, 2FAS, Ente Auth, which read its transfers) scans them with
"Transfer accounts ▸ Import accounts". Each code is painted large from its module matrix at
a whole number of pixels a module, black on white with a quiet zone, whatever the theme, so
a phone camera reads it from the screen. Accounts Google's format cannot hold are listed
with the reason. The main window asks for the vault password before opening this; closing
it drops the codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QWidget

from app.ui.common.layouts import row, window_column
from app.ui.common.secret_dialog import QrWidget
from app.ui.common.warning_box import WarningBox
from app.ui.common.widgets import heading, muted, scaled_font
from app.ui.common.wording import plural

if TYPE_CHECKING:
    from app.core.account import Account
    from app.formats.exporters.base import LeftOut

LEFT_OUT_SHOWN = 8  # lines of left-out accounts before "and N more"


class BatchQr(QrWidget):
    """The QR widget, its code changeable: one widget shows every batch in turn."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__([], parent)
        self.setMinimumSize(QSize(320, 320))

    def sizeHint(self) -> QSize:
        return QSize(460, 460)

    def set_matrix(self, matrix: list[list[bool]]) -> None:
        self._matrix = matrix
        self.update()


class PhoneTransferDialog(QDialog):
    def __init__(self, parent: QWidget | None, accounts: Sequence[Account]) -> None:
        super().__init__(parent)
        from app.formats.exporters.googleqr import google_batches

        self.setWindowTitle(self.tr("Transfer to phone"))
        self.uris, self.left_out = google_batches(accounts)
        self.labels = [self._batch_labels(uri) for uri in self.uris]
        self.index = 0

        title = heading(self.tr("Transfer to phone"), 1.3)
        steps = muted(
            self.tr(
                "On the phone, open Google Authenticator ▸ Transfer accounts ▸ Import "
                "accounts, and scan each code in turn. Aegis, 2FAS and Ente Auth can scan "
                "them too (Import ▸ Google Authenticator)."
            )
        )
        self.qr = BatchQr()
        self.qr.setAccessibleName(self.tr("Transfer QR code"))
        navigation = self._navigation()
        self.batch_accounts = muted(small=True)
        self.batch_accounts.setAccessibleName(self.tr("Accounts in this code"))
        self.batch_accounts.setTextFormat(Qt.TextFormat.PlainText)
        self.batch_accounts.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        # Room for three lines whatever the batch: the code does not jump between batches.
        self.batch_accounts.setMinimumHeight(3 * self.batch_accounts.fontMetrics().lineSpacing())
        self.left_out_box = WarningBox(self._left_out_text())
        self.left_out_box.body.setTextFormat(Qt.TextFormat.PlainText)
        self.left_out_box.setVisible(bool(self.left_out))

        layout = window_column(self, bottom=16)
        layout.addWidget(title)
        layout.addWidget(steps)
        if self.uris:
            layout.addWidget(self.qr, 1)
            layout.addLayout(navigation)
            layout.addWidget(self.batch_accounts)
        else:
            self.qr.hide()
            none = QLabel(self.tr("None of your accounts can be transferred this way."))
            none.setFont(scaled_font(none, 1.1, bold=True))
            none.setWordWrap(True)
            layout.addWidget(none)
        layout.addWidget(self.left_out_box)
        if not self.uris:
            layout.addStretch(1)
        layout.addLayout(self._bottom())

        for keys, step in (
            ((Qt.Key.Key_Right, Qt.Key.Key_PageDown, Qt.Key.Key_Down), 1),
            ((Qt.Key.Key_Left, Qt.Key.Key_PageUp, Qt.Key.Key_Up), -1),
        ):
            for key in keys:
                QShortcut(QKeySequence(key), self, lambda s=step: self.show_batch(self.index + s))
        self.resize(QSize(560, 800) if self.uris else QSize(520, 360))
        self.show_batch(0)

    def _navigation(self) -> QHBoxLayout:
        self.previous_button = QPushButton(self.tr("&Previous"))
        self.next_button = QPushButton(self.tr("&Next"))
        self.next_button.setObjectName("primaryButton")
        for button in (self.previous_button, self.next_button):
            button.setMinimumWidth(110)
        self.previous_button.clicked.connect(self.show_previous)
        self.next_button.clicked.connect(self.show_next)
        self.position = QLabel()
        self.position.setFont(scaled_font(self.position, 1.25, bold=True))
        self.position.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.position.setAccessibleName(self.tr("Which code"))
        return row(self.previous_button, (self.position, 1), self.next_button)

    def _bottom(self) -> QHBoxLayout:
        caution = muted(
            self.tr(
                "Anyone who sees these codes can copy your accounts: close this window "
                "once the phone has them."
            ),
            small=True,
        )
        close = QPushButton(self.tr("Close"))
        close.clicked.connect(self.accept)
        return row((caution, 1), close)

    @staticmethod
    def _batch_labels(uri: str) -> list[str]:
        from app.core.migration import parse_migration

        return [account.label for account in parse_migration(uri).accounts]

    def _left_out_text(self) -> str:
        items: list[LeftOut] = list(self.left_out)
        lines = [
            plural(
                len(items),
                self.tr("1 account is not in these codes (Google Authenticator cannot hold it):"),
                self.tr(
                    "%n accounts are not in these codes (Google Authenticator cannot hold them):"
                ),
            )
        ]
        lines += [f"•  {item.label}: {item.reason}" for item in items[:LEFT_OUT_SHOWN]]
        if len(items) > LEFT_OUT_SHOWN:
            lines.append(
                self.tr(
                    "…and %1 more. Export them another way (Export ▸ Aegis or a list of links)."
                ).replace("%1", str(len(items) - LEFT_OUT_SHOWN))
            )
        return "\n".join(lines)

    @property
    def count(self) -> int:
        return len(self.uris)

    def show_batch(self, index: int) -> None:
        if not self.uris:
            return
        from app.qr.encode import encode_matrix

        self.index = max(0, min(self.count - 1, index))
        self.qr.set_matrix(encode_matrix(self.uris[self.index]))
        self.position.setText(
            self.tr("QR %1 of %2").replace("%1", str(self.index + 1)).replace("%2", str(self.count))
        )
        labels = self.labels[self.index]
        self.batch_accounts.setText(
            plural(len(labels), self.tr("In this code: "), self.tr("In this code (%n): "))
            + ", ".join(labels)
        )
        self.previous_button.setEnabled(self.index > 0)
        self.next_button.setEnabled(self.index < self.count - 1)
        self.next_button.setVisible(self.count > 1)
        self.previous_button.setVisible(self.count > 1)

    def show_next(self) -> None:
        self.show_batch(self.index + 1)

    def show_previous(self) -> None:
        self.show_batch(self.index - 1)

    def done(self, result: int) -> None:
        # The codes hold the secrets: drop them with the window.
        self.uris = []
        self.labels = []
        self.left_out = []
        self.qr.set_matrix([])
        self.batch_accounts.clear()
        super().done(result)
