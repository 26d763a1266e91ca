"""The main window's Settings and Change password, with what follows a password change (the
old backups: re-encrypt, delete or keep them), and the clock check at each unlock.

Each opens its dialog over `window` through the window's dialog host; what the window shows
afterwards (the clock's drift, a notice) comes back as a signal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from app.core.clock import Clock
    from app.ui.common.dialog_host import DialogHost
    from app.ui.common.settings import Settings
    from app.ui.settings.change_password import ChangePasswordDialog
    from app.ui.settings.settings_dialog import SettingsDialog
    from app.ui.transfer.extra_backup import ExtraBackup
    from app.vault.kdf import KdfParams
    from app.vault.rekey import OldBackup, RetiredKey
    from app.vault.store import Vault


class SettingsWindow(Protocol):
    """What the settings and password dialogs need of the main window."""

    @property
    def vault(self) -> Vault: ...
    @property
    def settings(self) -> Settings: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def extra_backup(self) -> ExtraBackup: ...
    @property
    def tray_available(self) -> bool: ...


class SettingsFlows(QObject):
    """The settings and password dialogs of one main window, `host`."""

    drift_measured = Signal(float)  # the settings dialog measured the clock against a server
    notice = Signal(str, int)  # (text, milliseconds) for the window's toast
    # Settings moves the vault (app.ui.settings.vault_location): while it does (True, then
    # False), what waits in memory is saved and the old file's going is no change to follow;
    # then the vault goes on at its new path (a relocate.Moved), or the vault found there
    # is to be opened instead (its path).
    vault_moving = Signal(bool)
    vault_moved = Signal(object)
    vault_chosen = Signal(object)

    def __init__(self, host: SettingsWindow, dialogs: DialogHost) -> None:
        super().__init__(dialogs.window)
        self.host = host
        self.dialogs = dialogs
        self.kdf: KdfParams | None = None  # a new password's KDF cost; None: the default

    def open_settings(self) -> SettingsDialog:
        from app.ui.settings.settings_dialog import SettingsDialog

        host = self.host
        dialog = SettingsDialog(
            self.dialogs.window,
            host.settings,
            host.clock,
            tray_available=host.tray_available,
            extra_backup=host.extra_backup,
            vault=host.vault,
        )
        dialog.drift_measured.connect(self.drift_measured)
        if dialog.location_box is not None:
            dialog.location_box.moving.connect(self.vault_moving)
            dialog.location_box.moved.connect(self.vault_moved)
            dialog.location_box.chosen.connect(self.vault_chosen)
        return self.dialogs.open("settings", dialog)

    def check_clock(self) -> None:
        """With a clock-check address set, measure the drift (`drift_measured`) once."""
        url = self.host.settings.time_check_url
        if not url:
            return
        from app.ui.settings.time_check import TimeCheck

        check = TimeCheck(self.dialogs.window)
        check.finished.connect(self.drift_measured)
        check.check(url)

    def open_change_password(self) -> ChangePasswordDialog:
        from app.ui.settings.change_password import ChangePasswordDialog
        from app.vault.extra_backup import copies_of_vault

        vault, folder = self.host.vault, self.host.extra_backup.folder
        dialog = ChangePasswordDialog(
            self.dialogs.window,
            vault,
            kdf=self.kdf,
            extra_copies=lambda: copies_of_vault(folder, vault.path, vault.vault_id),
        )
        dialog.changed.connect(self._password_changed)
        return self.dialogs.open("change-password", dialog)

    def _password_changed(self, retired: RetiredKey, old: list[OldBackup]) -> None:
        self.host.extra_backup.vault_changed()  # a copy under the new key in the extra folder
        if not old:
            retired.forget()
            self.notice.emit(self.tr("Password changed."), 3000)
            return
        from app.ui.transfer.old_backups_dialog import OldBackupsDialog

        dialog = OldBackupsDialog(self.dialogs.window, retired, old)
        dialog.handled.connect(lambda text: self.notice.emit(text, 5000))
        self.dialogs.open("old-backups", dialog)
