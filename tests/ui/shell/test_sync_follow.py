"""One vault on several computers, in the desktop app: what another Keyfob or a sync tool
writes beside the open vault is merged while the app runs and said in a notice; the list
keeps its search and selection; copies under another password are asked for once; files
left alone are reported once. The real vault on disk, the real file watcher."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from pytestqt.qtbot import QtBot

from app.ui.accounts.main_window import MainWindow
from app.ui.shell.controller import Controller
from app.ui.shell.copy_password import CopyPasswordDialog
from app.vault.backups import backups_dir
from app.vault.kdf import KdfParams
from app.vault.store import Vault
from tests.ui.conftest import PASSWORD, WAIT_MS, account, unlock

SYNCTHING_COPY = "vault.sync-conflict-20261204-101010-ABCDEF7.json"
DROPBOX_COPY = "vault (Bob's conflicted copy 2026-12-04).json"


def other_computer(vault_path: Path, folder: Path) -> Vault:
    """The same vault on another computer: a replica of the file, opened there."""
    replica = folder / "vault.json"
    replica.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(vault_path, replica)
    return Vault.open(replica, PASSWORD)


def sync_in(source: Path, vault_path: Path, name: str) -> Path:
    """What a sync tool does: the other computer's file written under a temporary name beside
    the vault, then renamed to the conflict copy's name."""
    target = vault_path.parent / name
    temporary = vault_path.parent / f".syncthing.{name}.tmp"
    temporary.write_bytes(source.read_bytes())
    os.replace(temporary, target)
    return target


def labels(main: MainWindow) -> list[str]:
    return [main.model.account(row).label for row in range(main.model.rowCount())]


def toast_says(main: MainWindow, *words: str) -> bool:
    return main.toast.isVisible() and all(word in main.toast.text for word in words)


def test_changes_saved_elsewhere_are_merged_and_said_keeping_search_and_selection(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller]
) -> None:
    main = unlock(qtbot, make_controller())
    qtbot.keyClicks(main.search, "alice")
    main.select_account(next(a.uuid for a in vault.content.accounts if a.issuer == "Microsoft"))
    shown = labels(main)
    dropbox = next(a for a in vault.content.accounts if a.issuer == "Dropbox")

    elsewhere = Vault.open(vault.path, PASSWORD)  # another Keyfob: the CLI, or a sync tool
    elsewhere.add_accounts([account("Forgejo", "alice@forge.example", "GEZDGNBVGY3TQOJR")])
    elsewhere.update_account(replace(dropbox, name="alice.renamed"))

    qtbot.waitUntil(
        lambda: toast_says(
            main, "Merged changes from another Keyfob", "1 account added", "1 account changed"
        ),
        timeout=WAIT_MS,
    )
    assert "Forgejo (alice@forge.example)" in labels(main)
    assert "Dropbox (alice.renamed)" in labels(main)
    assert len(labels(main)) == len(shown) + 1
    # What the user was doing is as it was: the search, and the account they had selected.
    assert main.search.text() == "alice"
    assert main.model.filter_active
    selected = main.selected_account()
    assert selected is not None
    assert selected.issuer == "Microsoft"


def test_a_conflict_copy_that_appears_is_merged_said_and_kept_in_backups(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller], tmp_path: Path
) -> None:
    main = unlock(qtbot, make_controller())
    replica = other_computer(vault.path, tmp_path / "laptop")
    replica.add_accounts([account("GitLab", "alice@gitlab.example", "GEZDGNBVGY3TQOJS")])
    copy = sync_in(replica.path, vault.path, SYNCTHING_COPY)

    qtbot.waitUntil(lambda: "GitLab (alice@gitlab.example)" in labels(main), timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: toast_says(main, "Merged the Syncthing conflict copy", "1 account added"),
        timeout=WAIT_MS,
    )
    assert not copy.exists()
    assert (backups_dir(vault.path) / f"conflict-{SYNCTHING_COPY}").read_bytes() == (
        replica.path.read_bytes()
    )
    assert "GitLab" in {a.issuer for a in Vault.open(vault.path, PASSWORD).content.accounts}


def test_a_conflict_copy_found_at_unlock_is_merged_then(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller], tmp_path: Path
) -> None:
    replica = other_computer(vault.path, tmp_path / "laptop")
    replica.add_accounts([account("GitLab", "alice@gitlab.example", "GEZDGNBVGY3TQOJS")])
    copy = sync_in(replica.path, vault.path, DROPBOX_COPY)
    main = unlock(qtbot, make_controller())
    assert "GitLab (alice@gitlab.example)" in labels(main)
    assert toast_says(main, "Merged the Dropbox conflict copy", "1 account added")
    assert not copy.exists()


