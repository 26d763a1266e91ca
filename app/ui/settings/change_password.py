"""Changing the vault password: the current one, the new one twice with a strength meter.

A password change makes a new master key (app.vault: `Vault.change_password`), so the old
password opens no later version. The backups made before, and the copies in the extra backup
folder, stay under the old key: `changed` hands them on to
app.ui.transfer.old_backups_dialog. Both key derivations (checking the current password,
wrapping the new key) run off the GUI thread.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import KeyfobError
from app.ui.common import strength
from app.ui.common.widgets import ErrorLabel, PasswordField, StrengthMeter, heading, muted
from app.ui.common.worker import run_in_thread
from app.vault.quick_unlock_probe import has_keyring_slot

if TYPE_CHECKING:
    from app.vault.kdf import KdfParams
    from app.vault.rekey import OldBackup, RetiredKey
    from app.vault.store import Vault


class ChangePasswordDialog(QDialog):
    """Current password, new password twice with a strength meter; `changed(retired, old)`
    once the vault has its new key, with the backups the old password still opens."""

    changed = Signal(object, object)

    def __init__(
        self,
        parent: QWidget | None,
        vault: Vault,
        *,
        kdf: KdfParams | None = None,
        extra_copies: Callable[[], list[Path]] | None = None,
    ) -> None:
        super().__init__(parent)
        self._vault = vault
        self._kdf = kdf
        self._extra_copies = extra_copies or list
        self.busy = False
        self.setWindowTitle(self.tr("Change password"))
        self.setMinimumWidth(460)

        self._build_fields()
        buttons = self._build_buttons()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 20, 22, 16)
        layout.setSpacing(8)
        layout.addWidget(heading(self.tr("Change the vault password"), 1.25))
        layout.addWidget(
            muted(
                self.tr(
                    "Keyfob makes a new key for the vault: from now on, neither the old "
                    "password nor an old copy of the vault opens what you change."
                )
            )
        )
        layout.addSpacing(6)
        layout.addWidget(self._label(self.tr("&Current password"), self.current))
        layout.addWidget(self.current)
        layout.addSpacing(6)
        layout.addWidget(self._label(self.tr("&New password"), self.password))
        for widget in (self.password, self.meter, self.strength_label):
            layout.addWidget(widget)
        layout.addSpacing(6)
        layout.addWidget(self._label(self.tr("&Repeat the new password"), self.confirm))
        for widget in (
            self.confirm,
            self.mismatch,
            self.error,
            self.status,
        ):
            layout.addWidget(widget)
        layout.addSpacing(4)
        layout.addWidget(buttons)

        self.current.textChanged.connect(self._update_state)
        self.password.textChanged.connect(self._update_state)
        self.confirm.textChanged.connect(self._update_state)
        self.current.returnPressed.connect(self.password.setFocus)
        self.password.returnPressed.connect(self.confirm.setFocus)
        self.confirm.returnPressed.connect(self.submit)
        self._update_state()
        self.current.setFocus()

    def _build_fields(self) -> None:
        self.current = PasswordField(self.tr("Current password"), self.tr("Current password"))
        self.password = PasswordField(self.tr("New password"), self.tr("New password"))
        self.meter = StrengthMeter()
        self.strength_label = muted(small=True)
        self.strength_label.setAccessibleName(self.tr("Password strength"))
        self.confirm = PasswordField(
            self.tr("Repeat the new password"), self.tr("Repeat the new password")
        )
        self.mismatch = ErrorLabel()
        self.error = ErrorLabel()
        self.error.setAccessibleName(self.tr("Error"))
        self.status = muted(small=True)

    def _label(self, text: str, field: QWidget) -> QLabel:
        # Above the field: its placeholder goes as soon as something is typed.
        label = QLabel(text)
        label.setBuddy(field)
        return label

    def _build_buttons(self) -> QDialogButtonBox:
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.button = QPushButton(self.tr("Change password"))
        self.button.setObjectName("primaryButton")
        self.button.setDefault(True)
        buttons.addButton(self.button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        self.cancel_button = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        return buttons

    def _update_state(self) -> None:
        text = self.password.text()
        if not text:
            self.meter.set_score(-1)
            self.strength_label.setText(
                self.tr("Use a long passphrase: four or more unrelated words work well.")
            )
        else:
            score = strength.estimate(text).score
            self.meter.set_score(score)
            self.strength_label.setText(self.meter.describe(score))
        repeated = self.confirm.text()
        mismatch = bool(repeated) and repeated != text and not text.startswith(repeated)
        self.mismatch.show_error(self.tr("The new passwords do not match.") if mismatch else "")
        if self.error.text():
            self.error.clear_error()
        self.button.setEnabled(self._ready() and not self.busy)

    def _ready(self) -> bool:
        text = self.password.text()
        return bool(self.current.text()) and bool(text) and self.confirm.text() == text

    # --- changing --------------------------------------------------------------------------

    def submit(self) -> None:
        if self.busy or not self._ready():
            return
        current, new = self.current.text(), self.password.text()
        if new == current:
            self.error.show_error(self.tr("The new password is the one the vault has now."))
            return
        self._set_busy(True)
        vault, kdf, extra = self._vault, self._kdf, self._extra_copies()

        def work() -> tuple[RetiredKey, list[OldBackup]] | None:
            if not vault.check_password(current):
                return None
            quick_unlock_was_on = has_keyring_slot(vault.path)
            retired = vault.change_password(new, kdf=kdf)
            if quick_unlock_was_on:  # its slot went with the old key: so goes its keyring item
                _forget_keyring_key(vault.vault_id)
            try:
                return retired, retired.old_backups(extra)
            except BaseException:
                retired.forget()
                raise

        # No owner: if this dialog went meanwhile (the app locked), the old key must still be
        # forgotten, so the callbacks always run and check the dialog themselves.
        dialog = self

        def done(result: tuple[RetiredKey, list[OldBackup]] | None) -> None:
            if not shiboken6.isValid(dialog):
                if result is not None:
                    result[0].forget()
                return
            dialog._done_changing(result)

        def failed(error: BaseException) -> None:
            if shiboken6.isValid(dialog):
                dialog._failed(error)
            elif not isinstance(error, KeyfobError):
                raise error

        run_in_thread(work, done, failed)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        for field in (self.current, self.password, self.confirm):
            field.setEnabled(not busy)
        self.cancel_button.setEnabled(not busy)
        self.button.setEnabled(not busy and self._ready())
        self.status.setText(self.tr("Making the new key…") if busy else "")

    def _done_changing(self, result: tuple[RetiredKey, list[OldBackup]] | None) -> None:
        self._set_busy(False)
        if result is None:
            self.error.show_error(self.tr("The current password is wrong. Nothing was changed."))
            self.current.selectAll()
            self.current.setFocus()
            return
        for field in (self.current, self.password, self.confirm):
            field.clear()
        self.accept()
        self.changed.emit(*result)

    def _failed(self, error: BaseException) -> None:
        self._set_busy(False)
        if isinstance(error, KeyfobError | OSError):
            self.error.show_error(str(error))
        else:
            sys.excepthook(type(error), error, error.__traceback__)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.busy:  # the change is under way: its answer must reach someone
            event.ignore()
            return
        super().closeEvent(event)

    def reject(self) -> None:
        if not self.busy:
            super().reject()


def _forget_keyring_key(vault_id: str) -> None:
    """The keyring's key for the vault opens nothing after a password change: delete it. A
    keyring that cannot is logged (the key is useless without the slot) and the change
    stands."""
    from app.vault.quick_unlock import QuickUnlockUnavailable, forget_key

    try:
        forget_key(vault_id)
    except QuickUnlockUnavailable as error:
        logging.getLogger(__name__).warning("the keyring kept the vault's old key: %s", error)
