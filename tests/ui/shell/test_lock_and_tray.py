"""Locking (Ctrl+L, idle, session), the tray menu, and a vault changed by another program."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from app.core.otp import code_at
from app.ui.accounts.main_window import MainWindow
from app.ui.shell.controller import Controller
from app.vault.store import Vault
from tests.ui.conftest import WAIT_MS, account, unlock


def test_ctrl_l_locks_and_forgets_the_accounts(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller]
) -> None:
    controller = make_controller()
    main = unlock(qtbot, controller)
    opened_vault = main.vault
    main.settings.clipboard_clear_seconds = 0
    main.codes.copy_selected()
    assert QGuiApplication.clipboard().text()
    qtbot.keyClick(main.view, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert controller.is_locked
    assert controller.main_window is None
    assert opened_vault.is_locked
    assert controller.unlock_window is not None
    assert controller.unlock_window.isVisible()
    assert not controller.unlock_window.creating
    assert main.model.rowCount() == 0
    assert len(main.codes.cache) == 0
    # Our code leaves the clipboard with the lock.
    assert QGuiApplication.clipboard().text() == ""
    again = unlock(qtbot, controller)
    assert again.model.rowCount() == len(vault.content.accounts)


def test_idle_lock(qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller]) -> None:
    controller = make_controller(idle_timeout_ms=300)
    unlock(qtbot, controller)
    qtbot.waitUntil(lambda: controller.is_locked, timeout=WAIT_MS)
    assert controller.unlock_window is not None


def test_activity_postpones_the_idle_lock(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller]
) -> None:
    controller = make_controller(idle_timeout_ms=600)
    main = unlock(qtbot, controller)
    for _ in range(4):
        qtbot.wait(250)
        qtbot.keyClick(main.view, Qt.Key.Key_Down)
        assert not controller.is_locked
    qtbot.waitUntil(lambda: controller.is_locked, timeout=WAIT_MS)


def test_auto_lock_setting_from_the_settings(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller]
) -> None:
    controller = make_controller()
    unlock(qtbot, controller)
    assert controller.auto_lock.idle is not None
    assert controller.auto_lock.idle.active  # 5 minutes by default
    controller.settings.auto_lock_minutes = 0
    assert not controller.auto_lock.idle.active


def test_session_lock_locks_when_the_setting_says_so(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller]
) -> None:
    from app.ui.shell.session_watch import SessionWatcher

    controller = make_controller()
    unlock(qtbot, controller)
    watcher = SessionWatcher()
    watcher.session_locked.connect(controller.auto_lock.session_locked)
    controller.settings.lock_on_session_lock = False
    watcher.screensaver(True)
    assert not controller.is_locked
    controller.settings.lock_on_session_lock = True
    watcher.screensaver(False)
    assert not controller.is_locked
    watcher.sleeping(True)
    assert controller.is_locked


def tray_texts(controller: Controller) -> list[str]:
    assert controller.tray is not None
    controller.tray.rebuild()
    return [a.text().replace("&", "") for a in controller.tray.actions() if a.text()]


def test_tray_menu_copies_favourites_locks_shows_and_quits(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller]
) -> None:
    github = next(a for a in vault.content.accounts if a.issuer == "GitHub")
    from dataclasses import replace

    vault.update_account(replace(github, favourite=True))
    controller = make_controller()
    qtbot.waitUntil(lambda: controller.tray is not None, timeout=WAIT_MS)
    assert "Locked — open Keyfob to unlock" in tray_texts(controller)
    main = unlock(qtbot, controller)
    texts = tray_texts(controller)
    assert github.label in texts
    assert "Dropbox (alice)" not in texts  # not a favourite
    assert {"Show Keyfob", "Lock", "Quit"} <= set(texts)
    assert controller.tray is not None
    copy = next(a for a in controller.tray.actions() if a.text() == github.label)
    copy.trigger()
    assert QGuiApplication.clipboard().text() == code_at(github, main.clock.now()).text

    main.hide()
    show = next(a for a in controller.tray.actions() if a.text().replace("&", "") == "Show Keyfob")
    show.trigger()
    assert main.isVisible()

    lock = next(a for a in controller.tray.actions() if a.text().replace("&", "") == "Lock")
    lock.trigger()
    assert controller.is_locked
    assert "Locked — open Keyfob to unlock" in tray_texts(controller)

    quit_action = next(a for a in controller.tray.actions() if a.text().replace("&", "") == "Quit")
    quit_action.trigger()
    assert controller.quitting


def test_close_goes_to_the_tray_only_when_set_and_available(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller]
) -> None:
    controller = make_controller()
    main = unlock(qtbot, controller)
    controller.settings.close_to_tray = True
    main.tray_available = True  # offscreen has no tray; as if the desktop had one
    main.close()
    assert not main.isVisible()
    assert not controller.quitting
    assert controller.main_window is main
    main.tray_available = False
    main.show()
    main.close()
    assert controller.quitting


def test_external_change_is_shown(qtbot: QtBot, main_window: MainWindow, vault: Vault) -> None:
    # `vault` is a second Vault object on the same file: another program, like the CLI.
    vault.add_accounts([account("FromTheCli", "bob", "ORSXG5DJNZTWS5TF")])
    qtbot.waitUntil(
        lambda: "FromTheCli" in [a.issuer for a in main_window.model.accounts], timeout=WAIT_MS
    )
    # And a change here after that keeps the other program's account.
    main_window.view.setCurrentIndex(main_window.model.index(0, 0))
    main_window.editor.toggle_selected_favourite()
    assert "FromTheCli" in [
        a.issuer for a in Vault.open(vault.path, "correct horse battery staple").content.accounts
    ]


def test_changes_from_both_sides_are_kept(
    qtbot: QtBot, main_window: MainWindow, vault: Vault
) -> None:
    main_window.editor.add_accounts([account("FromTheApp", "carol", "MFRGGZDFMZTWQ2LK")])
    vault.add_accounts([account("FromTheCli", "dave", "ORSXG5DJNZTWS5TF")])
    qtbot.waitUntil(
        lambda: "FromTheCli" in [a.issuer for a in main_window.model.accounts], timeout=WAIT_MS
    )
    issuers = [a.issuer for a in main_window.model.accounts]
    assert "FromTheApp" in issuers
    vault.refresh()
    assert {"FromTheApp", "FromTheCli"} <= {a.issuer for a in vault.content.accounts}


def test_locking_while_a_password_check_runs_is_safe(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller]
) -> None:
    from app.ui.common.worker import running_count

    controller = make_controller()
    main = unlock(qtbot, controller)
    main.window_actions["show_qr"].trigger()
    main.dialogs.current("password").password.setText("correct horse battery staple")
    main.dialogs.current("password").check()
    controller.lock()
    qtbot.waitUntil(lambda: running_count() == 0, timeout=WAIT_MS)
    assert controller.is_locked
    assert not main.dialogs.was_opened("secret")  # the answer came too late to show anything


def test_tray_menu_shows_an_ampersand_in_a_favourite_name(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller]
) -> None:
    from dataclasses import replace

    github = next(a for a in vault.content.accounts if a.issuer == "GitHub")
    renamed = replace(github, issuer="AT&T", favourite=True)
    vault.update_account(renamed)
    controller = make_controller()
    unlock(qtbot, controller)
    assert controller.tray is not None
    controller.tray.rebuild()
    # iconText() is the text as a menu shows it (a lone "&" would be eaten as a shortcut mark).
    shown = [a.iconText() for a in controller.tray.actions()]
    assert renamed.label.startswith("AT&T")
    assert renamed.label in shown, shown
