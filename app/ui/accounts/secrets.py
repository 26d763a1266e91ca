"""An account's secret behind the vault password: its QR code, or its setup key shown.

The password is asked again even though the vault is open: someone at an unlocked computer
can read codes, but should not be able to carry the account away.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject

if TYPE_CHECKING:
    from app.core.account import Account
    from app.ui.common.clipboard import SecretClipboard
    from app.ui.common.dialog_host import DialogHost
    from app.vault.store import Vault


class SecretWindow(Protocol):
    """What showing a secret needs of the main window."""

    @property
    def vault(self) -> Vault: ...
    @property
    def clipboard(self) -> SecretClipboard: ...

    def selected_account(self) -> Account | None: ...


class SecretFlow(QObject):
    """Password first, then the secret of the account selected in `host` when asked."""

    def __init__(self, host: SecretWindow, dialogs: DialogHost) -> None:
        super().__init__(dialogs.window)
        self.host = host
        self.dialogs = dialogs

    def show_selected_qr(self) -> None:
        self._with_password(lambda account: self._open_secret(account, show_qr=True))

    def reveal_selected_secret(self) -> None:
        self._with_password(lambda account: self._open_secret(account, show_qr=False))

    def _with_password(self, then: Callable[[Account], None]) -> None:
        account = self.host.selected_account()
        if account is None:
            return
        from app.ui.common.password_gate import PasswordGate

        vault = self.host.vault
        gate = PasswordGate(
            self.dialogs.window,
            vault,
            self.tr("Enter the vault password to see this account's secret."),
        )
        # A lock may come while the password is checked: then the answer shows nothing.
        gate.confirmed.connect(lambda: None if vault.is_locked else then(account))
        self.dialogs.open("password", gate)

    def _open_secret(self, account: Account, *, show_qr: bool) -> None:
        from app.ui.common.secret_dialog import SecretDialog

        copy = self.host.clipboard.copy
        dialog = SecretDialog(self.dialogs.window, account, show_qr=show_qr, copy=copy)
        self.dialogs.open("secret", dialog)
