"""The extra backup folder in the desktop app: when to copy, how it went, and its settings.

The copying itself is Qt-free (app.vault.extra_backup). Here: a copy after each change, run
off the GUI thread since a USB stick can take a second to sync; a banner in the main window
while it fails, with a "Back up now" to try again; and the folder's settings.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QDateTime, QLocale, QObject, QTimer, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import KeyfobError
from app.ui.common.file_dialogs import choose_folder
from app.ui.common.layouts import row
from app.ui.common.settings import MAX_EXTRA_COPIES, Settings
from app.ui.common.status_line import StatusLine
from app.ui.common.widgets import muted, plain_label, plain_tooltip
from app.ui.common.worker import run_in_thread
from app.vault.preferences import EXTRA_FOLDER

if TYPE_CHECKING:
    from app.vault.extra_backup import CopyResult


class ExtraBackup(QObject):
    """Copies the vault into the chosen folder after each change; says how it went."""

    succeeded = Signal(str)
    failed = Signal(str)

    def __init__(self, vault_path: Path, settings: Settings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.vault_path = vault_path
        self.settings = settings
        self.busy = False
        self.last_copy: Path | None = None
        self.last_time: datetime | None = None
        self.last_error = ""
        self.last_brief = ""  # the error in a few words
        self._digest: bytes | None = None
        self._pending: bool | None = None  # a request that came while busy: force or not
        self.copies_made = 0
        settings.changed.connect(self._setting_changed)
        # A folder set, or a drive plugged in, since the last run: copy this version now.
        QTimer.singleShot(0, self.vault_changed)

    @property
    def folder(self) -> Path | None:
        text = self.settings.extra_backup_folder
        return Path(text).expanduser() if text else None

    def vault_changed(self) -> None:
        """After a save (ours or another program's): copy if this version is not there yet."""
        self._start(force=False)

    def back_up_now(self) -> None:
        self._start(force=True)

    def _setting_changed(self, key: str) -> None:
        if key == EXTRA_FOLDER:
            self._digest = None
            self.last_error = ""
            self.last_copy = None
            if self.folder is None:
                self.succeeded.emit("")
            else:
                self.vault_changed()

    def _start(self, *, force: bool) -> None:
        folder = self.folder
        if folder is None:
            return
        if self.busy:
            self._pending = bool(self._pending) or force
            return
        self.busy = True
        from app.vault.extra_backup import copy_vault

        vault_path, keep, known = self.vault_path, self.settings.extra_backup_copies, self._digest
        run_in_thread(
            lambda: copy_vault(vault_path, folder, keep, known_digest=known, force=force),
            self._copied,
            self._failed,
            owner=self,
        )

    def _finish(self) -> None:
        self.busy = False
        pending, self._pending = self._pending, None
        if pending is not None:
            self._start(force=pending)

    def _copied(self, result: CopyResult) -> None:
        self._digest = result.digest
        self.last_error = ""
        if result.path is not None:
            self.last_copy = result.path
            self.last_time = result.when
            self.copies_made += 1
        self.succeeded.emit(self.status_text())
        self._finish()

    def _failed(self, error: BaseException) -> None:
        from app.vault.extra_backup import ExtraBackupError

        self._digest = None
        if not isinstance(error, KeyfobError):
            self._finish()
            raise error
        self.last_error = str(error)
        self.last_brief = error.brief if isinstance(error, ExtraBackupError) else self.last_error
        self.failed.emit(self.last_error)
        self._finish()

    def status_text(self) -> str:
        if self.folder is None:
            return self.tr("No extra copies are made.")
        if self.last_error:
            return self.last_brief or self.last_error
        if self.last_copy is None or self.last_time is None:
            return self.tr("The folder holds the vault as it is now.")
        moment = QDateTime.fromSecsSinceEpoch(int(self.last_time.timestamp())).toLocalTime()
        return (
            self.tr("Last copy: %1 (%2)")
            .replace("%1", QLocale().toString(moment, "d MMM yyyy, HH:mm:ss"))
            .replace("%2", self.last_copy.name)
        )


class BackupProblemBanner(QFrame):
    """In the main window, while the extra copy fails: what is wrong, and a way to retry."""

    settings_requested = Signal()

    def __init__(self, backup: ExtraBackup, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backup = backup
        self.setObjectName("backupBanner")
        self.setStyleSheet(
            "#backupBanner { background: rgba(214, 69, 65, 0.14); border: 1px solid "
            "rgba(214, 69, 65, 0.6); border-radius: 8px; margin: 0 14px; }"
        )
        self.text = plain_label()  # quotes the folder and the system's error
        self.text.setWordWrap(True)
        self.text.setAccessibleName(self.tr("Backup problem"))
        self.retry_button = QPushButton(self.tr("Back up now"))
        self.retry_button.clicked.connect(backup.back_up_now)
        settings_button = QPushButton(self.tr("Settings…"))
        settings_button.clicked.connect(self.settings_requested.emit)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(self.text)
        layout.addLayout(row(None, settings_button, self.retry_button))
        backup.failed.connect(self.show_problem)
        backup.succeeded.connect(lambda _text: self.hide())
        self.hide()

    def show_problem(self, text: str) -> None:
        self.text.setText(self.tr("The extra backup copy was not made: %1").replace("%1", text))
        self.show()


class ExtraBackupBox(QGroupBox):
    """The settings for the extra folder: where, how many copies, the last result, Back up now."""

    def __init__(
        self, settings: Settings, backup: ExtraBackup | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(self.tr("Extra backup copy"), parent)
        self.settings = settings
        self.backup = backup
        about = muted(
            self.tr(
                "After each change, Keyfob copies the encrypted vault into this folder too: "
                "a synced folder or a USB stick. The copies open with the vault password."
            ),
            small=True,
        )
        lines = about.fontMetrics().lineSpacing()
        about.setMinimumHeight(2 * lines + 2)  # wrapped text: a dialog's own size forgets it
        self.folder = QLineEdit(settings.extra_backup_folder)
        self.folder.setReadOnly(True)
        self.folder.setPlaceholderText(self.tr("Off: choose a folder"))
        self.folder.setToolTip(plain_tooltip(settings.extra_backup_folder))
        self.folder.setAccessibleName(self.tr("Extra backup folder"))
        self.choose_button = QPushButton(self.tr("C&hoose…"))
        self.choose_button.clicked.connect(self.choose_folder)
        self.off_button = QPushButton(self.tr("Turn off"))
        self.off_button.clicked.connect(lambda: self.set_folder(""))
        self.copies = QSpinBox()
        self.copies.setRange(1, MAX_EXTRA_COPIES)
        self.copies.setValue(settings.extra_backup_copies)
        self.copies.setAccessibleName(self.tr("Copies kept"))
        self.copies.valueChanged.connect(
            lambda value: setattr(settings, "extra_backup_copies", value)
        )
        keep_label = QLabel(self.tr("&Keep the newest"))
        keep_label.setBuddy(self.copies)
        self.now_button = QPushButton(self.tr("&Back up now"))
        self.now_button.clicked.connect(self.back_up_now)
        keep = row(keep_label, self.copies, QLabel(self.tr("copies")), None, self.now_button)
        self.status = StatusLine(keeps_place=True)
        self.status.setAccessibleName(self.tr("Extra backup status"))
        self.status.setMinimumHeight(2 * self.status.fontMetrics().lineSpacing() + 2)
        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addLayout(row((self.folder, 1), self.choose_button, self.off_button))
        layout.addLayout(keep)
        layout.addWidget(self.status)
        if backup is not None:
            backup.succeeded.connect(lambda _text: self._show_status())
            backup.failed.connect(lambda _text: self._show_status())
        self._show_status()

    def choose_folder(self) -> QFileDialog:
        title = self.tr("Choose the extra backup folder")
        start = self.settings.extra_backup_folder
        self.file_dialog = choose_folder(self, title, start, self.set_folder)
        return self.file_dialog

    def set_folder(self, folder: str) -> None:
        self.settings.extra_backup_folder = folder
        self.folder.setText(self.settings.extra_backup_folder)
        self.folder.setToolTip(plain_tooltip(self.settings.extra_backup_folder))
        self._show_status()

    def back_up_now(self) -> None:
        if self.backup is not None:
            self.status.say(self.tr("Copying…"))
            self.backup.back_up_now()

    def _show_status(self) -> None:
        enabled = bool(self.settings.extra_backup_folder)
        self.off_button.setEnabled(enabled)
        self.copies.setEnabled(enabled)
        self.now_button.setEnabled(enabled and self.backup is not None)
        if self.backup is not None:
            self.status.say(self.backup.status_text(), problem=bool(self.backup.last_error))
        else:
            self.status.say(self.tr("Copies are made while the vault is open.") if enabled else "")
