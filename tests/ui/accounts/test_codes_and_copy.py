"""Reading and copying codes: search, Enter, clicks, Ctrl+C, the clipboard's secret hint and
its clearing (only while it still holds our code)."""

from __future__ import annotations

import time

from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.core.account import Account
from app.core.otp import code_at
from app.ui.accounts.main_window import MainWindow
from app.ui.common.clipboard import SECRET_HINT_FORMAT
from app.vault.store import Vault
from tests.ui.conftest import WAIT_MS


def clipboard_text() -> str:
    return QGuiApplication.clipboard().text()


def expected_code(window: MainWindow, issuer: str) -> str:
    account = next(a for a in window.vault.content.accounts if a.issuer == issuer)
    return code_at(account, window.clock.now()).text


def row_of(window: MainWindow, issuer: str) -> int:
    for row in range(window.model.rowCount()):
        if window.model.account(row).issuer == issuer:
            return row
    raise AssertionError(f"{issuer} not shown")


def test_list_shows_every_account_with_its_current_code(main_window: MainWindow) -> None:
    shown = [main_window.model.account(r).issuer for r in range(main_window.model.rowCount())]
    assert shown == ["GitHub", "Google", "Microsoft", "Dropbox", "Counter"]
    now = main_window.clock.now()
    for row in range(main_window.model.rowCount()):
        account = main_window.model.account(row)
        assert main_window.codes.code_of(account) == code_at(account, now).text


def test_typing_anywhere_searches_and_enter_copies_the_top_match(
    qtbot: QtBot, main_window: MainWindow
) -> None:
    main_window.view.setFocus()
    qtbot.keyClicks(main_window.view, "micro")
    assert main_window.search.text() == "micro"
    assert main_window.search.hasFocus() or main_window.focusWidget() is main_window.search
    assert main_window.model.rowCount() == 1
    qtbot.keyClick(main_window.search, Qt.Key.Key_Return)
    assert clipboard_text() == expected_code(main_window, "Microsoft")
    assert main_window.toast.isVisible()
    assert "Copied" in main_window.toast.text


def test_search_matches_issuer_name_and_group(qtbot: QtBot, main_window: MainWindow) -> None:
    search = main_window.search
    search.setText("work")  # a group
    assert {a.issuer for a in main_window.model.visible_accounts()} == {"GitHub", "Microsoft"}
    search.setText("gmail")  # part of a name
    assert [a.issuer for a in main_window.model.visible_accounts()] == ["Google"]
    search.setText("GITHUB alice")  # several words, any case
    assert [a.issuer for a in main_window.model.visible_accounts()] == ["GitHub"]
    search.setText("nothing like it")
    assert main_window.model.rowCount() == 0
    assert "nothing like it" in main_window.view.placeholder
    qtbot.keyClick(search, Qt.Key.Key_Escape)
    assert main_window.model.rowCount() == 5


def test_arrow_keys_in_the_search_move_the_selection(qtbot: QtBot, main_window: MainWindow) -> None:
    main_window.search.setFocus()
    qtbot.keyClick(main_window.search, Qt.Key.Key_Down)
    qtbot.keyClick(main_window.search, Qt.Key.Key_Down)
    assert main_window.selected_account() is not None
    assert main_window.selected_account().issuer == "Microsoft"  # type: ignore[union-attr]
    qtbot.keyClick(main_window.search, Qt.Key.Key_Return)
    assert clipboard_text() == expected_code(main_window, "Microsoft")


