"""The backups dialog (dates, sizes, counts behind the password; restore with confirmation) and
the extra backup folder (a copy after each change, the newest N kept, a visible error)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import shiboken6
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.core.account import Account
from app.core.secret import decode_base32
from app.ui.accounts.main_window import MainWindow
from app.ui.shell.controller import Controller
from app.ui.transfer.backups_dialog import BackupsDialog
from app.ui.transfer.extra_backup import ExtraBackup
from app.vault.backups import list_backups
from app.vault.kdf import KdfParams
from app.vault.store import Vault
from tests.ui.conftest import PASSWORD, WAIT_MS, unlock

SLACK = Account(secret=decode_base32("ONSWG4TFOQYTEMZU"), issuer="Slack", name="alice")


def delete_issuer(window: MainWindow, issuer: str) -> None:
    uuid = next(a.uuid for a in window.vault.content.accounts if a.issuer == issuer)
    window.editor.delete(uuid)
    assert issuer not in [a.issuer for a in window.vault.content.accounts]


def column(dialog: BackupsDialog, number: int) -> list[str]:
    return [
        dialog.table.topLevelItem(row).text(number)
        for row in range(dialog.table.topLevelItemCount())
    ]


def show_counts(qtbot: QtBot, dialog: BackupsDialog, password: str) -> None:
    dialog.password.setText(password)
    dialog.show_button.click()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)


def click(box: QMessageBox, text: str) -> None:
    button = next(b for b in box.buttons() if b.text() == text)
    button.click()


def test_backups_are_listed_counted_and_one_restores_a_removed_account(
    qtbot: QtBot, main_window: MainWindow
) -> None:
    delete_issuer(main_window, "Dropbox")
    main_window.window_actions["backups"].trigger()
    dialog: BackupsDialog = main_window.dialogs.current("backups")
    assert dialog.isVisible()
    backups = list_backups(main_window.vault.path)
    assert dialog.table.topLevelItemCount() == len(backups) >= 2
    assert set(column(dialog, 1)) == {"—"}  # counts wait for the password
    assert all(size.strip() for size in column(dialog, 2))
    assert not dialog.restore_button.isEnabled()

    show_counts(qtbot, dialog, "wrong password")
    assert "Wrong password" in dialog.error.text()
    assert set(column(dialog, 1)) == {"—"}
    show_counts(qtbot, dialog, PASSWORD)
    assert not dialog.password_box.isVisible()
    assert column(dialog, 1)[0] == "5"  # the newest: the vault just before the deletion
    assert dialog.password.text() == ""

    dialog.select_row(0)
    assert dialog.restore_button.isEnabled()
    box = dialog.restore_selected()
    assert box is not None
    assert "It holds 5 accounts" in box.informativeText()
    assert "The vault has 4 now" in box.informativeText()
    click(box, "Cancel")
    assert "Dropbox" not in [
        a.issuer for a in Vault.open(main_window.vault.path, PASSWORD).content.accounts
    ]

    box = dialog.restore_selected()
    assert box is not None
    click(box, "Restore")
    qtbot.waitUntil(lambda: "Restored" in dialog.status.text(), timeout=WAIT_MS)
    on_disk = Vault.open(main_window.vault.path, PASSWORD).content.accounts
    assert "Dropbox" in [a.issuer for a in on_disk]
    qtbot.waitUntil(lambda: main_window.model.rowCount() == 5, timeout=WAIT_MS)
    assert "Dropbox" in [a.issuer for a in main_window.model.accounts]
    assert main_window.toast.text == "Backup restored."
    # The vault as it was before the restore is now the newest backup: the restore can be undone.
    qtbot.waitUntil(lambda: not dialog.busy and column(dialog, 1)[:1] == ["4"], timeout=WAIT_MS)
    assert dialog.table.topLevelItemCount() == len(backups) + 1


def test_a_backup_from_before_a_password_change_asks_for_that_password(
    qtbot: QtBot, main_window: MainWindow
) -> None:
    delete_issuer(main_window, "Dropbox")
    main_window.vault.change_password("the new password", kdf=KdfParams.for_tests())
    main_window.window_actions["backups"].trigger()
    dialog: BackupsDialog = main_window.dialogs.current("backups")
    show_counts(qtbot, dialog, "the new password")  # right, though it opens no backup
    assert not dialog.error.isVisible()
    assert set(column(dialog, 1)) == {"other password"}
    assert "before the password was changed" in dialog.status.text()
    dialog.select_row(1)  # the vault before the deletion
    box = dialog.restore_selected()
    assert box is not None
    click(box, "Restore")
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)
    assert "password the vault had then" in dialog.error.text()
    assert dialog.password_box.isVisible()
    assert Vault.open(main_window.vault.path, "the new password")  # nothing changed

    show_counts(qtbot, dialog, PASSWORD)
    assert column(dialog, 1)[:2] == ["4", "5"]
    dialog.select_row(1)
    box = dialog.restore_selected()
    assert box is not None
    path = main_window.vault.path
    click(box, "Restore")
    # A password change made a new key, and the restored vault has the key of that time: the
    # open window cannot follow it and locks, to be unlocked with that password.
    qtbot.waitUntil(lambda: not shiboken6.isValid(main_window), timeout=WAIT_MS)
    restored = Vault.open(path, PASSWORD)  # the password it had then
    assert "Dropbox" in [a.issuer for a in restored.content.accounts]


def test_no_backups_yet_says_so(qtbot: QtBot, vault_path: Path, main_window: MainWindow) -> None:
    for info in list_backups(vault_path):
        info.path.unlink()
    dialog = main_window.transfer_flows.open_backups()
    assert not dialog.table.isVisible()
    assert dialog.empty_label.isVisible()
    assert "No backups yet" in dialog.empty_label.text()


def copies(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix == ".json")


def wait_copied(qtbot: QtBot, backup: ExtraBackup, made: int) -> None:
    qtbot.waitUntil(lambda: backup.copies_made >= made and not backup.busy, timeout=WAIT_MS)


def test_the_extra_folder_gets_a_copy_after_each_change(
    qtbot: QtBot, main_window: MainWindow, tmp_path: Path
) -> None:
    folder = tmp_path / "usb-stick"
    folder.mkdir()
    backup = main_window.extra_backup
    main_window.settings.extra_backup_copies = 2
    main_window.settings.extra_backup_folder = str(folder)
    wait_copied(qtbot, backup, 1)  # the vault as it is, as soon as the folder is chosen
    assert [p.read_bytes() for p in copies(folder)] == [main_window.vault.path.read_bytes()]

    main_window.editor.add_accounts([SLACK])
    wait_copied(qtbot, backup, 2)
    newest = backup.last_copy
    assert newest is not None
    assert newest in copies(folder)
    assert newest.read_bytes() == main_window.vault.path.read_bytes()
    restored = Vault.open(newest, PASSWORD)
    assert "Slack" in [a.issuer for a in restored.content.accounts]

    main_window.reload()  # no change: no new copy
    delete_issuer(main_window, "Slack")
    wait_copied(qtbot, backup, 3)
    assert len(copies(folder)) == 2  # the newest two are kept
    assert not list(folder.glob(".*.tmp"))
    assert not main_window.backup_banner.isVisible()


def test_a_missing_folder_is_a_visible_error_and_back_up_now_retries(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller], tmp_path: Path
) -> None:
    folder = tmp_path / "unplugged"
    controller = make_controller()
    controller.settings.extra_backup_folder = str(folder)
    window = unlock(qtbot, controller)
    window.show()
    backup = window.extra_backup
    qtbot.waitUntil(lambda: bool(backup.last_error), timeout=WAIT_MS)
    assert window.backup_banner.isVisible()
    assert "is not there" in window.backup_banner.text.text()
    assert not folder.exists()  # never created where a drive should be

    folder.mkdir()
    window.settings_flows.open_settings()
    box = window.dialogs.current("settings").backup_box
    assert box.folder.text() == str(folder)
    assert "is not there" in box.status.text()
    box.now_button.click()
    wait_copied(qtbot, backup, 1)
    assert not window.backup_banner.isVisible()
    assert len(copies(folder)) == 1
    assert "Last copy" in box.status.text()
    box.off_button.click()
    assert controller.settings.extra_backup_folder == ""
    window.editor.add_accounts([SLACK])
    assert not backup.busy  # turned off: no copy started
    assert len(copies(folder)) == 1
