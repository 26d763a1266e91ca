"""The vault password asked again before secrets leave Keyfob (export, transfer to phone).

An unlocked, unattended screen may show codes, never hand out the secrets: whoever exports
or shows the accounts' QR codes must know the password. The check runs the KDF off the GUI
thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from app.core.errors import KeyfobError
from app.ui.common.widgets import ErrorLabel, PasswordField
from app.ui.common.worker import run_in_thread

if TYPE_CHECKING:
    from app.vault.store import Vault


class PasswordGate(QDialog):
    """Asks for the vault password with `message`; `confirmed` once it is right."""

    confirmed = Signal()

    def __init__(
        self, parent: QWidget | None, vault: Vault, message: str, action: str = ""
    ) -> None:
        super().__init__(parent)
        self._vault = vault
        self.busy = False
        self.setWindowTitle(self.tr("Confirm your password"))
        self.setMinimumWidth(400)
        text = QLabel(message)
        text.setWordWrap(True)
        self.password = PasswordField(self.tr("Vault password"), self.tr("Vault password"))
        self.error = ErrorLabel()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self._action = action or self.tr("Continue")
        self.ok_button.setText(self._action)
        buttons.accepted.connect(self.check)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 14)
        layout.setSpacing(10)
        layout.addWidget(text)
        layout.addWidget(self.password)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.password.setFocus()

    def check(self) -> None:
        if self.busy:
            return
        password = self.password.text()
        if not password:
            self.error.show_error(self.tr("Enter the vault password."))
            return
        self._set_busy(True)
        self.error.clear_error()
        vault = self._vault
        run_in_thread(
            lambda: vault.check_password(password), self._checked, self._failed, owner=self
        )

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.ok_button.setEnabled(not busy)
        self.ok_button.setText(self.tr("Checking…") if busy else self._action)

    def _checked(self, right: object) -> None:
        self._set_busy(False)
        if right:
            self.error.clear_error()
            self.password.clear()
            self.accept()
            self.confirmed.emit()
            return
        self.error.show_error(self.tr("Wrong password. Try again."))
        self.password.selectAll()
        self.password.setFocus()

    def _failed(self, error: BaseException) -> None:
        self._set_busy(False)
        if not isinstance(error, KeyfobError):
            raise error
        self.error.show_error(str(error))