def test_click_double_click_and_ctrl_c_copy(qtbot: QtBot, main_window: MainWindow) -> None:
    view = main_window.view
    rect = view.visualRect(main_window.model.index(row_of(main_window, "Google"), 0))
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert clipboard_text() == expected_code(main_window, "Google")

    # A double click is a click and then a double-click event: the second copies again.
    rect = view.visualRect(main_window.model.index(row_of(main_window, "Dropbox"), 0))
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    QGuiApplication.clipboard().setText("something else")
    QTest.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert clipboard_text() == expected_code(main_window, "Dropbox")

    main_window.view.setCurrentIndex(main_window.model.index(row_of(main_window, "GitHub"), 0))
    main_window.view.setFocus()
    qtbot.keyClick(main_window.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert clipboard_text() == expected_code(main_window, "GitHub")
    # Ctrl+C in the search field copies the selected code too, unless text is selected there.
    QGuiApplication.clipboard().setText("other")
    main_window.search.setFocus()
    qtbot.keyClick(main_window.search, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert clipboard_text() == expected_code(main_window, "GitHub")


def test_the_copy_is_marked_secret_for_clipboard_managers(main_window: MainWindow) -> None:
    main_window.codes.copy_selected()
    mime = QGuiApplication.clipboard().mimeData()
    assert mime is not None
    assert mime.hasFormat(SECRET_HINT_FORMAT)
    assert bytes(mime.data(SECRET_HINT_FORMAT).data()) == b"secret"
    assert " " not in mime.text()  # the grouping space is for reading, not for pasting


def test_the_clipboard_is_cleared_after_the_delay(qtbot: QtBot, main_window: MainWindow) -> None:
    main_window.settings.clipboard_clear_seconds = 1
    main_window.codes.copy_selected()
    assert clipboard_text() == expected_code(main_window, "GitHub")
    qtbot.waitUntil(lambda: clipboard_text() == "", timeout=WAIT_MS)


def test_what_the_user_copied_since_is_not_cleared(qtbot: QtBot, main_window: MainWindow) -> None:
    main_window.settings.clipboard_clear_seconds = 1
    main_window.codes.copy_selected()
    mine = QMimeData()
    mine.setText("my own note")
    QGuiApplication.clipboard().setMimeData(mine)
    qtbot.waitUntil(lambda: not main_window.clipboard.pending, timeout=WAIT_MS)
    assert clipboard_text() == "my own note"


def test_hotp_next_code_advances_the_counter(qtbot: QtBot, main_window: MainWindow) -> None:
    row = row_of(main_window, "Counter")
    before = main_window.model.account(row)
    view = main_window.view
    index = main_window.model.index(row, 0)
    view.scrollTo(index)
    button = main_window.codes.delegate.action_rect(view.visualRect(index)).center()
    start = int(time.time())
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=button)
    stored = next(
        a
        for a in Vault.open(main_window.vault.path, "correct horse battery staple").content.accounts
        if a.uuid == before.uuid
    )
    assert stored.counter == before.counter + 1
    # The same fields as `keyfob code` sets (app.vault.account_edits.advance_hotp), at once.
    assert stored.updated >= start
    assert stored.last_used is not None
    assert stored.last_used >= start
    assert clipboard_text() == code_at(stored, 0).text
    assert clipboard_text() != code_at(before, 0).text


def test_next_code_is_shown_only_in_the_last_seconds(main_window: MainWindow) -> None:
    account: Account = main_window.model.account(0)
    cache = main_window.codes.cache
    now = 1_700_000_000.0
    shown = cache.code(account, now)
    assert shown.seconds_left is not None
    assert cache.next_code(account, now) == code_at(account, now + 30).text
    main_window.settings.next_code_seconds = 0
    assert main_window.codes.display.next_code_seconds == 0


def test_codes_are_computed_once_per_period(main_window: MainWindow) -> None:
    account = main_window.model.account(0)
    cache = main_window.codes.cache
    cache.clear()
    first = cache.code(account, 1_700_000_010.0)
    again = cache.code(account, 1_700_000_019.0)
    assert first.text == again.text
    assert len(cache) == 1
    later = cache.code(account, 1_700_000_040.0)
    assert later.text == code_at(account, 1_700_000_040.0).text
    assert len(cache) == 1  # replaced, not accumulated


def test_clock_correction_changes_every_code(main_window: MainWindow) -> None:
    account = main_window.model.account(0)
    main_window.settings.time_offset = 3600.0
    assert main_window.clock.offset == 3600.0
    assert main_window.codes.code_of(account) == code_at(account, main_window.clock.now()).text


def test_screen_readers_hear_the_code(main_window: MainWindow) -> None:
    index = main_window.model.index(0, 0)
    account = main_window.model.account(0)
    spoken = index.data(Qt.ItemDataRole.AccessibleTextRole)
    code = code_at(account, main_window.clock.now()).text
    assert account.label in spoken
    assert " ".join(code) in spoken
    assert "seconds left" in spoken
    main_window.settings.hide_codes = True
    assert "hidden" in index.data(Qt.ItemDataRole.AccessibleTextRole)
