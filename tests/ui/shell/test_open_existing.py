"""The second computer's first start: "Open an existing vault…" beside "Create vault". A file
that is no vault is refused with a line; a vault is remembered (the CLI opens it too) and
unlocked, and the app follows that file from then on."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from app.ui.common.warning_box import WarningBox
from app.ui.shell.controller import Controller
from app.vault.kdf import KdfParams
from app.vault.paths import CONFIG_ENV
from app.vault.preferences import Preferences
from app.vault.store import Vault
from tests.ui.app_process import AppProcess, app_environment
from tests.ui.conftest import PASSWORD, SAMPLE, WAIT_MS, account, unlock

KEYFOB = str(Path(sys.executable).with_name("keyfob"))


def choose(dialog: QFileDialog, path: Path) -> None:
    """Pick `path` in the file dialog, as a user does."""
    dialog.selectFile(str(path))
    dialog.accept()


def synced_vault(tmp_path: Path) -> Vault:
    vault = Vault.create(
        tmp_path / "Sync" / "Keyfob" / "vault.json", PASSWORD, kdf=KdfParams.for_tests()
    )
    vault.add_accounts(SAMPLE)
    return vault


def test_first_start_opens_an_existing_vault_and_remembers_it(
    qtbot: QtBot, make_controller: Callable[..., Controller], tmp_path: Path
) -> None:
    synced = synced_vault(tmp_path)
    controller = make_controller()  # no vault at its path: the first start
    window = controller.unlock_window
    assert window is not None
    assert window.creating

    notes = tmp_path / "Sync" / "Keyfob" / "notes.json"
    notes.write_text("shopping list\n")
    choose(window.open_existing(), notes)
    assert window.open_error.text() == (
        "“notes.json” was not opened: not a Keyfob vault (the file is not JSON)."
    )
    assert controller.unlock_window is window  # still the first start, nothing remembered
    assert Preferences.default().vault_path is None

    choose(window.open_existing(), synced.path)
    unlock_window = controller.unlock_window
    assert unlock_window is not None
    assert unlock_window is not window
    assert not unlock_window.creating
    assert unlock_window.vault_path == synced.path
    assert Preferences.default().vault_path == synced.path

    main = unlock(qtbot, controller)
    assert main.model.rowCount() == len(SAMPLE)
    assert controller.watcher is not None
    assert controller.watcher.path == synced.path
    # The app follows that file: what another computer saves there shows up.
    Vault.open(synced.path, PASSWORD).add_accounts([account("GitLab", "bob")])
    qtbot.waitUntil(
        lambda: any(
            main.model.account(row).issuer == "GitLab" for row in range(main.model.rowCount())
        ),
        timeout=WAIT_MS,
    )

    # The CLI opens the same vault now, without --vault or $KEYFOB_VAULT.
    password_file = tmp_path / "password.txt"
    password_file.write_text(PASSWORD + "\n")
    password_file.chmod(0o600)
    listed = subprocess.run(
        [KEYFOB, "list"],
        capture_output=True,
        text=True,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(tmp_path / "home"),
            CONFIG_ENV: os.environ[CONFIG_ENV],
            "KEYFOB_PASSWORD_FILE": str(password_file),
        },
        timeout=60,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    assert "GitLab" in listed.stdout
    assert "Microsoft" in listed.stdout


def test_the_unlock_window_opens_another_vault(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller], tmp_path: Path
) -> None:
    other = Vault.create(
        tmp_path / "other" / "vault.json", "other password", kdf=KdfParams.for_tests()
    )
    other.add_accounts([account("Only in the other vault")])
    controller = make_controller()
    window = controller.unlock_window
    assert window is not None
    assert not window.creating
    choose(window.open_existing(), other.path)
    assert controller.vault_path == other.path
    main = unlock(qtbot, controller, "other password")
    assert [main.model.account(0).issuer] == ["Only in the other vault"]


def test_a_vault_chosen_before_and_gone_is_said_at_the_first_window(
    make_controller: Callable[..., Controller], vault_path: Path
) -> None:
    Preferences.default().set_vault_path(vault_path)  # chosen before; not synced here yet
    controller = make_controller()
    window = controller.unlock_window
    assert window is not None
    assert window.creating
    notes = [box.body.text() for box in window.findChildren(WarningBox)]
    assert any("no longer at its place" in text for text in notes)


def test_a_later_start_finds_the_keyfob_that_opened_an_existing_vault(tmp_path: Path) -> None:
    synced = synced_vault(tmp_path)
    password_file = tmp_path / "password.txt"
    password_file.write_text(PASSWORD + "\n")
    runtime = Path(tempfile.mkdtemp(prefix="kf-"))  # short: a socket path fits
    runtime.chmod(0o700)
    env = app_environment(tmp_path, runtime)
    app = AppProcess(password_file, env, "--open-existing", str(synced.path))
    try:
        assert app.wait_for("unlocked")["vault"] == str(synced.path)
        # A link clicked later starts `keyfob`, which now resolves the vault chosen: it finds
        # the Keyfob running on it and hands over, rather than starting a second one.
        later = subprocess.run(
            [KEYFOB], env=env, capture_output=True, text=True, timeout=30, check=False
        )
        assert later.returncode == 0, later.stderr
        assert app.wait_for("request")["links"] == 0
    finally:
        app.quit()
        shutil.rmtree(runtime, ignore_errors=True)
