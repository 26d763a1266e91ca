"""Where the vault is, in Settings: its path, and "Move to a folder…".

Moving the vault into a folder a sync tool shares is how it reaches a second computer; the
move itself is Qt-free (app.vault.relocate: copy, check, switch, then remove the old file).
A folder that holds a vault already is never written over: Keyfob offers to open that one
instead (the second computer of a synced folder that created a vault of its own first).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import KeyfobError
from app.ui.common.file_dialogs import choose_folder
from app.ui.common.layouts import row
from app.ui.common.status_line import StatusLine
from app.ui.common.widgets import Toast, message_box, muted, plain_tooltip
from app.ui.common.worker import run_in_thread

if TYPE_CHECKING:
    from app.vault.relocate import Moved
    from app.vault.store import Vault


def _tr(text: str) -> str:
    return QCoreApplication.translate("VaultLocationBox", text)


class VaultLocationBox(QGroupBox):
    """The vault's path and the move. `moving(True)` just before a move starts (save what
    waits), `moving(False)` when it ends, then `moved(Moved)` if it was done; `chosen(path)`
    when the user opens the vault found in the folder instead."""

    moving = Signal(bool)
    moved = Signal(object)
    chosen = Signal(object)

    def __init__(self, vault: Vault, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Vault"), parent)
        self.vault = vault
        self.busy = False
        self.question: QMessageBox | None = None
        self.file_dialog: QFileDialog | None = None
        about = muted(
            self.tr("Keep it in a folder a sync tool shares to use it on several computers."),
            small=True,
        )
        about.setWordWrap(False)  # one line: the dialog is tall enough
        self.path_field = QLineEdit(str(vault.path))
        self.path_field.setReadOnly(True)
        self.path_field.setToolTip(plain_tooltip(str(vault.path)))
        self.path_field.setAccessibleName(self.tr("Vault file"))
        self.path_field.setCursorPosition(len(str(vault.path)))  # the end: folder and name
        self.move_button = QPushButton(self.tr("&Move to a folder…"))
        self.move_button.clicked.connect(self.choose_folder)
        self.status = StatusLine()
        self.status.setAccessibleName(self.tr("Vault move status"))
        layout = QVBoxLayout(self)
        layout.addLayout(row((self.path_field, 1), self.move_button))
        layout.addWidget(about)
        layout.addWidget(self.status)

    def choose_folder(self) -> QFileDialog:
        title = self.tr("Move the vault to a folder")
        self.file_dialog = choose_folder(self, title, Path.home(), self.move_to)
        return self.file_dialog

    def move_to(self, folder: str | Path) -> None:
        """Move the vault into `folder` (off the GUI thread: a synced folder may be slow)."""
        if self.busy or not folder:
            return
        from app.vault.preferences import Preferences
        from app.vault.relocate import move_vault

        self.moving.emit(True)
        self._set_busy(True)
        vault, where, preferences = self.vault, Path(folder), Preferences.default()
        run_in_thread(
            lambda: move_vault(vault, where, preferences),
            self._moved,
            lambda error: self._failed(error, where),
            owner=self,
        )

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.move_button.setEnabled(not busy)
        self.status.say(self.tr("Moving the vault…") if busy else "")

    def _moved(self, moved: object) -> None:
        self._set_busy(False)
        self.moving.emit(False)
        self.moved.emit(moved)

    def _failed(self, error: BaseException, folder: Path) -> None:
        from app.vault.errors import VaultExistsError
        from app.vault.relocate import check_vault_file

        self._set_busy(False)
        self.moving.emit(False)
        if isinstance(error, VaultExistsError):
            found = folder / self.vault.path.name
            try:
                check_vault_file(found)
            except (KeyfobError, OSError):
                pass  # another file of that name: only say it is in the way
            else:
                self.offer_to_open(found)
                return
        if isinstance(error, KeyfobError | OSError):
            self.status.show_error(self.tr("Not moved: %1").replace("%1", str(error)))
            return
        raise error  # a bug: the crash dialog's

    def offer_to_open(self, found: Path) -> QMessageBox:
        """The folder chosen holds a vault: open that one instead? This one stays as it is."""
        box = message_box(
            QMessageBox.Icon.Question,
            self.tr("Keyfob"),
            self.tr("There is a vault in this folder already"),
            self,
        )
        box.setInformativeText(
            self.tr(
                "%1 is a Keyfob vault, perhaps the one another computer keeps there. Keyfob "
                "does not write over it.\n\nOpen that vault instead? Its password is asked "
                "next. Your vault here stays where it is, with its accounts."
            ).replace("%1", str(found))
        )
        open_button = box.addButton(self.tr("&Open that vault"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(open_button)
        open_button.clicked.connect(lambda _checked=False: self._open_found(found))
        self.question = box
        box.open()
        return box

    def _open_found(self, found: Path) -> None:
        from app.vault.preferences import Preferences
        from app.vault.relocate import use_existing_vault

        try:
            chosen = use_existing_vault(found, Preferences.default())
        except (KeyfobError, OSError) as error:
            self.status.show_error(self.tr("Not opened: %1").replace("%1", str(error)))
            return
        self.chosen.emit(chosen)


def say_moved(toast: Toast, show_problem: Callable[[str, str], object], moved: Moved) -> None:
    """After a move: where the vault is now, and what the user must still do, if anything."""
    folder = str(moved.vault.path.parent)
    toast.show_message(_tr("The vault is now in %1.").replace("%1", folder), 5000)
    notes = []
    if moved.named_elsewhere:
        notes.append(
            _tr(
                "Keyfob was started with --vault or $KEYFOB_VAULT, which name another file: "
                "from now on, start it with the new path, or without them."
            )
        )
    notes.extend(moved.left_behind)
    if notes:
        show_problem(_tr("The vault was moved to %1.").replace("%1", folder), "\n\n".join(notes))
