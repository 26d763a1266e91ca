"""Settings shows where the vault is and moves it into a folder (a synced one, for several
computers): the app goes on with the vault there, unlocked, and follows that file; a folder
that holds a vault already is never written over, and opening that one is offered."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot

from app.ui.accounts.main_window import MainWindow
from app.ui.settings.settings_dialog import SettingsDialog
from app.ui.settings.vault_location import VaultLocationBox
from app.ui.shell.controller import Controller
from app.vault.backups import list_backups
from app.vault.kdf import KdfParams
from app.vault.preferences import Preferences
from app.vault.store import Vault
from tests.ui.conftest import PASSWORD, WAIT_MS, account, unlock


def location_box(main: MainWindow) -> VaultLocationBox:
    dialog = main.settings_flows.open_settings()
    assert isinstance(dialog, SettingsDialog)
    assert dialog.location_box is not None
    return dialog.location_box


def choose_folder(box: VaultLocationBox, folder: Path) -> None:
    dialog = box.choose_folder()
    assert isinstance(dialog, QFileDialog)
    dialog.setDirectory(str(folder.parent))
    dialog.selectFile(str(folder))
    dialog.accept()


def labels(main: MainWindow) -> list[str]:
    return [main.model.account(row).label for row in range(main.model.rowCount())]


def test_settings_move_the_vault_and_the_app_follows_it_there(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller], tmp_path: Path
) -> None:
    Preferences.default().set_vault_path(vault.path)  # as after a first start
    controller = make_controller()
    main = unlock(qtbot, controller)
    old, shown, backups = vault.path, labels(main), [b.name for b in list_backups(vault.path)]
    assert backups
    box = location_box(main)
    assert box.path_field.text() == str(old)
    folder = tmp_path / "Sync"
    folder.mkdir()

    choose_folder(box, folder)
    qtbot.waitUntil(
        lambda: controller.main_window is not None and controller.main_window is not main,
        timeout=WAIT_MS,
    )
    moved = controller.main_window
    assert moved is not None
    target = folder / "vault.json"
    assert controller.vault_path == target
    assert moved.vault.path == target
    assert moved.toast.isVisible()
    assert moved.toast.text == f"The vault is now in {folder}."
    assert moved.dialogs.current("problem") is None  # nothing left to do by hand
    assert labels(moved) == shown
    assert not old.exists()
    assert list_backups(old) == []
    assert [b.name for b in list_backups(target)] == backups  # moved along
    assert Preferences.default().vault_path == target
    # Settings shows the new place, and the app follows the file there.
    assert location_box(moved).path_field.text() == str(target)
    assert controller.watcher is not None
    assert controller.watcher.path == target
    Vault.open(target, PASSWORD).add_accounts([account("GitLab", "bob")])
    qtbot.waitUntil(lambda: "GitLab (bob)" in labels(moved), timeout=WAIT_MS)


def test_a_vault_named_on_the_command_line_is_moved_with_a_note(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller], tmp_path: Path
) -> None:
    controller = make_controller()  # its path is not the one Keyfob finds by itself
    main = unlock(qtbot, controller)
    (tmp_path / "Sync").mkdir()
    location_box(main).move_to(tmp_path / "Sync")
    qtbot.waitUntil(
        lambda: controller.main_window is not None and controller.main_window is not main,
        timeout=WAIT_MS,
    )
    moved = controller.main_window
    assert moved is not None
    problem = moved.dialogs.current("problem", QMessageBox)
    assert problem is not None
    assert "--vault or $KEYFOB_VAULT" in problem.informativeText()


def test_a_folder_that_holds_a_vault_offers_to_open_that_one(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller], tmp_path: Path
) -> None:
    there = Vault.create(tmp_path / "Sync" / "vault.json", "theirs", kdf=KdfParams.for_tests())
    ours, theirs = vault.path.read_bytes(), there.path.read_bytes()
    controller = make_controller()
    main = unlock(qtbot, controller)
    box = location_box(main)
    box.move_to(there.path.parent)
    qtbot.waitUntil(lambda: box.question is not None, timeout=WAIT_MS)
    question = box.question
    assert question is not None
    assert str(there.path) in question.informativeText()
    assert vault.path.read_bytes() == ours
    assert there.path.read_bytes() == theirs

    open_button = next(
        b for b in question.buttons() if b.text().replace("&", "") == "Open that vault"
    )
    open_button.click()
    assert controller.is_locked
    assert controller.vault_path == there.path
    assert controller.unlock_window is not None
    assert not controller.unlock_window.creating
    assert Preferences.default().vault_path == there.path
    assert vault.path.read_bytes() == ours  # ours stays where it was, as it was
    unlock(qtbot, controller, "theirs")


def test_a_move_that_cannot_be_done_is_said_in_the_box(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller]
) -> None:
    controller = make_controller()
    main = unlock(qtbot, controller)
    box = location_box(main)
    box.move_to(vault.path.parent)
    qtbot.waitUntil(lambda: not box.busy, timeout=WAIT_MS)
    assert box.status.text() == f"Not moved: the vault is in {vault.path.parent} already"
    assert controller.main_window is main
    assert vault.path.exists()
