"""Changing the password from the menu, dealing with the backups the old password opens, and
the notice after an unlock that found an older vault than one seen before."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.core.account import Account
from app.ui.accounts.main_window import MainWindow
from app.ui.settings.change_password import ChangePasswordDialog
from app.ui.shell.controller import Controller
from app.ui.shell.rollback_notice import RollbackNotice
from app.ui.transfer.old_backups_dialog import OldBackupsDialog
from app.vault.backups import list_backups
from app.vault.kdf import KdfParams
from app.vault.revisions import RevisionLog
from app.vault.store import Vault
from tests.ui.conftest import PASSWORD, SAMPLE, WAIT_MS, unlock
from tests.vault_checks import opens_with

NEW = "four unrelated words here"


def open_dialog(window: MainWindow) -> ChangePasswordDialog:
    assert window.window_actions["password"] in window.main_menu.actions()
    window.window_actions["password"].trigger()
    dialog: ChangePasswordDialog = window.dialogs.current("change-password")
    assert dialog.isVisible()
    return dialog


def fill(dialog: ChangePasswordDialog, current: str, new: str, repeat: str | None = None) -> None:
    dialog.current.setText(current)
    dialog.password.setText(new)
    dialog.confirm.setText(new if repeat is None else repeat)


def change(qtbot: QtBot, window: MainWindow, new: str = NEW) -> OldBackupsDialog:
    dialog = open_dialog(window)
    fill(dialog, PASSWORD, new)
    dialog.button.click()
    qtbot.waitUntil(lambda: window.dialogs.current("old-backups") is not None, timeout=WAIT_MS)
    old: OldBackupsDialog = window.dialogs.current("old-backups")
    assert old.isVisible()
    return old


def apply(qtbot: QtBot, dialog: OldBackupsDialog) -> None:
    dialog.ok_button.click()
    qtbot.waitUntil(
        lambda: not shiboken6.isValid(dialog) or not dialog.isVisible(), timeout=WAIT_MS
    )


def test_the_dialog_checks_what_is_typed(qtbot: QtBot, main_window: MainWindow) -> None:
    dialog = open_dialog(main_window)
    assert not dialog.button.isEnabled()
    fill(dialog, PASSWORD, "password1")
    assert "Very weak" in dialog.strength_label.text()
    assert dialog.meter._score == 0
    fill(dialog, PASSWORD, NEW, repeat="four unrelated words there")
    assert "do not match" in dialog.mismatch.text()
    assert not dialog.button.isEnabled()
    dialog.confirm.setText(NEW)
    assert dialog.meter._score >= 3
    assert dialog.button.isEnabled()


def test_a_wrong_current_password_changes_nothing(qtbot: QtBot, main_window: MainWindow) -> None:
    before = main_window.vault.path.read_bytes()
    dialog = open_dialog(main_window)
    fill(dialog, "not the password", NEW)
    dialog.button.click()
    assert dialog.busy
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)
    assert "current password is wrong" in dialog.error.text()
    assert dialog.isVisible()
    assert main_window.vault.path.read_bytes() == before


def test_change_then_re_encrypt_the_old_backups(qtbot: QtBot, main_window: MainWindow) -> None:
    path = main_window.vault.path
    old = change(qtbot, main_window)

    assert opens_with(path, NEW)
    assert not opens_with(path, PASSWORD)
    backups = list_backups(path)
    assert len(old.backups) == len(backups) >= 2  # the sample's save and the change's own
    assert old.title.text() == f"{len(backups)} backups still open with the old password"
    assert old.reencrypt.isChecked()  # the recommended choice
    assert not old.keep_warning.isVisible()

    apply(qtbot, old)

    for backup in list_backups(path):
        assert opens_with(backup.path, NEW)
        assert not opens_with(backup.path, PASSWORD)
    assert "re-encrypted with the new password" in main_window.toast.text
    assert [a.issuer for a in main_window.vault.content.accounts] == [a.issuer for a in SAMPLE]
    main_window.editor.add_accounts([Account(secret=b"0123456789", issuer="After")])
    assert "After" in [a.issuer for a in Vault.open(path, NEW).content.accounts]


def test_change_then_delete_the_old_backups(qtbot: QtBot, main_window: MainWindow) -> None:
    old = change(qtbot, main_window)
    files = [b.path for b in old.backups]
    old.delete.setChecked(True)
    assert old.ok_button.text() == "Delete"
    apply(qtbot, old)
    assert not any(path.exists() for path in files)
    assert list_backups(main_window.vault.path) == []
    assert "old backups deleted" in main_window.toast.text


def test_keeping_them_warns_first(qtbot: QtBot, main_window: MainWindow) -> None:
    old = change(qtbot, main_window)
    retired = old._retired
    old.keep.setChecked(True)
    assert old.keep_warning.isVisible()
    assert "keep opening with the old password" in old.keep_warning.body.text()
    apply(qtbot, old)
    assert all(opens_with(b.path, PASSWORD) for b in list_backups(main_window.vault.path))
    assert "still open with the old password" in main_window.toast.text
    assert retired._forgotten  # the old key does not outlive the dialog


def test_the_extra_folders_copies_are_re_encrypted_too(
    qtbot: QtBot, main_window: MainWindow, tmp_path: Path
) -> None:
    folder = tmp_path / "usb-stick"
    folder.mkdir()
    backup = main_window.extra_backup
    main_window.settings.extra_backup_folder = str(folder)
    qtbot.waitUntil(lambda: backup.copies_made >= 1 and not backup.busy, timeout=WAIT_MS)
    copy = backup.last_copy
    assert copy is not None
    assert opens_with(copy, PASSWORD)

    old = change(qtbot, main_window)
    assert copy in [b.path for b in old.backups]
    apply(qtbot, old)

    assert opens_with(copy, NEW)
    assert not opens_with(copy, PASSWORD)
    qtbot.waitUntil(lambda: backup.copies_made >= 2 and not backup.busy, timeout=WAIT_MS)
    assert backup.last_copy is not None
    assert opens_with(backup.last_copy, NEW)  # and the vault as it is now, copied


def test_a_password_change_elsewhere_asks_for_the_new_password(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller]
) -> None:
    controller = make_controller()
    unlock(qtbot, controller)
    Vault.open(vault.path, PASSWORD).change_password(NEW, kdf=KdfParams.for_tests()).forget()

    controller.vault_changed()  # what the file watcher calls

    assert controller.is_locked
    window = controller.unlock_window
    assert window is not None
    assert "password of the vault" in window.error.text()
    assert "was changed" in window.error.text()
    unlock(qtbot, controller, NEW)


# --- rollback -------------------------------------------------------------------------------


@pytest.fixture
def log(tmp_path: Path) -> RevisionLog:
    return RevisionLog(tmp_path / "state")


def test_an_older_vault_put_back_is_shown_after_unlock(
    qtbot: QtBot,
    vault: Vault,
    make_controller: Callable[..., Controller],
    log: RevisionLog,
    tmp_path: Path,
) -> None:
    older = tmp_path / "older.json"
    shutil.copy(vault.path, older)
    controller = make_controller(revision_log=log)
    window = unlock(qtbot, controller)
    assert controller.main_window.dialogs.current("rollback") is None
    window.editor.delete(window.vault.content.accounts[0].uuid)
    controller.lock()

    shutil.copy(older, vault.path)  # the deleted account is back
    window = unlock(qtbot, controller)

    notice = controller.main_window.dialogs.current("rollback")
    assert isinstance(notice, RollbackNotice)
    assert notice.isVisible()
    assert notice.icon() == QMessageBox.Icon.Warning
    assert "older than a version Keyfob has seen" in notice.text()
    assert "deleted since may be back" in notice.informativeText()
    notice.backups_button.click()
    qtbot.waitUntil(lambda: window.dialogs.current("backups") is not None, timeout=WAIT_MS)
    assert window.dialogs.current("backups").isVisible()


def test_no_notice_after_a_restore_made_on_purpose(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller], log: RevisionLog
) -> None:
    controller = make_controller(revision_log=log)
    window = unlock(qtbot, controller)
    window.editor.delete(window.vault.content.accounts[0].uuid)
    window.editor.delete(window.vault.content.accounts[0].uuid)
    dialog = window.transfer_flows.open_backups()
    dialog.password.setText(PASSWORD)
    dialog.show_button.click()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)
    dialog.select_row(dialog.table.topLevelItemCount() - 1)  # the oldest
    box = dialog.restore_selected()
    assert box is not None
    next(b for b in box.buttons() if b.text() == "Restore").click()
    qtbot.waitUntil(lambda: "Restored" in dialog.status.text(), timeout=WAIT_MS)
    controller.lock()

    unlock(qtbot, controller)

    assert controller.main_window.dialogs.current("rollback") is None
