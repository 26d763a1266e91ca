"""The rotating backups: listed with their date, size and account count; one restored.

Every save keeps the vault file it replaces (app.vault.backups). How many accounts a backup
holds is encrypted, so the dialog asks for the password once when it opens and counts them
all off the GUI thread. Backups made since the last password change share one key slot, so
one KDF run opens them all. Restoring keeps the vault as it is now as a backup first (so a
restore can be undone) and the main window reloads the vault.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QDateTime, QLocale, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import KeyfobError
from app.ui.common.widgets import ErrorLabel, PasswordField, heading, message_box, muted
from app.ui.common.wording import plural
from app.ui.common.worker import run_in_thread

if TYPE_CHECKING:
    from app.vault.backups import BackupInfo

OTHER_PASSWORD = "other password"  # noqa: S105 - a count's label, not a password
DAMAGED = "damaged"
_COLUMN_DATE, _COLUMN_COUNT, _COLUMN_SIZE = range(3)


def count_backups(paths: Sequence[Path], password: str) -> list[int | str]:
    """Per backup, its number of accounts, OTHER_PASSWORD or DAMAGED.

    A key slot already opened (or refused) is not derived again: backups made between two
    password changes carry the same slot, so counting twenty backups costs one KDF run.
    """
    from app.vault.content import decode_content
    from app.vault.envelope import PASSWORD_SLOT, decrypt, parse, unwrap_with_password
    from app.vault.errors import VaultAuthError, VaultError
    from app.vault.fileio import read_existing

    keys: dict[str, bytearray | None] = {}
    counts: list[int | str] = []
    try:
        for path in paths:
            try:
                envelope = parse(read_existing(path, "backup"))
                slots = [s for s in envelope.header["slots"] if s.get("type") == PASSWORD_SLOT]
                slot_key = json.dumps(slots, sort_keys=True, default=str)
                if slot_key not in keys:
                    try:
                        keys[slot_key] = unwrap_with_password(envelope, password)
                    except VaultAuthError:
                        keys[slot_key] = None
                key = keys[slot_key]
                if key is None:
                    counts.append(OTHER_PASSWORD)
                    continue
                plaintext = decrypt(envelope, key)
                if plaintext is None:
                    counts.append(DAMAGED)
                    continue
                content = decode_content(plaintext)
                counts.append(len(content.accounts) + len(content.unreadable_accounts))
            except VaultError:
                counts.append(DAMAGED)
    finally:
        for key in keys.values():
            if key is not None:
                key[:] = bytes(len(key))
    return counts


def local_time(info: BackupInfo) -> str:
    """When the backup was taken, in local time: "Tue 14 May 2024, 10:32:05"."""
    moment = QDateTime.fromSecsSinceEpoch(int(info.created.timestamp())).toLocalTime()
    return QLocale().toString(moment, "ddd d MMM yyyy, HH:mm:ss")


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
        self.counts: list[int | str] = []
        self.setWindowTitle(self.tr("Backups"))
        self.setMinimumSize(QSize(600, 520))

        from app.vault.backups import BACKUPS_KEPT, backups_dir

        self.folder = backups_dir(vault_path)
        title = heading(self.tr("Backups"), 1.3)
        intro = muted(
            self.tr(
                "Each save keeps the vault it replaces: the last %1 versions are here. "
                "Restoring one makes it the vault again; the vault as it is now is kept as a "
                "backup first, so a restore can be undone."
            ).replace("%1", str(BACKUPS_KEPT))
        )

        self.password_box = self._password_box()
        self.error = ErrorLabel()
        self.table = self._table()
        self.empty_label = muted(
            self.tr("No backups yet: the first one is made by the next change.")
        )
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.status = ErrorLabel()
        self.status.setAccessibleName(self.tr("Status"))
        where = muted(self.tr("Folder: %1").replace("%1", str(self.folder)), small=True)
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 20, 22, 16)
        layout.setSpacing(10)
        layout.addWidget(title)
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
        row = QHBoxLayout()
        row.addWidget(self.password, 1)
        row.addWidget(self.show_button)
        box = QWidget()
        box_layout = QVBoxLayout(box)
        box_layout.setContentsMargins(0, 0, 0, 0)
        box_layout.setSpacing(6)
        box_layout.addWidget(ask)
        box_layout.addLayout(row)
        return box

    def _table(self) -> QTreeWidget:
        table = QTreeWidget()
        table.setAccessibleName(self.tr("Backups"))
        table.setColumnCount(3)
        table.setHeaderLabels(
            [self.tr("The vault as it was on"), self.tr("Accounts"), self.tr("Size")]
        )
        table.setRootIsDecorated(False)
        table.setUniformRowHeights(True)
        table.setAlternatingRowColors(True)
        table.setStyleSheet("QTreeWidget::item { padding: 3px 2px; }")
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = table.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(_COLUMN_DATE, QHeaderView.ResizeMode.Stretch)
        for column in (_COLUMN_COUNT, _COLUMN_SIZE):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        table.itemSelectionChanged.connect(self._update_buttons)
        table.itemDoubleClicked.connect(lambda _item, _column: self.restore_selected())
        return table

    def _buttons(self) -> QHBoxLayout:
        self.open_button = QPushButton(self.tr("Open &folder"))
        self.open_button.clicked.connect(
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.folder)))
        )
        self.restore_button = QPushButton(self.tr("&Restore…"))
        self.restore_button.setObjectName("primaryButton")
        self.restore_button.clicked.connect(self.restore_selected)
        close = QPushButton(self.tr("Close"))
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        buttons.addWidget(self.restore_button)
        return buttons

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
        selected = self.selected_backup()
        self.table.clear()
        locale = QLocale()
        for position, info in enumerate(self.backups):
            count = self.counts[position] if position < len(self.counts) else None
            item = QTreeWidgetItem(
                [local_time(info), self._count_text(count), locale.formattedDataSize(info.size)]
            )
            item.setData(_COLUMN_DATE, Qt.ItemDataRole.UserRole, position)
            for column in (_COLUMN_COUNT, _COLUMN_SIZE):
                item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight)
            if count == OTHER_PASSWORD:
                item.setToolTip(
                    _COLUMN_COUNT,
                    self.tr("Made before a password change: it opens with the password then."),
                )
            self.table.addTopLevelItem(item)
            if selected is not None and info.path == selected.path:
                self.table.setCurrentItem(item)
        has_any = bool(self.backups)
        self.table.setVisible(has_any)
        self.empty_label.setVisible(not has_any)
        self._update_buttons()

    def _count_text(self, count: int | str | None) -> str:
        if count is None:
            return "…" if self.busy else "—"
        if count == OTHER_PASSWORD:
            return self.tr("other password")
        if count == DAMAGED:
            return self.tr("damaged")
        return str(count)

    def selected_backup(self) -> BackupInfo | None:
        item = self.table.currentItem()
        if item is None or not item.isSelected():
            return None
        position = item.data(_COLUMN_DATE, Qt.ItemDataRole.UserRole)
        return self.backups[int(position)] if position is not None else None

    def select_row(self, row: int) -> None:
        item = self.table.topLevelItem(row)
        if item is not None:
            self.table.setCurrentItem(item)
            item.setSelected(True)

    def _update_buttons(self) -> None:
        self.restore_button.setEnabled(self.selected_backup() is not None and not self.busy)
        self.show_button.setEnabled(not self.busy)

    # --- counting --------------------------------------------------------------------------

    def submit_password(self) -> None:
        if self.busy:
            return
        password = self.password.text()
        if not password:
            self.error.show_error(self.tr("Enter the vault password."))
            return
        self.error.clear_error()
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

        def done(results: list[int | str]) -> None:
            self.busy = False
            counts = results[1:]
            if first and all(count == OTHER_PASSWORD for count in results):
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
            if counts and all(count == OTHER_PASSWORD for count in counts):
                self.status.setStyleSheet("")
                self.status.setText(
                    self.tr(
                        "These backups were made before the password was changed: each "
                        "opens with the password the vault had then."
                    )
                )
                self.status.show()

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
        when = local_time(info)
        position = self.backups.index(info)
        count = self.counts[position] if position < len(self.counts) else None
        box = message_box(
            QMessageBox.Icon.Question,
            self.tr("Restore a backup"),
            self.tr("Restore the vault as it was on %1?").replace("%1", when),
            self,
        )
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
        box.setInformativeText(" ".join(details))
        restore = box.addButton(self.tr("Restore"), QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered() -> None:
            if box.clickedButton() is restore:
                self._restore(info)

        box.finished.connect(answered)
        box.open()
        self.confirm_box = box
        return box

    def _restore(self, info: BackupInfo) -> None:
        from app.vault.backups import restore_backup

        password = self._password
        vault_path = self.vault_path
        self.busy = True
        self._update_buttons()
        self.status.setStyleSheet("")
        self.status.setText(self.tr("Restoring…"))
        self.status.show()

        def done(_result: object) -> None:
            self.busy = False
            self.status.setStyleSheet("")
            self.status.setText(
                self.tr("Restored the vault as it was on %1.").replace("%1", local_time(info))
            )
            self.restored.emit(info)
            self.reload()

        def failed(error: BaseException) -> None:
            from app.vault.errors import VaultAuthError

            self.busy = False
            self._update_buttons()
            if isinstance(error, VaultAuthError):
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
                return
            self._failed(error)

        run_in_thread(lambda: restore_backup(vault_path, info, password), done, failed, owner=self)

    def done(self, result: int) -> None:
        self._password = ""
        self.password.clear()
        super().done(result)
