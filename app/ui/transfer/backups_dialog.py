"""The rotating backups: listed with their date, size and account count; one restored.

Every save keeps the vault file it replaces (app.vault.backups). How many accounts a backup
holds is encrypted, so the dialog asks for the password once when it opens and counts them
all off the GUI thread (app.vault.backup_counts: one KDF run for all the backups of one
password). Restoring keeps the vault as it is now as a backup first (so a restore can be
undone) and the main window reloads the vault.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QWidget,
)

from app.core.errors import KeyfobError
from app.ui.common.columns import column
from app.ui.common.confirm import confirm
from app.ui.common.layouts import row, window_column
from app.ui.common.password_feedback import typed_password
from app.ui.common.status_line import StatusLine
from app.ui.common.widgets import ErrorLabel, PasswordField, heading, muted
from app.ui.common.wording import plural
from app.ui.common.worker import run_in_thread
from app.ui.transfer.backups_table import BackupsTable, local_time
from app.vault.backup_counts import Uncounted, count_backups

if TYPE_CHECKING:
    from app.vault.backups import BackupInfo


class BackupsDialog(QDialog):
    """`restored(info)` after a backup became the vault."""

    restored = Signal(object)

    def __init__(
        self,
        parent: QWidget | None,
        vault_path: Path,
        *,
        current_count: Callable[[], int] | None = None,
    ) -> None:
        super().__init__(parent)
        self.vault_path = vault_path
        self._current_count = current_count
        self._password = ""
        self.busy = False
        self.backups: list[BackupInfo] = []
        self.counts: list[int | Uncounted] = []
        self.setWindowTitle(self.tr("Backups"))
        self.setMinimumSize(QSize(600, 520))

        from app.vault.backups import BACKUPS_KEPT, backups_dir

        self.folder = backups_dir(vault_path)
        intro = muted(
            self.tr(
                "Each save keeps the vault it replaces: the last %1 versions are here. "
                "Restoring one makes it the vault again; the vault as it is now is kept as a "
                "backup first, so a restore can be undone."
            ).replace("%1", str(BACKUPS_KEPT))
        )
        self.password_box = self._password_box()
        self.error = ErrorLabel()
        self.table = BackupsTable()
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemDoubleClicked.connect(lambda _item, _column: self.restore_selected())
        self.empty_label = muted(
            self.tr("No backups yet: the first one is made by the next change.")
        )
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.status = StatusLine()
        where = muted(self.tr("Folder: %1").replace("%1", str(self.folder)), small=True)
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        layout = window_column(self, bottom=16)
        layout.addWidget(heading(self.tr("Backups"), 1.3))
        layout.addWidget(intro)
        layout.addWidget(self.password_box)
        layout.addWidget(self.error)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty_label, 1)
        layout.addWidget(where)
        layout.addWidget(self.status)
        layout.addLayout(self._buttons())
        self.reload()
        self.password.setFocus()

    def _password_box(self) -> QWidget:
        ask = QLabel(
            self.tr("Enter the vault password to see how many accounts each backup holds.")
        )
        ask.setWordWrap(True)
        self.password = PasswordField(self.tr("Vault password"), self.tr("Vault password"))
        self.password.returnPressed.connect(self.submit_password)
        self.show_button = QPushButton(self.tr("&Show counts"))
        self.show_button.clicked.connect(self.submit_password)
        box = QWidget()
        column(box, ask, row((self.password, 1), self.show_button), spacing=6)
        return box

    def _buttons(self) -> QHBoxLayout:
        open_button = QPushButton(self.tr("Open &folder"))
        open_button.clicked.connect(
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.folder)))
        )
        self.restore_button = QPushButton(self.tr("&Restore…"))
        self.restore_button.setObjectName("primaryButton")
        self.restore_button.clicked.connect(self.restore_selected)
        close = QPushButton(self.tr("Close"))
        close.clicked.connect(self.accept)
        self.open_button = open_button
        return row(open_button, None, close, self.restore_button)

    # --- the list --------------------------------------------------------------------------

    def reload(self) -> None:
        """List the backups again; counted again when the password is known."""
        from app.vault.backups import list_backups

        try:
            self.backups = list_backups(self.vault_path)
        except KeyfobError as error:
            self.backups = []
            self.status.show_error(str(error))
        self.counts = []
        self._fill()
        if self._password and self.backups:
            self._count(self._password)

    def _fill(self) -> None:
        self.table.fill(self.backups, self.counts, counting=self.busy)
        has_any = bool(self.backups)
        self.table.setVisible(has_any)
        self.empty_label.setVisible(not has_any)
        self._update_buttons()

    def selected_backup(self) -> BackupInfo | None:
        position = self.table.selected_position()
        return self.backups[position] if position is not None else None

    def select_row(self, row: int) -> None:
        self.table.select_row(row)

    def _update_buttons(self) -> None:
        self.restore_button.setEnabled(self.selected_backup() is not None and not self.busy)
        self.show_button.setEnabled(not self.busy)

    # --- counting --------------------------------------------------------------------------

    def submit_password(self) -> None:
        if self.busy:
            return
        ask = self.tr("Enter the vault password.")
        password = typed_password(self.password, self.error, ask)
        if password is None:
            return
        if not self.backups:
            self._password = password
            self.password_box.hide()
            return
        self._count(password, first=True)

    def _count(self, password: str, *, first: bool = False) -> None:
        self.busy = True
        # The vault itself too: just after a password change, the new password opens it but
        # none of the backups, and is still the right one.
        paths = [self.vault_path, *(info.path for info in self.backups)]
        self._fill()  # "…" in the count column meanwhile

        def done(results: list[int | Uncounted]) -> None:
            self.busy = False
            counts = results[1:]
            if first and all(count == Uncounted.OTHER_PASSWORD for count in results):
                self.counts = []
                self._fill()
                self.error.show_error(self.tr("Wrong password: it opens none of the backups."))
                self.password.selectAll()
                self.password.setFocus()
                return
            self._password = password
            self.password.clear()
            self.password_box.hide()
            self.counts = counts
            self._fill()
            if counts and all(count == Uncounted.OTHER_PASSWORD for count in counts):
                self.status.say(
                    self.tr(
                        "These backups were made before the password was changed: each "
                        "opens with the password the vault had then."
                    )
                )

        run_in_thread(lambda: count_backups(paths, password), done, self._failed, owner=self)

    def _failed(self, error: BaseException) -> None:
        self.busy = False
        self._fill()
        if not isinstance(error, KeyfobError):
            self.status.clear_error()
            raise error
        self.status.show_error(str(error))

    # --- restoring -------------------------------------------------------------------------

    def restore_selected(self) -> QMessageBox | None:
        info = self.selected_backup()
        if info is None or self.busy:
            return None
        if not self._password:
            self.error.show_error(self.tr("Enter the vault password first."))
            self.password.setFocus()
            return None
        position = self.backups.index(info)
        count = self.counts[position] if position < len(self.counts) else None
        details = []
        if isinstance(count, int):
            details.append(
                plural(count, self.tr("It holds 1 account."), self.tr("It holds %n accounts."))
            )
        if self._current_count is not None:
            now = self._current_count()
            details.append(
                plural(now, self.tr("The vault has 1 now."), self.tr("The vault has %n now."))
            )
        details.append(
            self.tr("The vault as it is now is kept as a backup first, so you can come back to it.")
        )
        self.confirm_box = confirm(
            self,
            self.tr("Restore a backup"),
            self.tr("Restore the vault as it was on %1?").replace("%1", local_time(info)),
            self.tr("Restore"),
            lambda: self._restore(info),
            details=" ".join(details),
            cancel_by_default=True,
        )
        return self.confirm_box

    def _restore(self, info: BackupInfo) -> None:
        from app.vault.backups import restore_backup

        password = self._password
        vault_path = self.vault_path
        self.busy = True
        self._update_buttons()
        self.status.say(self.tr("Restoring…"))

        def done(_result: object) -> None:
            self.busy = False
            self.status.say(
                self.tr("Restored the vault as it was on %1.").replace("%1", local_time(info))
            )
            self.restored.emit(info)
            self.reload()

        def failed(error: BaseException) -> None:
            from app.vault.errors import VaultAuthError

            self.busy = False
            self._update_buttons()
            if not isinstance(error, VaultAuthError):
                self._failed(error)
                return
            self._password = ""
            self.password_box.show()
            self.password.setFocus()
            self.status.clear_error()
            self.error.show_error(
                self.tr(
                    "That backup opens with the password the vault had then (before a "
                    "password change): enter that password, then restore again. Nothing "
                    "was changed."
                )
            )

        run_in_thread(lambda: restore_backup(vault_path, info, password), done, failed, owner=self)

    def done(self, result: int) -> None:
        self._password = ""
        self.password.clear()
        super().done(result)
