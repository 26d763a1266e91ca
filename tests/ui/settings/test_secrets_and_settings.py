"""Showing a secret behind the password; settings, the clock check, the crash dialog."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from PySide6.QtCore import QSettings, QSize
from PySide6.QtGui import QIcon, QImage
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from app.core.secret import encode_base32
from app.core.uri import build_otpauth, parse_otpauth
from app.ui.accounts.main_window import MainWindow
from app.ui.add.screen import decode_qimage
from app.ui.common import strength
from app.ui.common.resources import icon, resource_path
from app.ui.common.secret_dialog import SecretDialog
from app.ui.common.settings import Settings, SortMode, Theme
from app.ui.settings.settings_dialog import SettingsDialog
from app.ui.shell import crash
from app.ui.shell.controller import Controller
from tests.ui.conftest import PASSWORD, WAIT_MS, unlock


def confirm(qtbot: QtBot, window: MainWindow, password: str) -> None:
    dialog = window.dialogs.current("password")
    dialog.password.setText(password)
    dialog.check()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)


def test_show_qr_needs_the_password_and_the_code_scans_back(
    qtbot: QtBot, main_window: MainWindow
) -> None:
    account = main_window.selected_account()
    assert account is not None
    main_window.window_actions["show_qr"].trigger()
    confirm(qtbot, main_window, "wrong")
    assert "Wrong password" in main_window.dialogs.current("password").error.text()
    assert not main_window.dialogs.was_opened("secret")
    confirm(qtbot, main_window, PASSWORD)
    dialog: SecretDialog = main_window.dialogs.current("secret")
    assert dialog.isVisible()
    assert dialog.qr is not None
    dialog.qr.resize(QSize(300, 300))
    picture = dialog.qr.grab().toImage()
    texts = decode_qimage(picture)
    assert texts == [build_otpauth(account)]
    assert parse_otpauth(texts[0]).secret == account.secret


def test_reveal_secret_shows_the_key_grouped(qtbot: QtBot, main_window: MainWindow) -> None:
    account = main_window.selected_account()
    assert account is not None
    main_window.window_actions["reveal"].trigger()
    confirm(qtbot, main_window, PASSWORD)
    dialog: SecretDialog = main_window.dialogs.current("secret")
    assert dialog.secret.isVisible()
    assert dialog.secret.text().replace(" ", "") == encode_base32(account.secret)


def test_hidden_codes_show_after_a_click(qtbot: QtBot, main_window: MainWindow) -> None:
    main_window.resize(520, 500)
    main_window.view.viewport().update()
    visible = main_window.view.grab().toImage()
    main_window.settings.hide_codes = True
    assert main_window.codes.display.hide_codes
    hidden = main_window.view.grab().toImage()
    assert hidden != visible
    account = main_window.selected_account()
    assert account is not None
    assert not main_window.codes.is_revealed(account.uuid)
    main_window.codes.copy_selected()
    assert main_window.codes.is_revealed(account.uuid)


def test_settings_are_kept_and_clamped(settings: Settings, private_settings: object) -> None:
    settings.auto_lock_minutes = 12
    settings.clipboard_clear_seconds = -5
    settings.theme = Theme.DARK
    settings.sort_mode = SortMode.ISSUER
    settings.time_offset = 1e9
    settings.sync()
    again = Settings(QSettings(settings._store.fileName(), QSettings.Format.IniFormat))
    assert again.auto_lock_minutes == 12
    assert again.clipboard_clear_seconds == 0
    assert again.theme is Theme.DARK
    assert again.sort_mode is SortMode.ISSUER
    assert again.time_offset == 24 * 3600.0


def test_default_settings_follow_the_brief(settings: Settings) -> None:
    assert settings.auto_lock_minutes == 5
    assert settings.clipboard_clear_seconds == 30
    assert settings.theme is Theme.SYSTEM
    assert not settings.hide_codes


def test_settings_dialog_changes_apply_at_once(qtbot: QtBot, main_window: MainWindow) -> None:
    main_window.settings_flows.open_settings()
    dialog: SettingsDialog = main_window.dialogs.current("settings")
    dialog.clipboard.setValue(45)
    dialog.hide_codes.setChecked(True)
    dialog.next_code.setValue(0)
    dialog.offset.setValue(-20)
    assert main_window.settings.clipboard_clear_seconds == 45
    assert main_window.codes.display.hide_codes
    assert main_window.codes.display.next_code_seconds == 0
    assert main_window.clock.offset == -20
    dialog.theme.setCurrentIndex(dialog.theme.findData("dark"))
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    assert app.palette().window().color().lightnessF() < 0.5
    dialog.theme.setCurrentIndex(dialog.theme.findData("light"))
    assert app.palette().window().color().lightnessF() > 0.5


class _SkewedClock(BaseHTTPRequestHandler):
    skew = 0.0

    def date_time_string(self, timestamp: float | None = None) -> str:
        import time

        return formatdate(time.time() + self.skew, usegmt=True)

    def do_HEAD(self) -> None:
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def skewed_server() -> Iterator[str]:
    _SkewedClock.skew = 60.0
    server = HTTPServer(("127.0.0.1", 0), _SkewedClock)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_clock_check_warns_past_15_s_and_applies_the_correction(
    qtbot: QtBot, main_window: MainWindow, skewed_server: str
) -> None:
    main_window.settings_flows.open_settings()
    dialog: SettingsDialog = main_window.dialogs.current("settings")
    dialog.check_url.setText(skewed_server)
    with qtbot.waitSignal(dialog.drift_measured, timeout=WAIT_MS):
        dialog.check_button.click()
    assert (
        "off by +60 s" in dialog.time_result.text() or "off by +59 s" in dialog.time_result.text()
    )
    assert dialog.apply_button.isVisible()
    assert main_window.drift_banner.isVisible()
    dialog.apply_button.click()
    assert 59 <= main_window.clock.offset <= 61
    assert not main_window.drift_banner.isVisible()
    assert main_window.settings.time_check_url == skewed_server


def test_a_configured_clock_check_runs_at_unlock(
    qtbot: QtBot,
    vault: object,
    make_controller: Callable[..., Controller],
    settings: Settings,
    skewed_server: str,
) -> None:
    settings.time_check_url = skewed_server
    main = unlock(qtbot, make_controller())
    qtbot.waitUntil(main.drift_banner.isVisible, timeout=WAIT_MS)
    assert "+60" in main.drift_banner.text() or "+59" in main.drift_banner.text()


def test_clock_check_refuses_a_non_web_address(qtbot: QtBot, main_window: MainWindow) -> None:
    main_window.settings_flows.open_settings()
    dialog: SettingsDialog = main_window.dialogs.current("settings")
    dialog.check_url.setText("ftp://example.com")
    dialog.check_button.click()
    qtbot.waitUntil(lambda: "https://" in dialog.time_result.text(), timeout=WAIT_MS)


def test_clock_check_parses_http_dates() -> None:
    from app.ui.settings.time_check import parse_http_date

    assert parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777.0
    joined = "Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 08:50:37 GMT"
    assert parse_http_date(joined) == 784111777.0
    assert parse_http_date("yesterday") is None
    assert parse_http_date("") is None


def test_an_unexpected_exception_gets_a_dialog(qtbot: QtBot) -> None:
    try:
        raise RuntimeError("something broke")
    except RuntimeError as error:
        box = crash.show_crash(type(error), error, error.__traceback__)
    assert isinstance(box, QMessageBox)
    assert box.isVisible()
    assert "RuntimeError: something broke" in box.detailedText()
    box.close()


def test_every_icon_renders_sharp_at_high_dpi(qtbot: QtBot) -> None:
    names = [p.stem for p in resource_path("icons").glob("*.svg") if p.stem != "keyfob"]
    assert len(names) > 20
    for name in names:
        pixmap = icon(name).pixmap(QSize(24, 24), 2.0)
        image = pixmap.toImage()
        assert (image.width(), image.height()) == (48, 48), name
        assert any(image.pixelColor(x, y).alpha() > 0 for x in range(48) for y in range(48)), (
            f"{name} is empty"
        )
    app_icon = QIcon(str(resource_path("icons", "keyfob.svg"))).pixmap(QSize(64, 64), 2.0)
    assert app_icon.toImage().width() == 128


def test_strength_hint() -> None:
    assert strength.estimate("").score == 0
    assert strength.estimate("password1").score == 0
    assert strength.estimate("aaaaaaaaaaaa").score <= 1
    assert strength.estimate("abcdefgh").score <= 1
    assert strength.estimate("violet staple quantum harbour").score == 4


def test_qimage_decoding_reads_every_code(qtbot: QtBot) -> None:
    from tests.ui.qr_images import screen_with

    texts = ["otpauth://totp/A?secret=JBSWY3DPEHPK3PXP", "hello", "third"]
    assert sorted(decode_qimage(screen_with(texts))) == sorted(texts)
    assert decode_qimage(QImage()) == []
