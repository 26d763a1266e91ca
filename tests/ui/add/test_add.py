"""Every way of adding: the screen, an image file, the clipboard, a drop, manual entry, the
camera's frame decoder; migration batches and duplicates."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication, QImage
from PySide6.QtWidgets import QApplication, QFileDialog
from pytestqt.qtbot import QtBot

from app.core.account import Account, OtpType
from app.core.migration import build_migration
from app.core.otp import code_at, group_code
from app.core.secret import decode_base32
from app.core.uri import build_otpauth
from app.ui.accounts.main_window import MainWindow
from app.ui.add.add_dialog import AddDialog
from app.ui.add.camera import FrameDecoder
from app.ui.shell.controller import Controller
from app.vault.store import Vault
from tests.ui.conftest import PASSWORD, WAIT_MS, Screens, unlock
from tests.ui.qr_images import qr_image, screen_with

SLACK = Account(secret=decode_base32("ONSWG4TFOQYTEMZU"), issuer="Slack", name="alice")
TWITCH = Account(secret=decode_base32("MFRGGZDFMZTWQ2LK"), issuer="Twitch", name="al")
NOTION = Account(secret=decode_base32("NBSWY3DPO5XXE3DE"), issuer="Notion", name="a@b.c")
GITHUB_URI = "otpauth://totp/GitHub:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=GitHub"


def issuers_on_disk(window: MainWindow) -> list[str]:
    return [a.issuer for a in Vault.open(window.vault.path, PASSWORD).content.accounts]


def wait_idle(qtbot: QtBot, dialog: AddDialog) -> None:
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)


def found(dialog: AddDialog) -> list[tuple[str, bool]]:
    return [(f.account.issuer, f.duplicate) for f in dialog.harvest.found]


def test_scan_screen_offers_every_code_and_skips_duplicates(
    qtbot: QtBot, main_window: MainWindow, screens: Screens
) -> None:
    screens.images = [
        screen_with([build_otpauth(SLACK), "https://example.com/not-2fa", GITHUB_URI]),
        screen_with([build_otpauth(TWITCH)], width=800, height=600),
    ]
    main_window.window_actions["scan"].trigger()
    dialog = main_window.adding.dialog
    assert dialog is not None
    wait_idle(qtbot, dialog)
    assert screens.calls == 1
    assert sorted(found(dialog)) == [("GitHub", True), ("Slack", False), ("Twitch", False)]
    assert "already in Keyfob" in dialog.status.text()
    assert dialog.add_button.isEnabled()
    assert dialog.add_button.text() == "Add 2 accounts"
    dialog.add_button.click()
    on_disk = issuers_on_disk(main_window)
    assert on_disk.count("GitHub") == 1
    assert {"Slack", "Twitch"} <= set(on_disk)
    assert not dialog.isVisible()
    assert "Added 2 accounts" in main_window.toast.text


def test_unchecked_codes_are_not_added(
    qtbot: QtBot, main_window: MainWindow, screens: Screens
) -> None:
    screens.images = [screen_with([build_otpauth(SLACK), build_otpauth(TWITCH)])]
    dialog = main_window.adding.open()
    dialog.scan_button.click()
    wait_idle(qtbot, dialog)
    dialog.found_list.item(0).setCheckState(Qt.CheckState.Unchecked)
    dialog.add_chosen()
    on_disk = issuers_on_disk(main_window)
    assert [i for i in ("Slack", "Twitch") if i in on_disk] == [found(dialog)[1][0]]


def test_scan_with_nothing_on_screen_says_so(
    qtbot: QtBot, main_window: MainWindow, screens: Screens
) -> None:
    screens.images = [screen_with([])]
    dialog = main_window.adding.open(lambda d: d.scan_screen())
    wait_idle(qtbot, dialog)
    assert "No QR code found" in dialog.status.text()
    assert not dialog.add_button.isEnabled()


def test_migration_batches_are_tracked(
    qtbot: QtBot, main_window: MainWindow, screens: Screens
) -> None:
    batches = build_migration([SLACK, TWITCH, NOTION], per_batch=1, batch_id=7)
    assert len(batches) == 3
    dialog = main_window.adding.open()
    screens.images = [screen_with([batches[1]])]
    dialog.scan_screen()
    wait_idle(qtbot, dialog)
    assert "QR 1 of 3 read" in dialog.batch_label.text()
    assert "1, 3" in dialog.batch_label.text()
    screens.images = [screen_with([batches[0]])]
    dialog.scan_screen()
    wait_idle(qtbot, dialog)
    assert "QR 2 of 3 read" in dialog.batch_label.text()
    # Adding now keeps the window open for the last QR code.
    dialog.add_chosen()
    assert dialog.isVisible()
    assert {"Slack", "Twitch"} <= set(issuers_on_disk(main_window))
    screens.images = [screen_with([batches[2]])]
    dialog.scan_screen()
    wait_idle(qtbot, dialog)
    assert "all 3 QR codes read" in dialog.batch_label.text()
    dialog.add_chosen()
    assert not dialog.isVisible()
    assert {"Slack", "Twitch", "Notion"} <= set(issuers_on_disk(main_window))


def test_a_typed_account_added_mid_export_leaves_the_codes_read_to_add(
    qtbot: QtBot, main_window: MainWindow, screens: Screens
) -> None:
    batches = build_migration([SLACK, TWITCH], per_batch=1, batch_id=9)
    dialog = main_window.adding.open()
    screens.images = [screen_with([batches[0]])]
    dialog.scan_screen()
    wait_idle(qtbot, dialog)
    assert found(dialog) == [("Slack", False)]
    dialog.show_manual()
    dialog.manual.issuer.setText("Typed")
    dialog.manual.secret.setText("JBSWY3DPEHPK3PXP")
    dialog.add_chosen()
    assert dialog.isVisible()  # the export's second QR code is still to come
    assert "Typed" in issuers_on_disk(main_window)
    assert dialog.manual.secret.text() == ""
    # Only the typed account was added: the code read is still there to add.
    dialog.back_button.click()
    assert found(dialog) == [("Slack", False)]
    assert "(added)" not in dialog.found_list.item(0).text()
    assert dialog.add_button.isEnabled()
    dialog.add_chosen()
    assert "Slack" in issuers_on_disk(main_window)


def test_image_file_through_the_file_dialog(
    qtbot: QtBot, main_window: MainWindow, tmp_path: Path
) -> None:
    picture = tmp_path / "qr.png"
    assert screen_with([build_otpauth(NOTION)], 600, 500).save(str(picture))
    dialog = main_window.adding.open()
    file_dialog = dialog.open_image_dialog()
    assert isinstance(file_dialog, QFileDialog)
    file_dialog.selectFile(str(picture))
    file_dialog.accept()
    wait_idle(qtbot, dialog)
    assert found(dialog) == [("Notion", False)]


def test_a_file_that_is_not_an_image_is_reported(
    qtbot: QtBot, main_window: MainWindow, tmp_path: Path
) -> None:
    bogus = tmp_path / "notes.png"
    bogus.write_text("not really a picture")
    dialog = main_window.adding.open()
    dialog.take_files([bogus])
    wait_idle(qtbot, dialog)
    assert "not an image" in dialog.status.text()
    assert dialog.harvest.found == []


def test_paste_an_otpauth_link(qtbot: QtBot, main_window: MainWindow) -> None:
    QGuiApplication.clipboard().setText(f"here it is: {build_otpauth(SLACK)}\n")
    main_window.window_actions["paste"].trigger()
    dialog = main_window.adding.dialog
    assert dialog is not None
    assert found(dialog) == [("Slack", False)]


def test_ctrl_v_in_the_search_with_a_link_opens_the_add_window(
    qtbot: QtBot, main_window: MainWindow
) -> None:
    QGuiApplication.clipboard().setText(build_otpauth(TWITCH))
    main_window.search.setFocus()
    qtbot.keyClick(main_window.search, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert main_window.search.text() == ""
    dialog = main_window.adding.dialog
    assert dialog is not None
    assert found(dialog) == [("Twitch", False)]


def test_paste_an_image(qtbot: QtBot, main_window: MainWindow) -> None:
    QGuiApplication.clipboard().setImage(qr_image(build_otpauth(NOTION)))
    dialog = main_window.adding.open()
    dialog.paste_button.click()
    wait_idle(qtbot, dialog)
    assert found(dialog) == [("Notion", False)]


def test_paste_with_nothing_useful(qtbot: QtBot, main_window: MainWindow) -> None:
    QGuiApplication.clipboard().setText("   ")
    dialog = main_window.adding.open()
    dialog.paste_from_clipboard()
    assert "no QR code" in dialog.status.text()


def drop(target: object, mime: QMimeData) -> QDropEvent:
    """What a real drop delivers: a drag entering the window, then the drop."""
    enter = QDragEnterEvent(
        QPoint(20, 20),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(target, enter)  # type: ignore[arg-type]
    assert enter.isAccepted()
    event = QDropEvent(
        QPointF(20, 20),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(target, event)  # type: ignore[arg-type]
    return event


def test_drop_an_image_file_on_the_main_window(
    qtbot: QtBot, main_window: MainWindow, tmp_path: Path
) -> None:
    picture = tmp_path / "dropped.png"
    assert qr_image(build_otpauth(TWITCH)).save(str(picture))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(picture))])
    event = drop(main_window, mime)
    assert event.isAccepted()
    dialog = main_window.adding.dialog
    assert dialog is not None
    wait_idle(qtbot, dialog)
    assert found(dialog) == [("Twitch", False)]


def test_drop_a_link_on_the_add_window(qtbot: QtBot, main_window: MainWindow) -> None:
    dialog = main_window.adding.open()
    mime = QMimeData()
    mime.setText(build_otpauth(SLACK))
    drop(dialog, mime)
    assert found(dialog) == [("Slack", False)]


def test_manual_entry_validates_and_shows_the_code(qtbot: QtBot, main_window: MainWindow) -> None:
    dialog = main_window.adding.open()
    dialog.manual_button.click()
    form = dialog.manual
    form.issuer.setText("Example")
    form.name.setText("bob")
    form.secret.setText("JBSW Y3DP EHPK 3PX1")
    assert form.error.isVisible()
    assert "not valid" in form.error.text()
    assert not dialog.add_button.isEnabled()
    form.secret.setText("jbsw y3dp ehpk 3pxp")
    assert not form.error.isVisible()
    account = form.account()
    assert account is not None
    assert form.preview.text() == group_code(code_at(account, main_window.clock.now()).text)
    form.more.click()
    form.digits.setValue(8)
    assert len(form.preview.text().replace(" ", "")) == 8
    form.type.setCurrentIndex(form.type.findData(OtpType.HOTP))
    form.counter.setValue(3)
    assert "counter 3" in form.preview_left.text()
    assert dialog.add_button.isEnabled()
    dialog.add_button.click()
    stored = next(
        a
        for a in Vault.open(main_window.vault.path, PASSWORD).content.accounts
        if a.issuer == "Example"
    )
    assert (stored.type, stored.digits, stored.counter) == (OtpType.HOTP, 8, 3)
    assert stored.secret == decode_base32("JBSWY3DPEHPK3PXP")


def test_manual_entry_needs_an_issuer_or_a_name(main_window: MainWindow) -> None:
    dialog = main_window.adding.open(lambda d: d.show_manual())
    dialog.manual.secret.setText("JBSWY3DPEHPK3PXP")
    assert "issuer or the account name" in dialog.manual.error.text()
    assert not dialog.add_button.isEnabled()


def test_camera_button_follows_the_camera_check(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller]
) -> None:
    main = unlock(qtbot, make_controller(camera_check=lambda: True))
    dialog = main.adding.open()
    qtbot.waitUntil(dialog.camera_button.isVisible, timeout=WAIT_MS)
    dialog.close()
    main2 = unlock(qtbot, make_controller(camera_check=lambda: False))
    dialog2 = main2.adding.open()
    qtbot.wait(50)
    assert not dialog2.camera_button.isVisible()


def test_camera_frames_are_decoded_off_the_gui_thread(qtbot: QtBot) -> None:
    decoder = FrameDecoder()
    frame = screen_with([build_otpauth(SLACK)], 1920, 1080)  # scaled down before decoding
    with qtbot.waitSignal(decoder.texts_found, timeout=WAIT_MS) as signal:
        assert decoder.feed(frame)
        # Frames arriving while one is decoded are dropped, not queued.
        assert not decoder.feed(frame)
    assert signal.args == [[build_otpauth(SLACK)]]
    assert not decoder.busy
    assert decoder.feed(QImage(640, 480, QImage.Format.Format_RGB32))
    qtbot.waitUntil(lambda: decoder.decoded_frames == 2, timeout=WAIT_MS)
    decoder.shutdown()


def test_add_takes_what_the_page_shows(qtbot: QtBot, main_window: MainWindow) -> None:
    dialog = main_window.adding.open()
    dialog.take_text(build_otpauth(SLACK) + "\n" + build_otpauth(TWITCH))
    assert dialog.add_button.text() == "Add 2 accounts"
    dialog.manual_button.click()
    assert dialog.back_button.isVisible()
    assert not dialog.add_button.isEnabled()  # nothing typed yet
    dialog.manual.issuer.setText("Typed")
    dialog.manual.secret.setText("JBSWY3DPEHPK3PXP")
    assert dialog.add_button.text() == "Add account"
    dialog.back_button.click()
    assert dialog.add_button.text() == "Add 2 accounts"
