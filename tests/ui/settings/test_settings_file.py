"""The desktop app keeps its preferences in the Qt-free preferences file the CLI reads too:
a clock correction set in Settings is the one `keyfob code` applies, and preferences an older
Keyfob kept in QSettings move there once (QSettings keeps only window state)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from pytestqt.qtbot import QtBot

from app.core.otp import code_at
from app.ui.accounts.main_window import MainWindow
from app.ui.common.settings import Settings, Theme
from app.ui.settings.settings_dialog import SettingsDialog
from app.vault.preferences import TIME_OFFSET, Preferences
from app.vault.store import Vault
from tests.ui.conftest import PASSWORD

KEYFOB = str(Path(sys.executable).with_name("keyfob"))


def keyfob_code(vault: Vault, query: str, tmp_path: Path) -> dict[str, object]:
    """`keyfob code QUERY --json` as a user runs it, with this test's preferences folder."""
    password_file = tmp_path / "password.txt"
    password_file.write_text(PASSWORD)
    password_file.chmod(0o600)
    options = ["--vault", str(vault.path), "--password-file", str(password_file)]
    result = subprocess.run(
        [KEYFOB, *options, "code", query, "--json"],
        capture_output=True,
        text=True,
        env=dict(os.environ),  # $KEYFOB_CONFIG_DIR: the folder the app's Settings wrote
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    (shown,) = json.loads(result.stdout)
    assert isinstance(shown, dict)
    return shown


def test_the_correction_set_in_settings_is_the_one_keyfob_code_applies(
    qtbot: QtBot, main_window: MainWindow, tmp_path: Path
) -> None:
    main_window.settings_flows.open_settings()
    dialog: SettingsDialog = main_window.dialogs.current("settings")
    dialog.offset.setValue(-7200)
    assert Preferences.default().time_offset == -7200.0  # written at once, Qt-free

    github = next(a for a in main_window.vault.content.accounts if a.issuer == "GitHub")
    start = time.time()
    shown = keyfob_code(main_window.vault, "github", tmp_path)
    end = time.time()
    corrected = {code_at(github, t - 7200).text for t in (start, end)}
    assert shown["code"] in corrected
    shown_now = main_window.codes.code_of(github)
    assert shown_now in corrected | {code_at(github, time.time() - 7200).text}
    assert start - 7200 < float(str(shown["valid_until"])) <= end - 7200 + 30


def test_preferences_kept_in_qsettings_move_into_the_file_once(
    private_settings: Path, vault: Vault, tmp_path: Path
) -> None:
    ini = str(private_settings / "older-keyfob.ini")
    older = QSettings(ini, QSettings.Format.IniFormat)
    older.setValue(TIME_OFFSET, -3600.0)
    older.setValue("display/theme", "dark")
    older.setValue("security/auto_lock_minutes", 12)
    older.setValue("windows/main", QByteArray(b"geometry"))
    older.sync()

    settings = Settings(QSettings(ini, QSettings.Format.IniFormat))
    assert settings.time_offset == -3600.0
    assert settings.theme is Theme.DARK
    assert settings.auto_lock_minutes == 12
    left = QSettings(ini, QSettings.Format.IniFormat)
    assert left.allKeys() == ["windows/main"]  # only window state stays in QSettings
    moved = Preferences.default()
    assert moved.time_offset == -3600.0
    assert moved.value("display/theme", "", str) == "dark"

    # Once: the file is the truth from now on, and a stale QSettings value is dropped.
    left.setValue(TIME_OFFSET, 99.0)
    left.sync()
    again = Settings(QSettings(ini, QSettings.Format.IniFormat))
    assert again.time_offset == -3600.0
    assert QSettings(ini, QSettings.Format.IniFormat).allKeys() == ["windows/main"]

    start = time.time()
    shown = keyfob_code(vault, "github", tmp_path)
    assert start - 3600 < float(str(shown["valid_until"])) <= time.time() - 3600 + 30
