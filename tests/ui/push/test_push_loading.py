"""Push sign-in loads at its first need: a vault with enrollments, the menu entry, a link, an
enrollment another program adds. Until then the app shows the entry and takes links itself."""

from __future__ import annotations

from collections.abc import Callable

from pytestqt.qtbot import QtBot

from app.ui.shell.controller import Controller
from app.vault.store import Vault
from tests.ui.conftest import PASSWORD, WAIT_MS, unlock
from tests.ui.push_env import (
    ALICE,
    PushServerThread,
    enroll_in_vault,
    manager_of,
    push_server_fixture,  # noqa: F401 - the push_server fixture
    wait_connected,
)


def test_without_enrollments_only_the_menu_entry_is_there_and_it_opens_push(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller]
) -> None:
    controller = make_controller()
    main = unlock(qtbot, controller)
    assert controller.push is None  # nothing to connect, nothing loaded
    entries = [a for a in main.main_menu.actions() if a.text() == "&Push sign-in…"]
    assert len(entries) == 1
    entries[0].trigger()
    assert controller.push is not None
    dialog = controller.push.dialog
    assert dialog is not None
    assert dialog.isVisible()
    # Once made, push keeps one entry per window, across a lock.
    dialog.close()
    controller.lock()
    main = unlock(qtbot, controller)
    assert [a.text() for a in main.main_menu.actions()].count("&Push sign-in…") == 1


def test_a_link_to_a_keyfob_without_push_loaded_opens_the_set_up(
    qtbot: QtBot,
    vault: Vault,
    push_server: PushServerThread,
    make_controller: Callable[..., Controller],
) -> None:
    controller = make_controller()
    unlock(qtbot, controller)
    assert controller.push is None
    controller.open_links([push_server.enrollment_uri()])
    assert controller.push is not None
    dialog = controller.push.enroll_dialog
    assert dialog is not None
    assert dialog.isVisible()
    assert dialog.uri.user == ALICE
    assert controller.links.enrollment_notice is None  # not the "cannot enroll" note


def test_an_enrollment_another_program_adds_loads_push_and_connects(
    qtbot: QtBot,
    vault: Vault,
    push_server: PushServerThread,
    make_controller: Callable[..., Controller],
) -> None:
    controller = make_controller()
    main = unlock(qtbot, controller)
    assert controller.push is None
    other = Vault.open(vault.path, PASSWORD)  # another program
    enroll_in_vault(other, push_server.register())
    controller.vault_changed()  # what the file watcher calls
    wait_connected(qtbot, manager_of(controller))
    push = controller.push
    assert push is not None
    qtbot.waitUntil(lambda: push.button is not None and push.button.isVisible(), timeout=WAIT_MS)
    assert push.button is not None
    assert push.button.window() is main