def password_dialog(main: MainWindow) -> CopyPasswordDialog | None:
    dialog = main.dialogs.current("conflict-password", CopyPasswordDialog)
    return dialog if dialog is not None and dialog.isVisible() else None


def test_a_copy_under_another_password_is_asked_for_until_right_then_merged(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller], tmp_path: Path
) -> None:
    controller = make_controller()
    main = unlock(qtbot, controller)
    replica = other_computer(vault.path, tmp_path / "laptop")
    replica.change_password("the laptop's new password", kdf=KdfParams.for_tests())
    replica.add_accounts([account("GitLab", "alice@gitlab.example", "GEZDGNBVGY3TQOJS")])
    copy = sync_in(replica.path, vault.path, SYNCTHING_COPY)

    qtbot.waitUntil(lambda: password_dialog(main) is not None, timeout=WAIT_MS)
    dialog = password_dialog(main)
    assert dialog is not None
    assert dialog.copy.path == copy
    assert dialog.copy.tool == "Syncthing"
    dialog.password.setText(PASSWORD)  # this vault's password: not the copy's
    dialog.check()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)
    assert dialog.error.text() == "Wrong password. Try again."
    assert dialog.isVisible()
    assert copy.exists()

    controller.vault_changed()  # the folder changes again meanwhile: no second dialog
    assert password_dialog(main) is dialog

    dialog.password.setText("the laptop's new password")
    dialog.check()
    qtbot.waitUntil(lambda: "GitLab (alice@gitlab.example)" in labels(main), timeout=WAIT_MS)
    assert toast_says(main, "Merged the Syncthing conflict copy", "1 account added")
    assert password_dialog(main) is None
    assert not copy.exists()
    # Merged into this vault, which keeps its own password.
    reopened = Vault.open(vault.path, PASSWORD)
    assert "GitLab" in {a.issuer for a in reopened.content.accounts}


def test_not_now_means_not_asked_again_in_this_run(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller], tmp_path: Path
) -> None:
    controller = make_controller()
    main = unlock(qtbot, controller)
    replica = other_computer(vault.path, tmp_path / "laptop")
    replica.change_password("the laptop's new password", kdf=KdfParams.for_tests())
    copy = sync_in(replica.path, vault.path, DROPBOX_COPY)
    qtbot.waitUntil(lambda: password_dialog(main) is not None, timeout=WAIT_MS)
    dialog = password_dialog(main)
    assert dialog is not None
    dialog.later_button.click()
    assert password_dialog(main) is None

    vault.add_accounts([account("Figma", "alice", "GEZDGNBVGY3TQOJT")])  # more changes
    qtbot.waitUntil(lambda: "Figma (alice)" in labels(main), timeout=WAIT_MS)
    controller.vault_changed()
    again = unlock(qtbot, lock(controller))  # and a lock and unlock
    assert password_dialog(again) is None
    assert copy.exists()  # left beside the vault, for the next start (or `keyfob merge`)


def lock(controller: Controller) -> Controller:
    controller.lock()
    return controller


def test_a_copy_of_another_vault_is_left_alone_and_reported_once(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller], tmp_path: Path
) -> None:
    controller = make_controller()
    main = unlock(qtbot, controller)
    stranger = Vault.create(tmp_path / "stranger" / "vault.json", "x", kdf=KdfParams.for_tests())
    copy = sync_in(stranger.path, vault.path, DROPBOX_COPY)

    qtbot.waitUntil(
        lambda: main.dialogs.current("conflict-left-alone") is not None, timeout=WAIT_MS
    )
    box = main.dialogs.current("conflict-left-alone")
    assert box is not None
    assert DROPBOX_COPY in box.text()  # type: ignore[attr-defined]
    assert "another Keyfob vault" in box.informativeText()  # type: ignore[attr-defined]
    box.close()
    qtbot.waitUntil(lambda: main.dialogs.current("conflict-left-alone") is None, timeout=WAIT_MS)

    vault.add_accounts([account("Figma", "alice", "GEZDGNBVGY3TQOJT")])
    qtbot.waitUntil(lambda: "Figma (alice)" in labels(main), timeout=WAIT_MS)
    controller.vault_changed()
    assert main.dialogs.current("conflict-left-alone") is None
    assert copy.read_bytes() == stranger.path.read_bytes()
