"""The password of a conflict copy that is under another password than the open vault.

A sync tool's conflict copy of this vault, made on a computer where the password was changed
(or made here before a change), opens only with that other password. The dialog names the
file and the tool, and merges the copy once the password is right (the KDF runs off the GUI
thread); a wrong one is said and asked again. "Not now" leaves the copy beside the vault.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QWidget

from app.core.errors import KeyfobError
from app.ui.common.layouts import window_column
from app.ui.common.widgets import ErrorLabel, PasswordField, muted, plain_label, scaled_font
from app.ui.common.worker import run_in_thread

if TYPE_CHECKING:
    from app.vault.conflict_copies import ConflictCopy
    from app.vault.store import Vault


class CopyPasswordDialog(QDialog):
    """Asks for `copy`'s password; `merged(CopyMerged)` once it is merged into `vault`."""

    merged = Signal(object)

    def __init__(self, parent: QWidget | None, vault: Vault, copy: ConflictCopy) -> None:
        super().__init__(parent)
        self._vault = vault
        self.copy = copy
        self.busy = False
        self.setWindowTitle(self.tr("Merge a conflict copy"))
        self.setMinimumWidth(460)
        title = plain_label(
            self.tr("The %1 conflict copy has another password").replace("%1", copy.tool)
        )
        title.setFont(scaled_font(title, 1.15, bold=True))
        title.setWordWrap(True)
        name = plain_label(copy.path.name)  # a file name: shown as typed
        name.setWordWrap(True)
        name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        name.setToolTip(str(copy.path))
        name.setAccessibleName(self.tr("Conflict copy"))
        about = muted(
            self.tr(
                "This copy of your vault opens with another password: one set on another "
                "computer, or the one it had before a password change. Enter it to merge the "
                "copy's changes into this vault; your own password stays as it is."
            )
        )
        self.password = PasswordField(
            self.tr("Password of the copy"), self.tr("Password of the copy")
        )
        self.password.returnPressed.connect(self.check)
        self.error = ErrorLabel()
        self.error.setAccessibleName(self.tr("Error"))
        buttons = QDialogButtonBox()
        self.merge_button = buttons.addButton(
            self.tr("Merge"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.merge_button.setDefault(True)
        self.later_button = buttons.addButton(
            self.tr("Not now"), QDialogButtonBox.ButtonRole.RejectRole
        )
        self.later_button.setToolTip(self.tr("Keyfob asks again at its next start."))
        buttons.accepted.connect(self.check)
        buttons.rejected.connect(self.reject)
        layout = window_column(self)
        layout.addWidget(title)
        layout.addWidget(name)
        layout.addWidget(about)
        layout.addSpacing(4)
        layout.addWidget(self.password)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.password.setFocus()

    def check(self) -> None:
        if self.busy:
            return
        password = self.password.text()
        if not password:
            self.error.show_error(self.tr("Enter the password of the copy."))
            return
        self._set_busy(True)
        self.error.clear_error()
        vault, path = self._vault, self.copy.path
        run_in_thread(
            lambda: vault.merge_copy_with_password(path, password),
            self._merged,
            self._failed,
            owner=self,
        )

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.password.setEnabled(not busy)
        self.merge_button.setEnabled(not busy)
        self.merge_button.setText(self.tr("Merging…") if busy else self.tr("Merge"))

    def _merged(self, result: object) -> None:
        self._set_busy(False)
        self.password.clear()
        self.merged.emit(result)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        from app.vault.errors import VaultAuthError

        self._set_busy(False)
        if isinstance(error, VaultAuthError):
            self.error.show_error(self.tr("Wrong password. Try again."))
            self.password.selectAll()
            self.password.setFocus()
        elif isinstance(error, KeyfobError | OSError):
            self.error.show_error(str(error))
        else:
            raise error  # a bug: the crash dialog's

    def reject(self) -> None:
        if not self.busy:  # the merge under way finishes first
            super().reject()
