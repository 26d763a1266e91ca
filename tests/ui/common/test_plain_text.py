"""Text from accounts, files and servers shows as typed, never as markup.

Qt takes a text that looks like HTML for rich text: an account labelled "<b>x</b><a href=...>"
would show in bold with a link in "Delete %1?", and could make a dialog say what Keyfob never
said. Each test puts such a text where a user reads it and checks every label there: it must
be plain text, or rich text in which the hostile part is escaped.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from app.core.uri import build_otpauth
from app.push.history import HistoryEntry, PushHistory
from app.push.messages import DETAILS_FIELD
from app.ui.accounts.main_window import MainWindow
from app.ui.common.secret_dialog import SecretDialog
from app.ui.push.feature import notification_body, plain_notification_text
from app.ui.push.history import HistoryDialog
from app.ui.shell.controller import Controller
from app.vault.store import Vault
from tests.ui.conftest import PASSWORD, WAIT_MS, account, unlock
from tests.ui.push_env import (
    ALICE,
    PushServerThread,
    enroll_in_vault,
    manager_of,
    push_controller,
    push_server_fixture,  # noqa: F401 - the push_server fixture
    wait_connected,
)

HOSTILE = "<b>x</b><a href='http://evil'>Click</a>"
LABELLED = account(HOSTILE, "alice", "ONSWG4TFOQYTEMZU")
ESCAPED = "&lt;b&gt;x&lt;/b&gt;"


def as_markup(label: QLabel) -> bool:
    """Whether the label renders its text as rich text (what Qt.AutoText guesses, too)."""
    text_format = label.textFormat()
    if text_format == Qt.TextFormat.AutoText:
        return GuiQt.mightBeRichText(label.text())
    return text_format in (Qt.TextFormat.RichText, Qt.TextFormat.MarkdownText)


def hostile_labels(root: QWidget) -> tuple[list[QLabel], list[QLabel]]:
    """The labels under `root` that hold the hostile text: (shown as typed, shown as markup)."""
    holding = [label for label in root.findChildren(QLabel) if HOSTILE in label.text()]
    return (
        [label for label in holding if not as_markup(label)],
        [label for label in holding if as_markup(label)],
    )


def assert_shown_as_typed(root: QWidget) -> list[QLabel]:
    plain, markup = hostile_labels(root)
    assert [label.text() for label in markup] == []
    assert plain, "the hostile text is not shown at all"
    return plain


def hostile_window(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller]
) -> MainWindow:
    vault.add_accounts([LABELLED])
    main = unlock(qtbot, make_controller())
    row = next(
        row
        for row in range(main.model.rowCount())
        if main.model.index(row, 0).data(Qt.ItemDataRole.DisplayRole).startswith(HOSTILE)
    )
    main.view.setCurrentIndex(main.model.index(row, 0))
    return main


def test_the_delete_confirmation_shows_the_label_as_typed(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller]
) -> None:
    main = hostile_window(qtbot, vault, make_controller)
    box = main.editor.delete_selected()
    assert isinstance(box, QMessageBox)
    assert box.textFormat() == Qt.TextFormat.PlainText
    [label] = assert_shown_as_typed(box)
    assert label.text() == f"Delete {LABELLED.label}?"
    box.reject()


def test_the_secret_dialog_heading_shows_the_label_as_typed(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller]
) -> None:
    main = hostile_window(qtbot, vault, make_controller)
    main.window_actions["reveal"].trigger()
    gate = main.dialogs.current("password")
    gate.password.setText(PASSWORD)
    gate.check()
    qtbot.waitUntil(lambda: main.dialogs.was_opened("secret"), timeout=WAIT_MS)
    dialog: SecretDialog = main.dialogs.current("secret")
    [heading] = assert_shown_as_typed(dialog)
    assert heading.text() == LABELLED.label
    assert heading.textFormat() == Qt.TextFormat.PlainText


def test_the_added_notice_and_the_list_tooltip_show_the_label_as_typed(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller]
) -> None:
    main = unlock(qtbot, make_controller())
    added = account(HOSTILE, "bob", "MFRGGZDFMZTWQ2LK", note=HOSTILE)
    main.editor.add_accounts([added])
    [notice] = assert_shown_as_typed(main.toast)
    assert notice.text() == f"Added {added.label}."
    # Tool tips have no plain-text switch: the text arrives escaped in rich text.
    row = next(
        row
        for row in range(main.model.rowCount())
        if main.model.index(row, 0).data(Qt.ItemDataRole.DisplayRole).startswith(HOSTILE)
    )
    tooltip = main.model.index(row, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert HOSTILE not in tooltip
    assert tooltip.count(ESCAPED) == 2  # the label and the note


def test_an_import_file_and_its_accounts_show_as_typed(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller], tmp_path: Path
) -> None:
    main = unlock(qtbot, make_controller())
    # A file name may hold markup too (not a "/", so no closing tag).
    path = tmp_path / "<b>from the old phone.txt"
    path.write_text(build_otpauth(account(HOSTILE, "carol", "NBSWY3DPO5XXE3DE")) + "\n")
    main.window_actions["import"].trigger()
    wizard = main.dialogs.current("import")
    wizard.take_files([path])
    qtbot.waitUntil(lambda: not wizard.busy, timeout=WAIT_MS)
    source = wizard.source_label
    assert source.text().startswith("<b>from the old phone.txt")
    assert not as_markup(source)
    wizard.next_button.click()  # import the one new account
    qtbot.waitUntil(lambda: not wizard.busy, timeout=WAIT_MS)
    assert [label.text() for label in wizard.findChildren(QLabel) if as_markup(label)] == []
    assert any(a.issuer == HOSTILE for a in main.vault.content.accounts)


def test_the_push_prompt_shows_what_the_server_sent_as_typed(
    qtbot: QtBot,
    vault: Vault,
    push_server: PushServerThread,
    make_controller: Callable[..., Controller],
) -> None:
    enroll_in_vault(vault, push_server.register(ALICE))
    controller = push_controller(make_controller)
    unlock(qtbot, controller)
    manager = manager_of(controller)
    wait_connected(qtbot, manager)
    context = {"app": HOSTILE, "location": HOSTILE, "user_agent": HOSTILE}
    push_server.challenge(ALICE, context=context, action=HOSTILE)
    qtbot.waitUntil(lambda: len(manager.prompts) == 1, timeout=WAIT_MS)
    window = manager.window
    assert window is not None
    qtbot.waitUntil(window.isVisible, timeout=WAIT_MS)
    shown = assert_shown_as_typed(window)
    assert len(shown) == 4  # request, application, location, browser


def test_the_push_history_tooltip_shows_the_servers_context_as_typed(qtbot: QtBot) -> None:
    history = PushHistory()
    history.add(
        HistoryEntry(
            device_id="d_1",
            challenge_id="c_1",
            issuer="Example Site",
            user="alice",
            action="Sign in",
            context={"location": HOSTILE},
            created_at=100,
            received_at=100,
        )
    )
    dialog = HistoryDialog(None, history)
    qtbot.addWidget(dialog)
    tooltip = dialog.tree.topLevelItem(0).toolTip(2)
    assert HOSTILE not in tooltip
    assert ESCAPED in tooltip


def test_a_duo_requests_details_show_as_typed_in_the_prompt_and_notification(
    qtbot: QtBot,
    vault: Vault,
    push_server: PushServerThread,
    make_controller: Callable[..., Controller],
) -> None:
    enroll_in_vault(vault, push_server.register(ALICE))
    controller = push_controller(make_controller)
    unlock(qtbot, controller)
    manager = manager_of(controller)
    wait_connected(qtbot, manager)
    push_server.duo_challenge(ALICE, action=HOSTILE, context={DETAILS_FIELD: HOSTILE})
    qtbot.waitUntil(lambda: len(manager.prompts) == 1, timeout=WAIT_MS)
    window = manager.window
    assert window is not None
    qtbot.waitUntil(window.isVisible, timeout=WAIT_MS)
    shown = assert_shown_as_typed(window)
    assert len(shown) == 2  # request, details
    # A notification server may read the body as markup (Qt passes it on as it is): no
    # tag of the server's text may reach it, whatever it reads.
    body = notification_body(manager.prompts[0].challenge)
    assert body == f"{ALICE} — xClick"
    assert plain_notification_text(f"Sign-in request: {HOSTILE} <i>") == "Sign-in request: xClick "


def test_the_push_history_shows_a_duo_requests_details_as_typed(qtbot: QtBot) -> None:
    history = PushHistory()
    history.add(
        HistoryEntry(
            device_id="d_1",
            challenge_id="c_1",
            issuer="Example Site",
            user="alice",
            action="Login request",
            context={"ip": "198.51.100.23", DETAILS_FIELD: HOSTILE},
            created_at=100,
            received_at=100,
        )
    )
    dialog = HistoryDialog(None, history)
    qtbot.addWidget(dialog)
    row = dialog.tree.topLevelItem(0)
    assert row.text(2) == f"Login request · 198.51.100.23 · {HOSTILE}"  # item text: plain
    tooltip = row.toolTip(2)
    assert HOSTILE not in tooltip
    assert ESCAPED in tooltip
