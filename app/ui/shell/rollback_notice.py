"""The warning after an unlock that found the vault older than a version Keyfob had seen.

app.vault.revisions remembers, outside the vault, the highest revision seen of each vault; an
older genuine file (a HOTP counter gone back, a deleted account back) opens as usual, and
this box says so. It stays until the vault moves on: the next change saves above the highest
revision seen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

if TYPE_CHECKING:
    from app.ui.accounts.main_window import MainWindow
    from app.vault.revisions import RevisionLog, Rollback
    from app.vault.store import Vault


class RollbackNotice(QMessageBox):
    """Non-modal; "Show backups…" calls `show_backups`."""

    def __init__(
        self, parent: QWidget | None, rollback: Rollback, show_backups: Callable[[], object]
    ) -> None:
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Warning)
        self.setWindowTitle(self.tr("Keyfob"))
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(self.tr("This vault is older than a version Keyfob has seen."))
        self.setInformativeText(
            self.tr(
                "The vault file is revision %1, but Keyfob saw revision %2 of it before. "
                "Accounts deleted since may be back, and counter-based (HOTP) codes may repeat "
                "ones already used.\n\nIf you did not put an older copy back yourself, someone "
                "may have replaced the vault file: check your accounts, or restore a backup. "
                "This notice ends with your next change."
            )
            .replace("%1", str(rollback.revision))
            .replace("%2", str(rollback.highest))
        )
        self.backups_button = self.addButton(
            self.tr("Show &backups…"), QMessageBox.ButtonRole.ActionRole
        )
        self.ok_button = self.addButton(QMessageBox.StandardButton.Ok)
        self.setDefaultButton(self.ok_button)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.backups_button.clicked.connect(lambda _checked=False: show_backups())


def notice_rollback(vault: Vault, log: RevisionLog | None, main: MainWindow) -> None:
    """After an unlock: say so over `main` if the vault is older than a revision seen before
    (an old copy put back). `log` None: revisions are not remembered (the self-test)."""
    rollback = vault.track_revisions(log) if log is not None else None
    if rollback is not None:
        notice = RollbackNotice(main, rollback, main.transfer_flows.open_backups)
        main.dialogs.open("rollback", notice)
