"""After a password change: re-encrypt, delete or keep the backups the old password opens.

The rotating backups and the extra backup folder's copies made before the change are under
the old key (app.vault.rekey). Re-encrypting keeps them restorable with the new password;
deleting removes them; keeping them leaves them opening with the old password, which the
dialog warns about. The work runs off the GUI thread; the old key is forgotten at the end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import KeyfobError
from app.ui.common.warning_box import WarningBox
from app.ui.common.widgets import ErrorLabel, heading, muted, show_check_boxes_on_dark
from app.ui.common.wording import plural
from app.ui.common.worker import run_in_thread

if TYPE_CHECKING:
    from app.vault.rekey import OldBackup, RetiredKey

REENCRYPT, DELETE, KEEP = "reencrypt", "delete", "keep"


class OldBackupsDialog(QDialog):
    """After a password change: re-encrypt, delete or keep the backups the old password opens.

    `handled(message)` says what was done, for a toast. Closing the dialog keeps them. The
    old key is forgotten when the dialog is done, whatever the choice.
    """

    handled = Signal(str)

    def __init__(
        self, parent: QWidget | None, retired: RetiredKey, backups: list[OldBackup]
    ) -> None:
        super().__init__(parent)
        self._retired = retired
        self.backups = backups
        self.busy = False
        # Deleted without finishing (the app locked): the key goes with the dialog.
        self.destroyed.connect(lambda *_args: retired.forget())
        self.setWindowTitle(self.tr("Backups with the old password"))
        self.setMinimumWidth(500)
        count = len(backups)
        older = sum(1 for b in backups if not b.renewable)

        self.title = heading(
            plural(
                count,
                self.tr("1 backup still opens with the old password"),
                self.tr("%n backups still open with the old password"),
            ),
            1.2,
        )
        about = QLabel(
            self.tr(
                "The password is changed. Backups made before the change (kept after every "
                "save, and the copies in the extra backup folder) are encrypted with the old "
                "key: whoever knows the old password can open them."
            )
        )
        about.setWordWrap(True)
        self.error = ErrorLabel()
        self.status = muted(small=True)
        buttons = QDialogButtonBox()
        self.ok_button = QPushButton(self.tr("Continue"))
        self.ok_button.setObjectName("primaryButton")
        self.ok_button.setDefault(True)
        buttons.addButton(self.ok_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.apply)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 20, 22, 16)
        layout.setSpacing(6)
        layout.addWidget(self.title)
        layout.addWidget(about)
        self.older_note: QLabel | None = None
        if older:
            self.older_note = muted(self._older_text(older), small=True)
            layout.addWidget(self.older_note)
        layout.addSpacing(8)
        self._add_choices(layout, can_reencrypt=older < count)
        layout.addWidget(self.error)
        layout.addWidget(self.status)
        layout.addSpacing(4)
        layout.addWidget(buttons)
        self._choice_changed()

    def _older_text(self, older: int) -> str:
        if older == len(self.backups):
            return plural(
                older,
                self.tr(
                    "It is from before an earlier password change: it opens with the password "
                    "of that time, and can only be deleted or kept."
                ),
                self.tr(
                    "They are from before an earlier password change: they open with the "
                    "password of that time, and can only be deleted or kept."
                ),
            )
        return plural(
            older,
            self.tr(
                "1 of them is from before an earlier password change: it opens with the "
                "password of that time, and can only be deleted or kept."
            ),
            self.tr(
                "%n of them are from before an earlier password change: they open with the "
                "password of that time, and can only be deleted or kept."
            ),
        )

    def _add_choices(self, layout: QVBoxLayout, *, can_reencrypt: bool) -> None:
        self.reencrypt = QRadioButton(self.tr("&Re-encrypt them with the new password"))
        reencrypt_note = muted(
            self.tr("Recommended: they can still be restored, with the new password."),
            small=True,
        )
        self.delete = QRadioButton(self.tr("&Delete them"))
        delete_note = muted(
            self.tr("The vault as it is now stays; earlier versions can no longer be restored."),
            small=True,
        )
        self.keep = QRadioButton(self.tr("&Keep them as they are"))
        self.keep_warning = WarningBox(
            self.tr(
                "They keep opening with the old password. If someone may know it, re-encrypt "
                "or delete them."
            )
        )
        self.choices = QButtonGroup(self)
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(10)
        show_check_boxes_on_dark(box)  # an unchecked circle vanishes on a dark theme otherwise
        style = self.style()
        indent = style.pixelMetric(QStyle.PixelMetric.PM_ExclusiveIndicatorWidth) + (
            style.pixelMetric(QStyle.PixelMetric.PM_RadioButtonLabelSpacing)
        )
        for button, note in (
            (self.reencrypt, reencrypt_note),
            (self.delete, delete_note),
            (self.keep, self.keep_warning),
        ):
            group = QVBoxLayout()
            group.setSpacing(2)
            group.addWidget(button)
            # Under the button's text, not its circle. A margin, not a spacer: a row whose one
            # widget is hidden (the warning) then takes no room at all.
            row = QHBoxLayout()
            row.setContentsMargins(indent, 0, 0, 0)
            row.addWidget(note, 1)
            group.addLayout(row)
            column.addLayout(group)
        layout.addWidget(box)
        for button in (self.reencrypt, self.delete, self.keep):
            self.choices.addButton(button)
            button.toggled.connect(self._choice_changed)
        self.reencrypt.setEnabled(can_reencrypt)
        reencrypt_note.setVisible(can_reencrypt)
        (self.reencrypt if can_reencrypt else self.delete).setChecked(True)

    @property
    def choice(self) -> str:
        if self.delete.isChecked():
            return DELETE
        if self.keep.isChecked():
            return KEEP
        return REENCRYPT

    def _choice_changed(self) -> None:
        self.keep_warning.setVisible(self.keep.isChecked())
        self.ok_button.setText(
            {
                REENCRYPT: self.tr("Re-encrypt"),
                DELETE: self.tr("Delete"),
                KEEP: self.tr("Keep them"),
            }[self.choice]
        )

    def apply(self) -> None:
        if self.busy:
            return
        choice = self.choice
        count = len(self.backups)
        if choice == KEEP:
            self._finish(
                plural(
                    count,
                    self.tr("Password changed. 1 backup still opens with the old password."),
                    self.tr("Password changed. %n backups still open with the old password."),
                )
            )
            return
        self.busy = True
        self.error.clear_error()
        self.ok_button.setEnabled(False)
        for button in (self.reencrypt, self.delete, self.keep):
            button.setEnabled(False)
        self.status.setText(
            self.tr("Re-encrypting…") if choice == REENCRYPT else self.tr("Deleting…")
        )
        retired, backups = self._retired, list(self.backups)

        def work() -> int:
            if choice == REENCRYPT:
                return retired.reencrypt(backups)
            return retired.delete(backups)

        run_in_thread(work, lambda done: self._applied(choice, done), self._failed, owner=self)

    def _applied(self, choice: str, done: int) -> None:
        self.busy = False
        if choice == REENCRYPT:
            text = plural(
                done,
                self.tr("Password changed. 1 backup re-encrypted with the new password."),
                self.tr("Password changed. %n backups re-encrypted with the new password."),
            )
            left = sum(1 for b in self.backups if not b.renewable)
            if left:
                text += " " + plural(
                    left,
                    self.tr("1 older backup kept its earlier password."),
                    self.tr("%n older backups kept their earlier password."),
                )
        else:
            text = plural(
                done,
                self.tr("Password changed. 1 old backup deleted."),
                self.tr("Password changed. %n old backups deleted."),
            )
        self._finish(text)

    def _failed(self, error: BaseException) -> None:
        self.busy = False
        self.status.setText("")
        self.ok_button.setEnabled(True)
        for button in (self.delete, self.keep):
            button.setEnabled(True)
        self.reencrypt.setEnabled(any(b.renewable for b in self.backups))
        if not isinstance(error, KeyfobError | OSError):
            raise error
        self.error.show_error(str(error))

    def _finish(self, message: str) -> None:
        self.accept()
        self.handled.emit(message)

    def reject(self) -> None:
        if self.busy:
            return
        super().reject()
        self.handled.emit(
            plural(
                len(self.backups),
                self.tr("Password changed. 1 backup still opens with the old password."),
                self.tr("Password changed. %n backups still open with the old password."),
            )
        )

    def done(self, result: int) -> None:
        super().done(result)
        self._retired.forget()  # waits for a re-encryption still running in its thread

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.busy:
            event.ignore()
            return
        super().closeEvent(event)
