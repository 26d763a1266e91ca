"""The main window's changes to its accounts, each one made by the Qt-free service tier.

Every change is one of the vault's account edits (app.vault.account_edits, the ones the CLI
makes too), applied by `AccountEditor` (app.vault.editor), which re-reads the file under the
OS lock, so a change made meanwhile by the CLI is kept. What is left here is the window's
part: the dialogs that ask for a change (edit, delete), the list shown again after each
write, a notice of what was done, and a failure said in a message box instead of raised.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox

from app.core.account import Account
from app.core.errors import KeyfobError
from app.ui.common.confirm import confirm
from app.ui.common.widgets import Toast
from app.vault.editor import AccountEditor

if TYPE_CHECKING:
    from app.ui.common.dialog_host import DialogHost
    from app.vault.account_edits import AddResult
    from app.vault.store import Vault

T = TypeVar("T")


class EditorWindow(Protocol):
    """What the editor needs of the window it works for."""

    @property
    def vault(self) -> Vault: ...
    @property
    def toast(self) -> Toast: ...

    def selected_account(self) -> Account | None: ...
    def reload(self) -> None: ...
    def select_account(self, uuid: str) -> None: ...
    def show_problem(self, text: str, details: str = "") -> QMessageBox: ...


class AccountEditing(QObject):
    """The account changes of one main window: `host`, over which `dialogs` opens."""

    def __init__(self, host: EditorWindow, dialogs: DialogHost) -> None:
        super().__init__(dialogs.window)
        self.host = host
        self.dialogs = dialogs
        self.service = AccountEditor(host.vault)  # every change to the accounts goes through it

    # --- the service tier, with failures said ----------------------------------------------

    def _write(self, change: Callable[[], T]) -> T | None:
        """Run one of the service's changes and show the vault again; None if it failed."""
        try:
            result = change()
        except KeyfobError as error:
            self.host.show_problem(self.tr("The change was not saved."), str(error))
            self.host.reload()
            return None
        self.host.reload()
        return result

    def note_use(self, uuid: str) -> None:
        """A code was used: its time waits in memory until the next write (no churn)."""
        self.service.note_use(uuid)

    def shown(self, accounts: list[Account]) -> list[Account]:
        return self.service.shown(accounts)

    def save_pending(self) -> None:
        """Save the last-used times that wait in memory (at a lock, or another write)."""
        if self.service.has_pending and not self.host.vault.is_locked:
            self._write(self.service.save_pending)

    def next_hotp(self, uuid: str) -> Account | None:
        return self._write(lambda: self.service.next_hotp(uuid))

    def update_fields(self, uuid: str, **changes: Any) -> bool:
        done = self._write(lambda: self.service.edit(uuid, changes) is not None)
        if done is False:
            self.host.show_problem(self.tr("That account is no longer in the vault."))
        return bool(done)

    def reorder(self, positions: dict[str, int]) -> None:
        self._write(lambda: self.service.reorder(positions))

    def delete(self, uuid: str) -> None:
        if self._write(lambda: self.service.remove(uuid) is not None):
            self.host.toast.show_message(self.tr("Account deleted."))

    def add_accounts(self, accounts: list[Account]) -> None:
        try:
            result = self.service.add(accounts)
        except KeyfobError as error:
            self.host.show_problem(self.tr("The accounts were not added."), str(error))
            return
        self.host.reload()
        self.host.toast.show_message(self._added_message(result), 3000)
        if result.added:
            self.host.select_account(result.added[-1].uuid)

    def _added_message(self, result: AddResult) -> str:
        added, duplicates = len(result.added), len(result.duplicates)
        if added == 1:
            message = self.tr("Added %1.").replace("%1", result.added[0].label)
        elif added:
            message = self.tr("Added %n accounts.", "", added)
        else:
            message = self.tr("Nothing was added.")
        if duplicates:
            message += " " + (
                self.tr("One was already in Keyfob and was skipped.")
                if duplicates == 1
                else self.tr("%n were already in Keyfob and were skipped.", "", duplicates)
            )
        return message

    # --- the selected account --------------------------------------------------------------

    def toggle_selected_favourite(self) -> None:
        account = self.host.selected_account()
        if account is not None:
            self.update_fields(account.uuid, favourite=not account.favourite)

    def edit_selected(self) -> None:
        account = self.host.selected_account()
        if account is None:
            return
        from app.ui.accounts.edit_dialog import EditDialog

        dialog = EditDialog(self.dialogs.window, account, self.host.vault.content.groups)
        dialog.saved.connect(lambda changes: self.update_fields(account.uuid, **changes))
        self.dialogs.open("edit", dialog)

    def delete_selected(self) -> QMessageBox | None:
        account = self.host.selected_account()
        if account is None:
            return None
        uuid = account.uuid
        box = confirm(
            self.dialogs.window,
            self.tr("Delete account"),
            self.tr("Delete %1?").replace("%1", account.label),
            self.tr("Delete"),
            lambda: self.delete(uuid),
            details=self.tr(
                "Its codes will no longer be available here. Turn off two-factor sign-in on "
                "the site first, or keep another way in. The previous vault stays in the "
                "backups."
            ),
            role=QMessageBox.ButtonRole.DestructiveRole,
            cancel_by_default=True,
        )
        return self.dialogs.keep("delete", box)
