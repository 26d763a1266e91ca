"""First run creates the vault; later runs unlock it; a wrong password says so."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from app.__main__ import wants_desktop
from app.ui.shell.controller import Controller
from app.ui.shell.main import parse_arguments
from app.vault.store import Vault
from tests.ui.conftest import PASSWORD, WAIT_MS, unlock


def test_first_run_creates_the_vault(
    qtbot: QtBot, make_controller: Callable[..., Controller], vault_path: Path
) -> None:
    controller = make_controller()
    window = controller.unlock_window
    assert window is not None
    assert window.creating
    assert window.isVisible()
    labels = [label.text() for label in window.findChildren(QLabel)]
    assert any("cannot be recovered" in text for text in labels)
    assert window.confirm is not None
    assert window.strength_label is not None

    window.password.setText("tulip")
    assert "weak" in window.strength_label.text().lower()
    window.password.setText("violet staple quantum harbour")
    assert "strong" in window.strength_label.text().lower()
    window.confirm.setText("violet staple quantum harbor")
    assert not window.button.isEnabled()
    assert window.mismatch is not None
    assert window.mismatch.isVisible()
    window.confirm.setText("violet staple quantum harbour")
    assert window.button.isEnabled()
    assert not window.mismatch.isVisible()

    window.button.click()
    qtbot.waitUntil(lambda: controller.main_window is not None, timeout=WAIT_MS)
    assert vault_path.exists()
    main = controller.main_window
    assert main is not None
    assert main.isVisible()
    assert main.pages.currentIndex() == 1  # the "no accounts yet" page
    # The vault really opens with that password.
    assert Vault.open(vault_path, "violet staple quantum harbour").content.accounts == []


def test_wrong_password_says_so_and_allows_a_retry(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller]
) -> None:
    controller = make_controller()
    window = controller.unlock_window
    assert window is not None
    assert not window.creating
    window.password.setText("not the password")
    window.submit()
    qtbot.waitUntil(window.error.isVisible, timeout=WAIT_MS)
    assert "Wrong password" in window.error.text()
    assert controller.main_window is None
    assert window.isVisible()
    assert window.password.isEnabled()
    window.password.setText("x")  # typing again clears the message
    assert not window.error.isVisible()
    main = unlock(qtbot, controller)
    assert main.model.rowCount() == len(vault.content.accounts)
    assert controller.unlock_window is None


def test_enter_in_the_password_field_unlocks(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller]
) -> None:
    controller = make_controller()
    window = controller.unlock_window
    assert window is not None
    qtbot.keyClicks(window.password, PASSWORD)
    qtbot.keyClick(window.password, "\r")
    qtbot.waitUntil(lambda: controller.main_window is not None, timeout=WAIT_MS)


def test_vault_path_comes_from_the_option_then_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.vault.paths import resolve_vault_path

    assert parse_arguments(["--vault", str(tmp_path / "a.json")]).vault == str(tmp_path / "a.json")
    monkeypatch.setenv("KEYFOB_VAULT", str(tmp_path / "env.json"))
    assert resolve_vault_path(parse_arguments([]).vault) == tmp_path / "env.json"
    links = parse_arguments(["otpauth://totp/X?secret=JBSWY3DPEHPK3PXP", "-platform", "xcb"])
    assert links.uris == ["otpauth://totp/X?secret=JBSWY3DPEHPK3PXP"]


def test_an_otpauth_link_on_the_command_line_is_offered_after_unlock(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller]
) -> None:
    link = "otpauth://totp/Linked:bob?secret=GEZDGNBVGY3TQOJQ&issuer=Linked"
    controller = make_controller(uris=[link])
    main = unlock(qtbot, controller)
    dialog = main.adding.dialog
    assert dialog is not None
    assert [f.account.issuer for f in dialog.harvest.found] == ["Linked"]


def test_dispatch_desktop_or_cli() -> None:
    assert wants_desktop([])
    assert wants_desktop(["--vault", "x.json"])
    assert wants_desktop(["--vault=x.json", "otpauth://totp/A?secret=JBSWY3DPEHPK3PXP"])
    assert not wants_desktop(["list"])
    assert not wants_desktop(["--vault", "x.json", "code", "git"])
    assert not wants_desktop(["--help"])


def test_the_cli_path_never_imports_qt(tmp_path: Path) -> None:
    code = (
        "import sys; from app.__main__ import main; main(['--version']); "
        "print(any(m.startswith(('PySide6', 'shiboken6', 'app.ui')) for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[3],
        env={**os.environ, "HOME": str(tmp_path)},
        timeout=60,
    )
    assert result.stdout.strip().endswith("False")
