"""The main window's dialogs: one add window however often it is asked for, and a closed
dialog is gone (a secret shown in it does not stay in memory behind the window)."""

from __future__ import annotations

import shiboken6
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from app.ui.accounts.main_window import MainWindow
from app.ui.common.password_gate import PasswordGate
from app.ui.common.secret_dialog import SecretDialog
from tests.ui.conftest import PASSWORD, WAIT_MS


def test_asking_again_brings_back_the_open_add_window(
    qtbot: QtBot, main_window: MainWindow
) -> None:
    first = main_window.adding.open()
    main_window.window_actions["manual"].trigger()  # another way in, while it is open
    assert main_window.adding.dialog is first
    assert first.manual.isVisible()  # the same window went to the page asked for
    assert [d for d in main_window.findChildren(QDialog) if d.isVisible()] == [first]
    first.close()
    qtbot.waitUntil(lambda: not shiboken6.isValid(first), timeout=WAIT_MS)
    assert main_window.adding.dialog is None
    second = main_window.adding.open()
    assert second is not first
    assert second.isVisible()


def test_a_closed_secret_dialog_is_deleted(qtbot: QtBot, main_window: MainWindow) -> None:
    main_window.window_actions["reveal"].trigger()
    gate = main_window.dialogs.current("password", PasswordGate)
    assert gate is not None
    gate.password.setText(PASSWORD)
    gate.check()
    qtbot.waitUntil(lambda: main_window.dialogs.was_opened("secret"), timeout=WAIT_MS)
    dialog = main_window.dialogs.current("secret", SecretDialog)
    assert dialog is not None
    assert dialog.isVisible()
    dialog.close()
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog), timeout=WAIT_MS)
    assert main_window.dialogs.current("secret") is None
    assert main_window.dialogs.was_opened("secret")
