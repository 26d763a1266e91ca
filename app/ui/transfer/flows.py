"""Moving accounts from the main window: import, export, transfer to phone, backups.

Each opens its dialog over `window` through the window's dialog host; what comes back for
the window (accounts imported, a backup restored) is a signal. The dialogs load when first
opened, not at start.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from app.core.errors import KeyfobError

if TYPE_CHECKING:
    from app.ui.common.dialog_host import DialogHost
    from app.ui.common.password_gate import PasswordGate
    from app.ui.transfer.backups_dialog import BackupsDialog
    from app.ui.transfer.export_dialog import ExportDialog
    from app.ui.transfer.import_wizard import ImportWizard
    from app.vault.store import Vault


class TransferFlows(QObject):
    """The moving-accounts dialogs of one main window."""

    imported = Signal(list)  # (list[Account]) what an import added
    restored = Signal()  # a backup became the vault file, and the vault shows it
    lock_requested = Signal()  # the restored vault has another key: only a new unlock opens it
    problem = Signal(str, str)  # (text, details) the restored vault cannot be read

    def __init__(self, vault: Vault, dialogs: DialogHost) -> None:
        super().__init__(dialogs.window)
        self.vault = vault
        self.dialogs = dialogs

    def open_import(self, files: list[Path] | None = None) -> ImportWizard:
        from app.ui.transfer.import_wizard import ImportWizard

        wizard = ImportWizard(self.dialogs.window, self.vault)
        wizard.imported.connect(self.imported)
        self.dialogs.open("import", wizard)
        if files:
            wizard.take_files(files)
        return wizard

    def open_export(self) -> ExportDialog:
        from app.ui.transfer.export_dialog import ExportDialog

        return self.dialogs.open("export", ExportDialog(self.dialogs.window, self.vault))

    def open_phone_transfer(self) -> PasswordGate:
        from app.ui.common.password_gate import PasswordGate

        gate = PasswordGate(
            self.dialogs.window,
            self.vault,
            self.tr("Enter the vault password to show your accounts as QR codes for a phone."),
            self.tr("Show codes"),
        )
        gate.confirmed.connect(self._show_phone_transfer)
        return self.dialogs.open("phone-password", gate)

    def _show_phone_transfer(self) -> None:
        from app.ui.transfer.phone_transfer import PhoneTransferDialog

        if self.vault.is_locked:  # locked while the password was checked
            return
        self.dialogs.open(
            "phone", PhoneTransferDialog(self.dialogs.window, self.vault.content.accounts)
        )

    def open_backups(self) -> BackupsDialog:
        from app.ui.transfer.backups_dialog import BackupsDialog

        vault = self.vault
        dialog = BackupsDialog(
            self.dialogs.window, vault.path, current_count=lambda: len(vault.content.accounts)
        )
        dialog.restored.connect(self._backup_restored)
        return self.dialogs.open("backups", dialog)

    def _backup_restored(self) -> None:
        """A backup became the vault file: show it (or unlock again if it has another key)."""
        from app.vault.errors import VaultConflictError

        try:
            self.vault.refresh()
        except VaultConflictError:
            self.lock_requested.emit()
            return
        except KeyfobError as error:
            self.problem.emit(self.tr("The restored vault cannot be read."), str(error))
            return
        self.restored.emit()
